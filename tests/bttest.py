"""The one shared helper module of the tshark regression suite: running
tshark (as `nobody` when root), reading fields, Wireshark version
differences, the stock (no plugins) environment, fuzzing helpers.

Wireshark (4.0, 4.4 and 4.6 alike) ignores WIRESHARK_PLUGIN_DIR and the
personal plugin folder when run as root (CI runs as root), so every tshark
here runs as the unprivileged user `nobody` through setpriv, with
WIRESHARK_PLUGIN_DIR pointing at a copy of the freshly built plugins.
Plugins and captures are copied into a world-readable temporary folder
because the checkout may live under a 0700 directory.  When not root, tshark
runs directly with the same environment.
"""
import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "test-captures"
VECTORS = ROOT / "tests" / "vectors"
BUILD = Path(os.environ.get("BT_BUILD_DIR", ROOT / "build"))
# BT_SANITIZE=1: the plugins in BUILD were built with AddressSanitizer/UBSan

# Fuzz runs: wmem's strict allocator catches use-after-free and overruns of
# pool memory (WIRESHARK_ABORT_ON_DISSECTOR_BUG is already in every run's env).
FUZZ_ENV = {"WIRESHARK_DEBUG_WMEM_OVERRIDE": "strict"}
# Tools that load no dissector plugin; run without the sanitizer preload
# (editcap hangs with the sanitizer runtime preloaded).
FILE_TOOLS = ("editcap", "randpkt", "mergecap", "capinfos", "text2pcap", "reordercap")


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
        if os.path.basename(binary) in FILE_TOOLS:
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


# ---------------------------------------------------------------------------
# Reading fields

def first(v):
    """The first value of a repeated field ('' when absent)."""
    return v.split(",")[0] if v else ""


def split(v):
    """The values of a repeated field (tshark's default ',' aggregator)."""
    return [x for x in v.split(",") if x != ""] if v else []


def by_frame(rows):
    """tshark -T fields rows whose first column is frame.number, keyed by it."""
    return {int(r[0]): r[1:] for r in rows}


def field_by_frame(tshark, cap, field, dfilter="utp", extra=()):
    """{frame: value of field} for the frames matching dfilter."""
    return {int(n): v for n, v in tshark.fields(cap, ["frame.number", field], dfilter, extra)}


def frame_fields(tshark, path, frame, fields):
    """{field: all its occurrences joined by ','} for one frame."""
    rows = tshark.fields(path, fields, f"frame.number == {frame}", occurrence="a")
    assert len(rows) == 1, f"frame {frame} not found in {path}"
    return dict(zip(fields, rows[0]))


def experts_by_frame(tshark, path, dfilter="_ws.expert"):
    """{frame: its expert messages joined by '|'} for the frames matching dfilter."""
    rows = tshark.fields(path, ["frame.number", "_ws.expert.message"], dfilter, separator="|")
    return {int(r[0]): r[1] for r in rows}


def frame_experts(tshark, path, frame):
    """One frame's expert messages, joined by ','."""
    return frame_fields(tshark, path, frame, ["_ws.expert.message"])["_ws.expert.message"]


# ---------------------------------------------------------------------------
# Stock Wireshark and plugins

def stock_env(tshark):
    """env for tshark with no plugin at all (stock Wireshark), checked: an
    empty WIRESHARK_PLUGIN_DIR with the per-version layout (<dir>/<M.m>/epan).
    Made and checked once per session (the `stock_env` fixture uses it too)."""
    if hasattr(tshark, "_stock_env"):
        return tshark._stock_env
    major, minor = ws_version()
    empty = tshark.scratch("stock-plugins")
    (empty / f"{major}.{minor}" / "epan").mkdir(parents=True, exist_ok=True)
    for p in [empty, *empty.rglob("*")]:
        p.chmod(0o755)
    env = {"WIRESHARK_PLUGIN_DIR": str(empty)}
    loaded = tshark.run(["-G", "plugins"], env=env).stdout
    assert "dissector" not in loaded.split(), f"the stock run still loads dissector plugins:\n{loaded}"
    tshark._stock_env = env
    return env


def have_plugin(name, build=None):
    """Whether the build made that plugin (e.g. bt_handshake for btpeer)."""
    return plugin_path(name, build).exists()


def vector(tshark, rel):
    """Readable path of a committed hand-built vector, rel to tests/vectors
    (e.g. "discovery/lsd-vectors.pcap")."""
    dst = tshark.scratch("vec-" + rel.replace("/", "-"))
    if not dst.exists():
        shutil.copy(VECTORS / rel, dst)
        dst.chmod(0o644)
    return str(dst)


# ---------------------------------------------------------------------------
# Making files and fuzzing

def write_with(cmd, out):
    """Runs a file-making tool (editcap, randpkt) directly, not through the
    tshark fixture (no sanitizer preload, under which editcap hangs); the
    file is then made readable for tshark's user."""
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True, timeout=120)
    Path(out).chmod(0o644)
    return str(out)


def classic_pcap(tshark, name):
    """Path of the committed capture as classic libpcap (the raw readers of
    scripts/pcapread.py read no pcapng): the capture itself when it is one."""
    path = tshark.capture(name)
    with open(path, "rb") as f:
        if f.read(4) != b"\x0a\x0d\x0d\x0a":
            return path
    out = tshark.scratch(f"classic-{name.replace('/', '-')}")
    return write_with(["editcap", "-F", "pcap", path, out], out)


def editcap_mutation(tshark, src, name, rate, seed):
    """A copy of capture src with a fraction `rate` of its bytes mutated (editcap -E)."""
    out = tshark.scratch(name)
    return write_with(["editcap", "-E", rate, "--seed", seed, src, out], out)


