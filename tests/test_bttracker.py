"""tshark tests of the bttracker plugin: UDP tracker (BEP 15, BEP 41) and HTTP
tracker (BEP 3, 7, 23, 48), and the discovery links to the connections.

Real captures (scripts/make-discovery-captures): libtorrent 2.0.8 seed and
leecher announcing to opentracker over UDP (tracker-udp-libtorrent.pcap) and
over HTTP (tracker-http-libtorrent.pcap), one non-whitelisted torrent that
opentracker refuses, a scrape, then the peer connections.  Expected values
come from tests/discovery_oracle.py, an independent pcap reader.
Hand-built vectors: tests/vectors/discovery/tracker-{udp,http}-vectors.pcap,
described frame by frame in make_vectors.py.
"""
import pytest

import discovery_oracle as oracle
import make_vectors
from bttest import by_frame, frame_experts as experts, have_plugin, split

UDP_REAL = "tracker-udp-libtorrent.pcap"
HTTP_REAL = "tracker-http-libtorrent.pcap"
IH = [h.hex() for h in make_vectors.IH]
IHB = make_vectors.IH
HAVE_BTPEER = have_plugin("bt_handshake")


# ================================================================ UDP, real
def test_udp_real_every_message_decoded(tshark):
    cap = tshark.capture(UDP_REAL)
    msgs = oracle.udp_tracker(cap)
    assert len(msgs) >= 12
    rows = by_frame(tshark.fields(cap, ["frame.number", "bttracker.request", "bttracker.action",
                                        "bttracker.udp.transaction_id"], "bttracker"))
    assert sorted(rows) == [m["frame"] for m in msgs]
    for m in msgs:
        req, action, tid = rows[m["frame"]]
        assert (req == "1") == m["request"]
        assert int(action) == m["action"]
        assert int(tid, 16) == m["tid"]


def test_udp_real_pairing(tshark):
    cap = tshark.capture(UDP_REAL)
    msgs = oracle.udp_tracker(cap)
    rows = by_frame(tshark.fields(cap, ["frame.number", "bttracker.request_in", "bttracker.response_in",
                                        "bttracker.response_time"], "bttracker"))
    responses = [m for m in msgs if not m["request"]]
    assert responses and all(m["request_frame"] for m in responses), "every real answer has a request"
    for m in responses:
        req_in, _, rtime = rows[m["frame"]]
        assert int(req_in) == m["request_frame"]
        assert float(rtime) >= 0
        assert int(rows[m["request_frame"]][1]) == m["frame"]


def test_udp_real_connection_ids(tshark):
    """Every announce and scrape carries the id issued by the connect
    response of its conversation."""
    cap = tshark.capture(UDP_REAL)
    rows = tshark.fields(cap, ["frame.number", "bttracker.udp.connection_id.issued_in", "bttracker.udp.connection_id"],
                         "bttracker.request == 1 and bttracker.action != 0")
    issued = by_frame(tshark.fields(cap, ["frame.number", "bttracker.udp.connection_id"],
                                    "bttracker.request == 0 and bttracker.action == 0"))
    assert rows
    for frame, issued_in, cid in rows:
        assert int(issued_in) < int(frame)
        assert issued[int(issued_in)][0] == cid


def test_udp_real_peers_and_infohash(tshark):
    cap = tshark.capture(UDP_REAL)
    msgs = {m["frame"]: m for m in oracle.udp_tracker(cap)}
    rows = by_frame(tshark.fields(cap, ["frame.number", "bttracker.peer.ip", "bttracker.peer.port",
                                        "bttracker.info_hash", "bttracker.event", "bttracker.port"],
                                  "bttracker.action == 1"))
    answers = 0
    for n, (ips, ports, ih, event, port) in rows.items():
        m = msgs[n]
        if m["request"]:
            assert ih == m["info_hash"] and int(event) == m["event"] and int(port) == m["port"]
        elif "peers" in m:
            answers += 1
            assert list(zip(split(ips), map(int, split(ports)))) == m["peers"]
            assert ih == msgs[m["request_frame"]]["info_hash"]      # shown on the answer too
    assert answers >= 3


def test_udp_real_truncated_answer(tshark):
    """opentracker answers the non-whitelisted torrent with an 8-byte announce."""
    cap = tshark.capture(UDP_REAL)
    short = [m for m in oracle.udp_tracker(cap) if not m["request"] and m["action"] == 1 and "peers" not in m]
    assert short
    for m in short:
        assert "shorter than its 20-byte fixed part" in experts(tshark, cap, m["frame"])


