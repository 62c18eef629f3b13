"""Each plugin loaded alone, btlsd + btpeer without bttracker (issue 9, item 3),
and btdht + btpeer with no other recorder (issue 12).

The discovery record store (plugins/discovery) is compiled into every plugin
that records or asks (btlsd, bttracker, btdht, bt_handshake): whichever of them is
loaded registers it, so none depends on another being installed.  Each test
runs tshark with a WIRESHARK_PLUGIN_DIR holding only the named .so files and
checks the plugin decodes its capture, against the independent reader of
tests/discovery_oracle.py (raw pcap bytes, no dissector).
"""
import shutil

import pytest

import discovery_oracle as oracle
from bttest import plugin_path, ws_version

LSD_CAP = "lsd-libtorrent-transmission.pcap"   # LSD announces, then TCP connections they led to
UDP_TRACKER_CAP = "tracker-udp-libtorrent.pcap"
DHT_CAP = "dht-libtorrent-aria2.pcap"        # a magnet download whose peers came from the DHT


def alone(tshark, *names):
    """tshark environment whose plugin folder holds only the given plugins."""
    major, minor = ws_version()
    top = tshark.scratch("alone-" + "-".join(names))
    epan = top / f"{major}.{minor}" / "epan"
    if not top.exists():
        epan.mkdir(parents=True)
        for n in names:
            shutil.copy(plugin_path(n), epan / f"{n}.so")
        for p in [top, *top.rglob("*")]:
            p.chmod(0o777 if p.is_dir() else 0o644)
    return {"WIRESHARK_PLUGIN_DIR": str(top)}


def loaded(tshark, env):
    out = tshark.run(["-G", "plugins"], env=env).stdout
    return {line.split()[0] for line in out.splitlines() if line.split() and line.split()[0].endswith(".so")}


@pytest.mark.parametrize("name", ["bt_handshake", "btlsd", "bttracker", "btdht"])
def test_starts_alone(tshark, name):
    env = alone(tshark, name)
    assert loaded(tshark, env) == {f"{name}.so"}
    # registering the store in the only plugin present is not an error
    proc = tshark.run(["-r", tshark.capture(LSD_CAP), "-c", "1"], env=env)
    assert "Dissector bug" not in proc.stderr


def test_btlsd_alone(tshark):
    cap = tshark.capture(LSD_CAP)
    ann = oracle.lsd_announces(cap)
    rows = tshark.fields(cap, ["frame.number", "btlsd.info_hash"], "btlsd", env=alone(tshark, "btlsd"))
    assert [int(r[0]) for r in rows] == [a["frame"] for a in ann]
    assert [r[1].split(",")[0] for r in rows] == [a["infohashes"][0] for a in ann]


def test_btpeer_alone(tshark):
    """btpeer decodes every handshake; with no recorder loaded, nothing is
    claimed to be discovered."""
    cap = tshark.capture(LSD_CAP)
    hs = oracle.handshakes(cap)
    assert hs
    rows = tshark.fields(cap, ["frame.number", "btpeer.info_hash", "btpeer.discovered_in"], "btpeer.pstr",
                         env=alone(tshark, "bt_handshake"))
    assert [(int(r[0]), r[1]) for r in rows] == [(h[0], h[5]) for h in hs]
    assert all(r[2] == "" for r in rows)


def test_btlsd_links_btpeer_without_bttracker(tshark):
    """LSD announces link to the handshakes of the torrent they name with only
    btlsd and btpeer loaded (before, the store lived in bttracker)."""
    cap = tshark.capture(LSD_CAP)
    first_announce = {}
    for a in oracle.lsd_announces(cap):
        for ih in a["infohashes"]:
            first_announce.setdefault(ih, a["frame"])
    hs = oracle.handshakes(cap)
    rows = tshark.fields(cap, ["frame.number", "btpeer.discovered_in", "btpeer.discovered_by"], "btpeer.pstr",
                         env=alone(tshark, "bt_handshake", "btlsd"))
    assert len(rows) == len(hs)
    linked = 0
    for (frame, *_rest, ih), r in zip(hs, rows):
        want = first_announce.get(ih)
        if want is not None and want < frame:
            assert (r[1], r[2]) == (str(want), "LSD"), (frame, r)
            linked += 1
        else:
            assert r[1] == "", (frame, r)
    assert linked > 0


def test_bttracker_alone(tshark):
    cap = tshark.capture(UDP_TRACKER_CAP)
    msgs = oracle.udp_tracker(cap)
    rows = tshark.fields(cap, ["frame.number", "bttracker.action"], "bttracker", env=alone(tshark, "bttracker"))
    assert [(int(r[0]), int(r[1].split(",")[0])) for r in rows] == [(m["frame"], m["action"]) for m in msgs]


def test_btdht_links_btpeer_alone(tshark):
    """The DHT records get_peers peers with only btdht and btpeer loaded: the
    handshakes to the seed are linked to the DHT answer (test_btdht.py checks
    which frame), and btdht alone decodes without btpeer."""
    cap = tshark.capture(DHT_CAP)
    alone_rows = tshark.fields(cap, ["frame.number"], "btdht", env=alone(tshark, "btdht"))
    assert len(alone_rows) > 300
    rows = tshark.fields(cap, ["btpeer.peer_discovered_by"], "btpeer.pstr && tcp.dstport == 6881",
                         env=alone(tshark, "bt_handshake", "btdht"))
    assert sum(r[0] == "DHT" for r in rows) >= 2
