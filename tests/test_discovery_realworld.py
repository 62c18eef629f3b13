"""The discovery dissectors beside stock Wireshark (issue 7, items 4 and 6).

Coexistence: with btlsd or bttracker disabled (tshark --disable-protocol,
the same switch as Enabled Protocols in the GUI), every frame they would
have taken is shown exactly as with no plugins at all: UDP 6771 goes back to
the built-in `lsd`, HTTP stays `http`, UDP tracker traffic is plain UDP on
4.0 and the built-in `bt-tracker` on 4.2+.  Frames are compared as whole `-V` trees.  TCP peer connections
in these captures belong to btpeer, whose own switch is tested elsewhere, so
the comparison covers the frames of discovery traffic (selected by stock
fields only).

Public captures made by others (test-captures/README.md): Zeek's Deluge
HTTP tracker exchange (a gzip-compressed answer of 50 compact peers) and
Suricata's DHT exchanges.  Everything stock shows is still shown (stock's
tree lines are a subsequence of ours), DHT is not claimed as a tracker or an
LSD announce, and no Error-severity expert of ours appears.
"""
import pytest

import discovery_oracle as oracle
from bttest import split, stock_env, vector

LSD_REAL = "lsd-libtorrent-transmission.pcap"
ZEEK = "public-zeek-bittorrent-tracker.pcap"
DHT = "public-suricata-bittorrent-dht.pcap"
TRACKER_FRAMES = "udp.port == 1337 or udp.port == 6969 or tcp.port == 6969 or http"


def tree(tshark, cap, dfilter, extra=(), env=None):
    out = tshark.run(["-n", "-r", cap, "-2", "-V", "-Y", dfilter, *extra], env=env).stdout
    assert out.strip(), f"no frames match {dfilter}"
    return out


def cap_path(tshark, name):
    return vector(tshark, f"discovery/{name}") if name.endswith("-vectors.pcap") else tshark.capture(name)


# ------------------------------------------------------------- coexistence
@pytest.mark.parametrize("name", [LSD_REAL, "lsd-vectors.pcap"])
def test_disabled_btlsd_gives_udp_6771_back(tshark, name):
    cap = cap_path(tshark, name)
    stock = tree(tshark, cap, "not tcp", env=stock_env(tshark))
    assert tree(tshark, cap, "not tcp", ["--disable-protocol", "btlsd"]) == stock
    # The built-in dissector really is the one shown, on every announce.
    rows = tshark.fields(cap, ["frame.number"], "lsd", extra=["--disable-protocol", "btlsd"])
    assert len(rows) >= len(oracle.lsd_announces(cap)) > 0
    # ...and with btlsd enabled, btlsd has the announces instead (the
    # vectors' non-LSD datagram on 6771 is left to the built-in).
    assert tshark.count(cap, "btlsd") == len(oracle.lsd_announces(cap))
    if name == LSD_REAL:
        assert tshark.count(cap, "lsd") == 0


@pytest.mark.parametrize("name", ["tracker-udp-libtorrent.pcap", "tracker-http-libtorrent.pcap", ZEEK,
                                  "tracker-udp-vectors.pcap", "tracker-http-vectors.pcap"])
def test_disabled_bttracker_gives_everything_back(tshark, name):
    cap = cap_path(tshark, name)
    stock = tree(tshark, cap, TRACKER_FRAMES, env=stock_env(tshark))
    # the stock run has no bttracker (4.2+ has a built-in "BitTorrent
    # Tracker", filter bt-tracker, which both runs show on UDP)
    assert not [l for l in stock.splitlines() if "[Protocols in frame:" in l and "bttracker" in l]
    assert tree(tshark, cap, TRACKER_FRAMES, ["--disable-protocol", "bttracker"]) == stock
    assert tshark.count(cap, "bttracker") > 0      # enabled, it does decode these


# ---------------------------------------------------------- public captures
def frames_of(text):
    """-V output split into frames (each starts with a 'Frame N:' line)."""
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith("Frame "):
            cur = []
            out.append(cur)
        if cur is not None:
            cur.append(line)
    return out


def is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def normalise(line):
    # Our protocol names are added to the frame's protocol list.
    return line.split(":")[0] if "[Protocols in frame:" in line else line