def test_udp_real_one_pass_equals_two_pass(tshark):
    cap = tshark.capture(UDP_REAL)
    fields = ["frame.number", "bttracker.action", "bttracker.request_in", "bttracker.peer.ip",
              "bttracker.udp.connection_id.issued_in", "_ws.expert.message"]
    assert tshark.fields(cap, fields, "bttracker", two_pass=False) == tshark.fields(cap, fields, "bttracker")


# ================================================================ HTTP, real
def test_http_real_requests(tshark):
    cap = tshark.capture(HTTP_REAL)
    reqs = [m for m in oracle.http_tracker(cap) if m["request"]]
    assert len(reqs) >= 6
    rows = by_frame(tshark.fields(cap, ["frame.number", "bttracker.action", "bttracker.info_hash",
                                        "bttracker.peer_id", "bttracker.port", "bttracker.left",
                                        "bttracker.event", "bttracker.num_want", "bttracker.http.compact",
                                        "bttracker.http.key"], "bttracker.request == 1"))
    assert sorted(rows) == [m["frame"] for m in reqs]
    events = {b"started": "2", b"completed": "1", b"stopped": "3"}
    for m in reqs:
        p = m["params"]
        action, ih, pid, port, left, event, numwant, compact, key = rows[m["frame"]]
        assert action == ("2" if m["path"] == "/scrape" else "1")
        assert ih == p["info_hash"][0].hex()
        if m["path"] == "/announce":
            assert pid == p["peer_id"][0].hex()
            assert int(port) == int(p["port"][0]) and int(left) == int(p["left"][0])
            assert event == events[p["event"][0]]
            assert int(numwant) == int(p["numwant"][0]) and int(compact) == int(p["compact"][0])
            assert key.encode() == p["key"][0]


def test_http_real_answers(tshark):
    cap = tshark.capture(HTTP_REAL)
    answers = [m for m in oracle.http_tracker(cap) if not m["request"]]
    rows = by_frame(tshark.fields(cap, ["frame.number", "bttracker.request_in", "bttracker.interval",
                                        "bttracker.seeders", "bttracker.leechers", "bttracker.peer.ip",
                                        "bttracker.peer.port", "bttracker.failure_reason"],
                                  "bttracker.request == 0"))
    assert sorted(rows) == [m["frame"] for m in answers]
    failures = 0
    for m in answers:
        req_in, interval, seeders, leechers, ips, ports, failure = rows[m["frame"]]
        a = m["answer"]
        assert int(req_in) == m["request_frame"]
        if b"failure reason" in a:
            failures += 1
            assert failure == a[b"failure reason"].decode()
        if b"interval" in a:
            assert int(interval) == a[b"interval"]
            assert int(seeders) == a[b"complete"] and int(leechers) == a[b"incomplete"]
        if "peers" in m:
            assert list(zip(split(ips), map(int, split(ports)))) == m["peers"]
    assert failures == 1


def test_http_real_scrape_answers(tshark):
    cap = tshark.capture(HTTP_REAL)
    for m in oracle.http_tracker(cap):
        if m["request"] or b"files" not in m["answer"]:
            continue
        rows = tshark.fields(cap, ["bttracker.info_hash", "bttracker.seeders", "bttracker.completed"],
                             f"frame.number == {m['frame']}")
        files = m["answer"][b"files"]
        assert split(rows[0][0]) == [k.hex() for k in files]
        assert list(map(int, split(rows[0][1]))) == [v[b"complete"] for v in files.values()]
        assert list(map(int, split(rows[0][2]))) == [v[b"downloaded"] for v in files.values()]


def test_http_real_one_pass_equals_two_pass(tshark):
    cap = tshark.capture(HTTP_REAL)
    fields = ["frame.number", "bttracker.action", "bttracker.request_in", "bttracker.peer.ip",
              "bttracker.info_hash", "bttracker.failure_reason", "_ws.col.Info"]
    assert tshark.fields(cap, fields, "bttracker", two_pass=False) == tshark.fields(cap, fields, "bttracker")


