"""tshark tests of bttracker on hand-built vectors
(tests/vectors/discovery/tracker-{udp,http}-vectors.pcap, described frame by
frame in make_vectors.py; expected values from BEP 15 / BEP 3, 23, 48) and
fuzzed input.
"""
import random
import struct

import pytest

import make_vectors
from bttest import (FUZZ_ENV, by_frame, dissect_cleanly, editcap_mutation, frame_experts as experts,
                    randpkt, vector)
from pcapgen import udp_frame, write_pcap

IHB = make_vectors.IH                # the vectors' info hashes, and as hex:
IH = [h.hex() for h in IHB]
# the real captures the fuzz smoke mutates (test_bttracker.py reads them whole)
UDP_REAL, HTTP_REAL = "tracker-udp-libtorrent.pcap", "tracker-http-libtorrent.pcap"


# ================================================================ UDP vectors
def test_udp_vectors_connect_and_announce(tshark):
    cap = vector(tshark, "discovery/tracker-udp-vectors.pcap")
    r = by_frame(tshark.fields(cap, ["frame.number", "bttracker.request_in", "bttracker.response_in",
                                     "bttracker.udp.connection_id", "bttracker.udp.connection_id.issued_in"],
                               "frame.number <= 4"))
    assert r[1] == ["", "2", "0x0000041727101980", ""]
    assert r[2] == ["1", "", "0x1122334455667788", ""]
    assert r[3] == ["", "4", "0x1122334455667788", "2"]
    a = tshark.fields(cap, ["bttracker.info_hash", "bttracker.event", "bttracker.num_want", "bttracker.udp.key",
                            "bttracker.downloaded", "bttracker.left", "bttracker.uploaded",
                            "bttracker.udp.option.type", "bttracker.udp.option.url_data", "bttracker.udp.option.data"],
                      "frame.number == 3")[0]
    assert a == [IH[0], "2", "-1", "0xcafebabe", "1000", "2000", "3000", "1,2,7,0", "/ann", "aabb"]
    b = tshark.fields(cap, ["bttracker.peer.ipv6", "bttracker.peer.port", "bttracker.interval",
                            "bttracker.leechers", "bttracker.seeders", "bttracker.info_hash"], "frame.number == 4")[0]
    assert b == ["fd78::31,fd78::32", "6881,51413", "1800", "1", "2", IH[0]]


def test_udp_vectors_scrape(tshark):
    cap = vector(tshark, "discovery/tracker-udp-vectors.pcap")
    assert tshark.fields(cap, ["bttracker.info_hash", "bttracker.udp.info_hash_count"], "frame.number == 5")[0] == \
        [",".join(IH), "3"]
    assert tshark.fields(cap, ["bttracker.info_hash", "bttracker.seeders", "bttracker.completed",
                               "bttracker.leechers", "bttracker.request_in"], "frame.number == 6")[0] == \
        [",".join(IH), "5,0,7", "10,0,8", "1,0,9", "5"]


def test_udp_vectors_anomalies(tshark):
    cap = vector(tshark, "discovery/tracker-udp-vectors.pcap")
    assert "Connection ID not issued" in experts(tshark, cap, 7)
    assert tshark.fields(cap, ["bttracker.failure_reason", "bttracker.request_in"], "frame.number == 8")[0] == \
        ["Connection ID missmatch.", "7"]
    assert "Transaction ID matches no request" in experts(tshark, cap, 9)
    assert tshark.fields(cap, ["bttracker.request_in"], "frame.number == 9")[0] == [""]
    assert "answers a Announce request" in experts(tshark, cap, 11)
    assert "shorter than its 20-byte fixed part" in experts(tshark, cap, 13)
    assert tshark.fields(cap, ["bttracker.request_in"], "frame.number == 13")[0] == ["12"]
    assert "bytes after the last 12-byte scrape entry" in experts(tshark, cap, 15)
    assert tshark.fields(cap, ["bttracker.peer.ip", "bttracker.peer.port"], "frame.number == 19")[0] == \
        ["10.78.0.41,10.78.0.42", "6881,6889"]
    assert "after the last 6-byte peer entry" in experts(tshark, cap, 19)
    assert "shorter than 16 bytes" in experts(tshark, cap, 20)
    assert tshark.fields(cap, ["bttracker.event"], "frame.number == 10 or frame.number == 12") == [["1"], ["3"]]