def randpkt(tshark, name, kind, count, max_bytes):
    """count random packets of one randpkt kind (tcp, udp...)."""
    out = tshark.scratch(name)
    return write_with(["randpkt", "-b", max_bytes, "-c", count, "-t", kind, out], out)


def dissect_cleanly(tshark, path, args=("-2", "-V")):
    """Dissects path with the fuzz env: no crash, no sanitizer report, no dissector bug."""
    proc = tshark.run(["-n", "-r", str(path), *args], env=FUZZ_ENV, check=False)
    assert proc.returncode == 0, f"{path}: tshark exited {proc.returncode}\n{proc.stderr[-2000:]}"
    return proc


# ---------------------------------------------------------------------------
# Committed captures and what their scripts know of them (<name>.facts.json)

def facts(name):
    """The capture script's own record of test-captures/<name>.pcap."""
    return json.loads((CAPTURES / f"{name}.facts.json").read_text())


def with_facts(names):
    """Those of the capture names committed with their facts."""
    return [n for n in names if (CAPTURES / f"{n}.pcap").exists() and (CAPTURES / f"{n}.facts.json").exists()]


def captures_with_utp():
    """Names of the committed captures whose facts list uTP connections."""
    return sorted(p.stem for p in CAPTURES.glob("*.pcap")
                  if (CAPTURES / f"{p.stem}.facts.json").exists()
                  and facts(p.stem).get("utp", {}).get("connections"))


# Packets quoted inside ICMP errors are shown as uTP too, but are not uTP
# datagrams of the capture.
NOT_QUOTED = "!icmp && !icmpv6"


def follow_raw(tshark, capture, stream, proto="utp"):
    """(bytes node0->node1, bytes node1->node0, node0 'ip:port') from -z follow,PROTO,raw."""
    out = tshark.run(["-n", "-2", "-r", capture, "-q", "-z", f"follow,{proto},raw,{stream}"]).stdout
    a, b, node0, body = b"", b"", None, False
    for line in out.splitlines():
        if line.startswith("Node 0:"):
            node0 = line.split(":", 1)[1].strip()
        if line.startswith("Node 1:"):
            body = True
            continue
        if not body or line.startswith("====="):
            continue
        if line.startswith("\t"):
            b += bytes.fromhex(line.strip())
        elif line.strip():
            a += bytes.fromhex(line.strip())
    return a, b, node0


# ---- the text reports of tshark -z btpeer_peers,tree / btpeer_torrents,tree ----

def _report_lines(text, header):
    """Token lists of the rows of the report table whose header line starts
    with `header`, up to the closing rule of '=' signs."""
    rows, on = [], False
    for line in text.splitlines():
        if line.startswith(header):
            on = True
        elif on and line.startswith("="):
            break
        elif on and line.strip():
            rows.append(line.split())
    return rows


def swarm_peer_rows(text):
    """Rows of the peers table: dicts keyed by the header's column names (the
    client name may hold spaces: it is what lies between Tr and the 10 last columns)."""
    out = []
    for tok in _report_lines(text, "Conn "):
        tail = tok[-10:]
        out.append({"conn": int(tok[0]), "peer": tok[1], "seen": tok[2], "tr": tok[3],
                    "client": " ".join(tok[4:-10]), "flags": tail[0], "down": int(tail[1]),
                    "up": int(tail[2]), "have": tail[3], "chokes": int(tail[4]),
                    "unchokes": int(tail[5]), "pipeline": int(tail[6]), "cancels": int(tail[7]),
                    "verified": int(tail[8]), "failed": int(tail[9])})
    return out


def swarm_torrent_rows(text):
    return [{"hash": tok[0], "conns": int(tok[-5]), "peers": int(tok[-4]), "bytes": int(tok[-3]),
             "verified": int(tok[-2]), "failed": int(tok[-1])} for tok in _report_lines(text, "Info hash")]


# ---- the same as GUI tables: tshark -z btpeer,peers / btpeer,torrents ----

def stat_table(text, title):
    """(header, rows) of the "simple statistics" table titled `title` in
    tshark's output: cells split on " |"."""
    lines = text.splitlines()
    start = lines.index(f"{title}:")
    header = [c.strip() for c in lines[start + 2].split(" |")[:-1]]
    rows = []
    for line in lines[start + 4:]:
        if line.startswith("====="):
            break
        rows.append(dict(zip(header, (c.strip() for c in line.split(" |")[:-1]))))
    return header, rows


def swarm_table_peer_rows(text):
    """Rows of Statistics > BitTorrent > Peers, keyed as swarm_peer_rows'."""
    return [{"conn": int(r["Conn"]), "peer": r["Peer"], "seen": r["Seen by"], "tr": r["Transport"],
             "client": r["Client"], "encrypted": r["Encrypted"], "flags": r["Flags"],
             "down": int(r["Down"]), "up": int(r["Up"]), "have": r["Have"],
             "chokes": int(r["Chokes"]), "unchokes": int(r["Unchokes"]),
             "pipeline": int(r["Pipeline"]), "cancels": int(r["Cancels"]),
             "verified": int(r["Verified"]), "failed": int(r["Failed"])}
            for r in stat_table(text, "BitTorrent/Peers")[1]]


def swarm_table_torrent_rows(text):
    """Rows of Statistics > BitTorrent > Torrents, keyed as swarm_torrent_rows'."""
    return [{"hash": r["Info hash"], "name": r["Name"], "size": r["Size"], "pieces": r["Pieces"],
             "conns": int(r["Connections"]), "peers": int(r["Peers"]), "bytes": int(r["Piece bytes"]),
             "verified": int(r["Pieces verified"]), "failed": int(r["Pieces failed"])}
            for r in stat_table(text, "BitTorrent/Torrents")[1]]
