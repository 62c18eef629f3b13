"""Shared pytest fixtures for the tshark regression suite.

Wireshark 4.0 ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder when
run as root (CI runs as root), so every tshark here runs as the unprivileged
user `nobody` through setpriv, with WIRESHARK_PLUGIN_DIR pointing at a copy of
the freshly built plugins.  Plugins and captures are copied into a
world-readable temporary folder because the checkout may live under a 0700
directory.  When not root, tshark runs directly with the same environment.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "test-captures"
BUILD = Path(os.environ.get("BT_BUILD_DIR", ROOT / "build"))
# BT_SANITIZE=1: the plugins in BUILD were built with AddressSanitizer/UBSan


class Tshark:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.plugin_dir = workdir / "plugins"
        self.home = workdir / "home"
        self.captures = workdir / "captures"
        src = BUILD / "plugin-dir"
        if not any(src.glob("*/epan/*.so")):
            raise RuntimeError(f"no built plugins under {src}: run scripts/build first")
        shutil.copytree(src, self.plugin_dir)
        shutil.copytree(CAPTURES, self.captures)
        self.home.mkdir()
        for p in [workdir, *workdir.rglob("*")]:
            p.chmod(0o777 if p.is_dir() else 0o644)
        self.as_nobody = os.geteuid() == 0

    def env(self, extra=None):
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
            "WIRESHARK_PLUGIN_DIR": str(self.plugin_dir),
            "WIRESHARK_ABORT_ON_DISSECTOR_BUG": "1",
        }
        if os.environ.get("BT_SANITIZE"):
            # plugins built with -DBT_ASAN=ON: the sanitizer runtime must be
            # loaded first into the (uninstrumented) tshark
            env["LD_PRELOAD"] = "/usr/lib/x86_64-linux-gnu/libasan.so.8"
            env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"
            env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
        env.update(extra or {})
        return env

    def capture(self, name: str) -> str:
        """Path (inside the readable work folder) of a committed capture."""
        path = self.captures / name
        assert path.exists(), f"missing capture {name}"
        return str(path)

    def scratch(self, name: str) -> Path:
        """A path in the readable work folder for files a test writes."""
        return self.workdir / name

    def run(self, args, env=None, check=True, timeout=600, binary="tshark"):
        cmd = [binary, *map(str, args)]
        if self.as_nobody:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
        proc = subprocess.run(cmd, env=self.env(env), capture_output=True, text=True,
                              timeout=timeout, cwd=self.workdir)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stderr[-4000:]}")
        return proc

    def fields(self, capture, fields, dfilter=None, extra=(), two_pass=True, env=None,
               occurrence=None, separator="\t"):
        """Rows (lists of strings) of `tshark -T fields` for the packets matching dfilter."""
        args = ["-n", "-r", capture, "-T", "fields", "-E", f"separator={separator}"]
        if two_pass:
            args.append("-2")
        if dfilter:
            args += ["-Y", dfilter]
        if occurrence:
            args += ["-E", f"occurrence={occurrence}"]
        for f in fields:
            args += ["-e", f]
        args += list(extra)
        out = self.run(args, env=env).stdout
        return [line.split(separator) for line in out.splitlines()]

    def count(self, capture, dfilter, extra=(), two_pass=True):
        return len(self.fields(capture, ["frame.number"], dfilter, extra, two_pass))


@pytest.fixture(scope="session")
def tshark():
    workdir = Path(tempfile.mkdtemp(prefix="bt-tests-"))
    workdir.chmod(0o777)
    try:
        yield Tshark(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