def test_udp_response_without_any_request(tshark):
    """A lone answer on a configured tracker port: decoded, flagged."""
    path = tshark.scratch("disc-lone-answer.pcap")
    write_pcap(path, [udp_frame("10.78.0.3", 7000, "10.78.0.21", 40009,
                                struct.pack(">IIIII", 1, 77, 1800, 0, 1) + bytes([10, 78, 0, 9, 0x1a, 0xe1]))])
    path.chmod(0o644)
    row = tshark.fields(str(path), ["bttracker.peer.ip", "_ws.expert.message"], "bttracker",
                        extra=["-o", "bttracker.udp.port:7000"])
    assert row == [["10.78.0.9", "Response with no request in this capture"]]


def test_udp_heuristic_needs_connect(tshark):
    """Without a connect and without a configured port, nothing is claimed."""
    path = tshark.scratch("disc-no-connect.pcap")
    write_pcap(path, [udp_frame("10.78.0.3", 7000, "10.78.0.21", 40009, struct.pack(">IIIII", 1, 77, 1800, 0, 1))])
    path.chmod(0o644)
    assert tshark.count(str(path), "bttracker") == 0


# ================================================================ HTTP vectors
def test_http_vectors_announce(tshark):
    cap = vector(tshark, "discovery/tracker-http-vectors.pcap")
    a = tshark.fields(cap, ["bttracker.info_hash", "bttracker.peer_id", "bttracker.port", "bttracker.uploaded",
                            "bttracker.downloaded", "bttracker.left", "bttracker.event", "bttracker.num_want",
                            "bttracker.http.compact", "bttracker.http.key", "bttracker.response_in"],
                      "frame.number == 1")[0]
    assert a == ["00112233442b66778899aabbccddeeff00112233", b"-XX0001-vectorpeer01".hex(), "6881", "3000",
                 "1000", "2000", "1", "-1", "0", "ab12", "2"]
    b = tshark.fields(cap, ["bttracker.request_in", "bttracker.interval", "bttracker.http.min_interval",
                            "bttracker.peer.ip", "bttracker.peer.ipv6", "bttracker.peer.host", "bttracker.peer.port",
                            "bttracker.peer.peer_id", "bttracker.http.tracker_id", "bttracker.http.warning_message"],
                      "frame.number == 2")[0]
    assert b == ["1", "1800", "60", "10.78.0.61", "fd78::62,fd78::63", "example.net", "6881,6882,6883,6884",
                 b"-XX0001-peersixtyone".hex(), "t1d", "be nice!"]


def test_http_vectors_scrape_failure_truncated(tshark):
    cap = vector(tshark, "discovery/tracker-http-vectors.pcap")
    assert tshark.fields(cap, ["bttracker.action", "bttracker.info_hash"], "frame.number == 3")[0] == \
        ["2", ",".join(IH[:2])]
    assert tshark.fields(cap, ["bttracker.info_hash", "bttracker.seeders", "bttracker.completed",
                               "bttracker.leechers"], "frame.number == 4")[0] == \
        [",".join(IH[:2]), "4,0", "7,0", "2,1"]
    assert tshark.fields(cap, ["bttracker.failure_reason"], "frame.number == 6")[0] == ["not allowed!"]
    assert tshark.fields(cap, ["bttracker.interval", "bttracker.peer.ip"], "frame.number == 8")[0] == ["1800", ""]
    assert "Bencode error" in experts(tshark, cap, 8)


def test_http_vectors_bad_query(tshark):
    cap = vector(tshark, "discovery/tracker-http-vectors.pcap")
    msgs = experts(tshark, cap, 9)
    for m in ("19 bytes after un-escaping", "Malformed %-escape", "bttracker.port is not a number",
              "Unknown announce event"):
        assert m in msgs
    assert tshark.fields(cap, ["bttracker.http.path", "bttracker.http.event"], "frame.number == 9")[0] == \
        ["/announce.php", "bogus"]
    assert tshark.fields(cap, ["bttracker.peer.ip"], "frame.number == 10")[0] == ["10.78.0.81"]


