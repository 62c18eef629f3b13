"""Names and loading on every Wireshark version (issue 8).

Every protocol's full, short and filter name, and every heuristic short name,
must differ from all of the running Wireshark's built-in ones: 4.2+ added a
"BitTorrent Tracker" / "BT-Tracker" / bt-tracker dissector (and every version
has "BitTorrent DHT Protocol" / "BT-DHT" / bt-dht), and a duplicate
full or short name makes every tshark run abort at start-up.  The oracle is
the same tshark run without our plugins (an empty WIRESHARK_PLUGIN_DIR).
"""
import re

from bttest import ROOT, g_columns, heuristic_short_names, plugin_path, ws_version

OURS = {"utp", "btpeer", "btlsd", "bttracker", "btdht"}
PLUGINS = ["utp", "bt_handshake", "btlsd", "bttracker", "btdht"]


def empty_dir(tshark):
    empty = tshark.scratch("versions-empty")
    empty.mkdir(exist_ok=True)
    empty.chmod(0o777)
    return empty


def builtin_run(tshark, args):
    return tshark.run(args, env={"WIRESHARK_PLUGIN_DIR": str(empty_dir(tshark))})


def test_plugins_built_for_this_version():
    for p in PLUGINS:
        assert plugin_path(p).exists(), f"{p}.so not in plugin-dir/{ws_version()[0]}.{ws_version()[1]}/epan"


def test_names_collide_with_no_builtin(tshark):
    builtin = [tuple(l.split("\t")[:3]) for l in builtin_run(tshark, ["-G", "protocols"]).stdout.splitlines()]
    assert builtin and not [b for b in builtin if b[2] in OURS]   # ours really were not loaded
    mine = [p for p in g_columns(tshark, "protocols") if p[2] in OURS]
    assert {p[2] for p in mine} == OURS
    taken = {n.lower() for b in builtin for n in b}
    for full, short, filt in mine:
        for name in (full, short, filt):
            assert name.lower() not in taken, f"{name!r} is also a built-in protocol name"


def test_heuristic_names_collide_with_no_builtin(tshark):
    mine = {k: v for k, v in heuristic_short_names(tshark).items() if k[1] in OURS}
    if ws_version() < (4, 2):
        assert mine == {}            # 4.0 does not print heuristic short names
        return
    out = builtin_run(tshark, ["-G", "heuristic-decodes"]).stdout
    builtin = {c[4] for c in (l.split("\t") for l in out.splitlines()) if len(c) >= 5}
    assert {v for v in mine.values()} >= {"utp_udp", "btpeer_tcp", "btlsd_udp", "bttracker_udp", "btdht_udp"}
    assert not set(mine.values()) & builtin


def test_plugins_listed(tshark):
    # -G plugins also asks every extcap helper for its version; with the ASAN
    # runtime preloaded (BT_SANITIZE=1) 4.0's androiddump never answers, so the
    # extcap folder is pointed at an empty one (our plugins are not extcaps)
    out = tshark.run(["-G", "plugins"], env={"WIRESHARK_EXTCAP_DIR": str(empty_dir(tshark))}).stdout
    rows = [l.split("\t") for l in out.splitlines()]
    names = {r[0].strip(): [c.strip() for c in r] for r in rows if r}
    for p in PLUGINS:
        assert f"{p}.so" in names, f"{p}.so not in tshark -G plugins"
        if ws_version() >= (4, 4):   # plugin_describe(): "dissector", not "unknown"
            assert "dissector" in names[f"{p}.so"], names[f"{p}.so"]


def test_renamed_fields(tshark):
    """The README's "Renamed fields" table is true of the built plugins: each
    new name is registered, no old name is (old names are not kept)."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Renamed fields", 1)[1].split("\n## ", 1)[0]
    pairs = re.findall(r"^\| `([\w.]+)`(?: \(expert\))? \| `([\w.]+)` \|$", table, re.M)
    assert len(pairs) > 20
    names = {c[2] for c in g_columns(tshark, "fields") if c[0] == "F" and len(c) > 2}
    assert {new for _, new in pairs} <= names
    assert not {old for old, _ in pairs} & names