@pytest.mark.parametrize("name", [ZEEK, DHT, LSD_REAL])
def test_everything_stock_shows_is_still_shown(tshark, name):
    """Line for line, except in the frames btlsd takes from `lsd` (their
    values are compared by test_lsd_values_kept) and peer-wire frames
    (btpeer's own comparison)."""
    cap = tshark.capture(name)
    stock = frames_of(tree(tshark, cap, "frame", env=stock_env(tshark)))
    ours = frames_of(tree(tshark, cap, "frame"))
    assert len(stock) == len(ours)
    for n, (s, o) in enumerate(zip(stock, ours), 1):
        if any(line.startswith(("BitTorrent", "Local Service Discovery")) for line in s):
            continue
        assert is_subsequence([normalise(x) for x in s], [normalise(x) for x in o]), f"frame {n}"


def test_lsd_values_kept(tshark):
    """Every value the built-in `lsd` shows of an announce, btlsd shows too."""
    cap = tshark.capture(LSD_REAL)
    stock = tshark.fields(cap, ["frame.number", "lsd.host", "lsd.port", "lsd.infohash", "lsd.cookie"], "lsd",
                          env=stock_env(tshark))
    ours = {int(r[0]): r[1:] for r in tshark.fields(cap, ["frame.number", "btlsd.host", "btlsd.port",
                                                          "btlsd.info_hash", "btlsd.cookie"], "btlsd")}
    assert len(stock) == len(ours) == len(oracle.lsd_announces(cap))
    for frame, host, port, infohash, cookie in stock:
        o_host, o_port, o_hashes, o_cookie = ours[int(frame)]
        assert (o_host, o_port, o_cookie) == (host, port, cookie)
        assert infohash.lower() in [h.replace(":", "") for h in split(o_hashes)]


def test_zeek_deluge_tracker_answer(tshark):
    """The gzip-compressed answer's 50 compact peers, as the independent
    reader decodes them, in order; the request's fields too."""
    cap = tshark.capture(ZEEK)
    msgs = oracle.http_tracker(cap)
    req = [m for m in msgs if m["request"]]
    ans = [m for m in msgs if not m["request"]]
    assert len(req) == 1 and len(ans) == 1 and len(ans[0]["peers"]) == 50
    rows = tshark.fields(cap, ["frame.number", "bttracker.peer.ip", "bttracker.peer.port", "bttracker.peer_count",
                               "bttracker.interval", "bttracker.request_in"], "bttracker.request == 0")
    assert len(rows) == 1
    frame, ips, ports, count, interval, req_in = rows[0]
    assert int(frame) == ans[0]["frame"] and int(req_in) == req[0]["frame"]
    assert list(zip(split(ips), map(int, split(ports)))) == ans[0]["peers"]
    assert int(count) == 50 and int(interval) == ans[0]["answer"][b"interval"]
    rows = tshark.fields(cap, ["frame.number", "bttracker.info_hash", "bttracker.port"], "bttracker.request == 1")
    assert [(int(r[0]), r[1].replace(":", ""), int(r[2])) for r in rows] == \
        [(req[0]["frame"], req[0]["params"]["info_hash"][0].hex(), int(req[0]["params"]["port"][0]))]


@pytest.mark.parametrize("name", [ZEEK, DHT, LSD_REAL, "tracker-udp-libtorrent.pcap",
                                  "tracker-http-libtorrent.pcap"])
def test_no_error_expert_of_ours_on_real_traffic(tshark, name):
    cap = tshark.capture(name)
    rows = tshark.fields(cap, ["frame.number", "_ws.expert.message"],
                         "(bttracker or btlsd) and _ws.expert.severity == error")
    assert rows == []


def test_dht_is_not_a_tracker_or_lsd(tshark):
    """Suricata's DHT exchanges (bencoded KRPC over UDP: stock bt-dht, ours btdht)."""
    cap = tshark.capture(DHT)
    assert tshark.count(cap, "bttracker or btlsd") == 0
    assert tshark.count(cap, "btdht") == 16
    stock = tree(tshark, cap, "frame", env=stock_env(tshark))
    assert tree(tshark, cap, "frame", ["--disable-protocol", "bttracker", "--disable-protocol", "btlsd",
                                       "--disable-protocol", "btdht"]) == stock