def test_http_half_can_be_switched_off(tshark):
    cap = tshark.capture(HTTP_REAL)
    assert tshark.count(cap, "bttracker") > 0
    assert tshark.count(cap, "bttracker", extra=["-o", "bttracker.http_enabled:FALSE"]) == 0
    assert tshark.count(cap, "http", extra=["-o", "bttracker.http_enabled:FALSE"]) == \
        tshark.count(cap, "http")


# ================================================================ links, real
@pytest.mark.parametrize("cap_name,kind", [(UDP_REAL, "udp"), (HTTP_REAL, "http")])
def test_returned_peers_match_connections(tshark, cap_name, kind):
    """Each TCP connection a client opened after a tracker answer goes to a
    peer that answer listed (the independent reader decides both)."""
    cap = tshark.capture(cap_name)
    msgs = oracle.udp_tracker(cap) if kind == "udp" else oracle.http_tracker(cap)
    answers = [m for m in msgs if not m["request"] and m.get("peers")]
    # Peer connections: every TCP connection except those to the tracker itself.
    conns = [c for c in oracle.tcp_connections(cap) if c[4] != oracle.TRACKER_PORT]
    assert conns
    # The dissector shows the same peers in the same frames.
    rows = by_frame(tshark.fields(cap, ["frame.number", "bttracker.peer.ip", "bttracker.peer.port"],
                                  "bttracker.peer"))
    for a in answers:
        assert list(zip(split(rows[a["frame"]][0]), map(int, split(rows[a["frame"]][1])))) == a["peers"]
    for n, src, sport, dst, dport in conns:
        before = [a for a in answers if a["frame"] < n]
        assert before, f"connection in frame {n} comes before any tracker answer"
        assert any((dst, dport) in a["peers"] for a in before), f"frame {n}: {dst}:{dport} was never returned"


@pytest.mark.skipif(not HAVE_BTPEER, reason="bt_handshake.so (btpeer) is not built: no handshake to link")
@pytest.mark.parametrize("cap_name,kind,source", [(UDP_REAL, "udp", "UDP tracker"),
                                                  (HTTP_REAL, "http", "HTTP tracker")])
def test_handshakes_linked_to_tracker(tshark, cap_name, kind, source):
    """btpeer.discovered_in names the first announce of the infohash and
    btpeer.peer_discovered_in the first tracker answer listing the endpoint."""
    cap = tshark.capture(cap_name)
    msgs = oracle.udp_tracker(cap) if kind == "udp" else oracle.http_tracker(cap)
    first_ih, first_ep = {}, {}
    for m in msgs:
        if m["request"]:
            ih = m.get("info_hash") if kind == "udp" else (
                m["params"]["info_hash"][0].hex() if m["path"] == "/announce" else None)
            if ih and (kind == "udp" and m["action"] == 1 or kind == "http"):
                first_ih.setdefault(ih, m["frame"])
        for ep in m.get("peers", []):
            first_ep.setdefault(ep, m["frame"])
    hs = oracle.handshakes(cap)
    assert hs
    rows = by_frame(tshark.fields(cap, ["frame.number", "btpeer.discovered_in", "btpeer.discovered_by",
                                        "btpeer.peer_discovered_in", "btpeer.peer_discovered_by"],
                                  "btpeer.info_hash"))
    for n, src, sport, dst, dport, ih in hs:
        disc_in, disc_by, peer_in, peer_by = rows[n]
        assert int(disc_in) == first_ih[ih] and disc_by == source
        ep = first_ep.get((dst, dport)) or first_ep.get((src, sport))
        assert ep and int(peer_in) == ep and peer_by == source


@pytest.mark.skipif(not HAVE_BTPEER, reason="bt_handshake.so (btpeer) is not built: no handshake to link")
@pytest.mark.parametrize("cap_name", [UDP_REAL, HTTP_REAL, "lsd-libtorrent-transmission.pcap"])
def test_links_same_in_one_and_two_passes(tshark, cap_name):
    """Lookups answer only from earlier frames, so a single pass (records
    made as it goes) and a second pass (store complete) agree."""
    cap = tshark.capture(cap_name)
    fields = ["frame.number", "btpeer.discovered_in", "btpeer.discovered_by", "btpeer.peer_discovered_in",
              "btpeer.peer_discovered_by"]
    one = tshark.fields(cap, fields, "btpeer.info_hash", two_pass=False)
    assert one and all(r[1] for r in one)
    assert one == tshark.fields(cap, fields, "btpeer.info_hash")
