"""Shared pytest fixtures for the tshark regression suite.

Wireshark (4.0, 4.4 and 4.6 alike) ignores WIRESHARK_PLUGIN_DIR and the
personal plugin folder when run as root (CI runs as root), so every tshark here runs as the unprivileged
user `nobody` through setpriv, with WIRESHARK_PLUGIN_DIR pointing at a copy of
the freshly built plugins.  Plugins and captures are copied into a
world-readable temporary folder because the checkout may live under a 0700
directory.  When not root, tshark runs directly with the same environment.
"""
import functools
import os
import re
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
        # no extcap helpers: tshark -G and start-up need none, and 4.0's
        # androiddump hangs under the preloaded sanitizer runtime
        self.extcap = workdir / "no-extcap"
        self.extcap.mkdir()
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
            "WIRESHARK_EXTCAP_DIR": str(self.extcap),
        }
        if os.environ.get("BT_SANITIZE"):
            # plugins built with -DBT_ASAN=ON: the sanitizer runtime must be
            # loaded first into the (uninstrumented) tshark
            env["LD_PRELOAD"] = asan_runtime()
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
        run_env = self.env(env)
        if os.path.basename(binary) in ("editcap", "randpkt", "mergecap", "capinfos", "text2pcap", "reordercap"):
            # these load none of our (possibly sanitized) plugins, and editcap
            # hangs with the sanitizer runtime preloaded
            for k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
                run_env.pop(k, None)
        proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True,
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
        rows = [line.split(separator) for line in out.splitlines()]
        return normalise_booleans(self, fields, rows)

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


# ---------------------------------------------------------------------------
# Wireshark version differences, in one place (issue 8).  Tests read the
# running tshark's output through these, so the same assertion holds on 4.0,
# 4.4 and 4.6; nothing else in tests/ should know a version number.

@functools.lru_cache(maxsize=None)
def ws_version():
    """(major, minor) of the tshark on PATH."""
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"TShark \(Wireshark\) (\d+)\.(\d+)", out)
    assert m, f"cannot read tshark's version from: {out[:200]!r}"
    return int(m.group(1)), int(m.group(2))


def plugin_path(name, build=None):
    """Path of a built plugin in the build's plugin-dir/<major.minor>/epan/."""
    major, minor = ws_version()
    return Path(build or BUILD) / "plugin-dir" / f"{major}.{minor}" / "epan" / f"{name}.so"


def asan_runtime():
    """The AddressSanitizer runtime the ASAN-built plugins link against (the
    file name and folder differ per GCC: libasan.so.8 on Debian 12 and 13, .8
    or later elsewhere), read from the plugins themselves."""
    for so in sorted((BUILD / "plugin-dir").glob("*/epan/*.so")):
        out = subprocess.run(["ldd", str(so)], capture_output=True, text=True).stdout
        m = re.search(r"^\s*libasan\.so\.\d+ => (\S+)", out, re.M)
        if m:
            return m.group(1)
    raise RuntimeError(f"BT_SANITIZE=1 but no plugin under {BUILD} links libasan")


def g_columns(tshark, report, n=3):
    """`tshark -G <report>` rows cut to their first n columns: 4.4+ prints
    more columns for protocols (enabled flags) and heuristic-decodes (default
    state, short name, display name) after the ones 4.0 prints."""
    out = tshark.run(["-G", report]).stdout
    return [tuple(line.split("\t")[:n]) for line in out.splitlines()]


def heuristic_short_names(tshark):
    """{(list, protocol): heuristic short name}; empty on 4.0, whose
    -G heuristic-decodes does not print the short names."""
    out = tshark.run(["-G", "heuristic-decodes"]).stdout
    return {tuple(c[:2]): c[4] for c in (l.split("\t") for l in out.splitlines()) if len(c) >= 5}


def boolean_fields(tshark):
    """Names of every FT_BOOLEAN field (from -G fields, read once per session)."""
    if not hasattr(tshark, "_boolean_fields"):
        out = tshark.run(["-G", "fields"]).stdout
        tshark._boolean_fields = frozenset(c[2] for c in (l.split("\t") for l in out.splitlines())
                                           if len(c) > 3 and c[0] == "F" and c[3] == "FT_BOOLEAN")
    return tshark._boolean_fields


def normalise_booleans(tshark, fields, rows):
    """-T fields prints FT_BOOLEAN values as 1/0 on 4.0 and True/False on 4.4+
    (4.2 not checked): rows use the 4.0 spelling, for the boolean fields only
    (a string field that happens to read "True" is left alone)."""
    cols = [i for i, f in enumerate(fields) if f in boolean_fields(tshark)]
    spelled = {"True": "1", "False": "0"}
    for row in rows:
        for i in cols:
            if i < len(row) and row[i]:
                row[i] = ",".join(spelled.get(v, v) for v in row[i].split(","))
    return rows


def registered_ports(tshark, table="tcp.port"):
    """Ports with an entry in a dissector table (`tshark -G decodes`): 4.2+
    added built-ins on ports a test may pick for a flow of its own (4.4: SAP NI
    on TCP 40000), which TCP tries before any heuristic dissector."""
    out = tshark.run(["-G", "decodes"]).stdout
    return {int(c[1]) for c in (l.split("\t") for l in out.splitlines())
            if len(c) >= 3 and c[0] == table and c[1].isdigit()}