def test_http_vectors_ordinary_http_untouched(tshark):
    cap = vector(tshark, "discovery/tracker-http-vectors.pcap")
    assert tshark.count(cap, "bttracker and (frame.number == 11 or frame.number == 12)") == 0
    assert tshark.count(cap, "frame.number == 11 and http.request.uri == \"/index.html?lang=en\"") == 1
    assert tshark.count(cap, "frame.number == 12 and http.response.code == 200 and data-text-lines") == 1


def test_http_vectors_answer_without_request(tshark):
    cap = vector(tshark, "discovery/tracker-http-vectors.pcap")
    assert tshark.fields(cap, ["bttracker.peer.ip", "bttracker.seeders", "bttracker.interval"],
                         "frame.number == 13")[0] == ["10.78.0.91", "1", "900"]
    assert "Response with no request" in experts(tshark, cap, 13)
    assert tshark.count(cap, "frame.number == 13 and bttracker",
                        extra=["-o", "bttracker.http_guess_answers:FALSE"]) == 0


# ================================================================ fuzz smoke
def _mutate(rnd, b):
    b = bytearray(b)
    for _ in range(rnd.randint(1, 6)):
        i = rnd.randrange(len(b)) if b else 0
        op = rnd.random()
        if op < 0.5 and b:
            b[i] = rnd.randrange(256)
        elif op < 0.75:
            del b[i:i + rnd.randint(1, 40)]
        else:
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
    return bytes(b)


def test_fuzz_udp_tracker(tshark):
    """Mutated requests and answers inside a conversation pinned by a connect."""
    rnd = random.Random(15)
    up = [make_vectors.announce_req(make_vectors.CID, 5, IHB[0], 2, 6881, b"\x01\x02\x04/ann\x00"),
          struct.pack(">QII", make_vectors.CID, 2, 6) + IHB[0] + IHB[1]]
    down = [struct.pack(">IIIII", 1, 5, 1800, 1, 2) + bytes(18 * 3),
            struct.pack(">II", 2, 6) + bytes(24), struct.pack(">II", 3, 7) + b"error text"]
    frames = [udp_frame("10.78.0.21", 40001, "10.78.0.3", 6969, make_vectors.connect_req(1))]
    for i in range(600):
        if i % 2:
            frames.append(udp_frame("10.78.0.21", 40001, "10.78.0.3", 6969, _mutate(rnd, rnd.choice(up))))
        else:
            frames.append(udp_frame("10.78.0.3", 6969, "10.78.0.21", 40001, _mutate(rnd, rnd.choice(down))))
    path = tshark.scratch("disc-udp-tracker-fuzz.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    rows = tshark.fields(str(path), ["frame.number"], "bttracker", env=FUZZ_ENV)
    assert len(rows) >= 550      # a few mutations shrink below 8 bytes


def test_fuzz_http_tracker(tshark):
    """Mutated bencoded answers, each after a valid announce on its own connection."""
    rnd = random.Random(23)
    base = (b"d8:intervali1800e12:min intervali60e5:peersld2:ip8:10.0.0.14:porti1ee"
            b"d2:ip3:::14:porti2eee6:peers618:" + bytes(18) + b"5:filesd20:" + bytes(20) +
            b"d8:completei1eee14:failure reason1:xe")
    frames = []
    for i in range(200):
        t = make_vectors.Tcp("10.78.0.51", 20000 + i, "10.78.0.3", 6969)
        frames.append(t.seg(True, make_vectors.get(f"/announce?info_hash={make_vectors.pct(IHB[0])}")))
        frames.append(t.seg(False, make_vectors.ok(_mutate(rnd, base))))
    path = tshark.scratch("disc-http-tracker-fuzz.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    rows = tshark.fields(str(path), ["frame.number"], "bttracker.request == 0", env=FUZZ_ENV)
    assert len(rows) >= 190


@pytest.mark.parametrize("cap_name,seed", [(UDP_REAL, 1), (UDP_REAL, 2), (HTTP_REAL, 3), (HTTP_REAL, 4)])
def test_fuzz_editcap(tshark, cap_name, seed):
    dissect_cleanly(tshark, editcap_mutation(tshark, tshark.capture(cap_name),
                                             f"disc-tracker-editcap-{seed}.pcap", 0.03, seed))


def test_fuzz_randpkt_tcp(tshark):
    dissect_cleanly(tshark, randpkt(tshark, "disc-randpkt-tcp.pcap", "tcp", 500, 800), ("-V",))
