"""tshark tests of the btlsd plugin (BEP 14 Local Service Discovery).

Real capture: test-captures/lsd-libtorrent-transmission.pcap
(scripts/make-discovery-captures: two libtorrent 2.0.8 sessions announcing two
torrents over IPv4 and IPv6 multicast, a transmission-daemon 3.00 seed
announcing one (upper-case infohash, no cookie), then the TCP connections the
announces led to).  The expected values come from
tests/discovery_oracle.py, an independent pcap reader.
Hand-built vectors: tests/vectors/discovery/lsd-vectors.pcap (make_vectors.py),
expected values written from BEP 14 next to each frame's description.
"""
import random

import pytest

import discovery_oracle as oracle
from bttest import (FUZZ_ENV, by_frame, dissect_cleanly, editcap_mutation, have_plugin, randpkt, split,
                    vector)
from pcapgen import udp_frame, write_pcap

REAL = "lsd-libtorrent-transmission.pcap"
IH = ["0123456789abcdef0123456789abcdef01234567",
      "89abcdef0123456789abcdef0123456789abcdef",
      "fedcba9876543210fedcba9876543210fedcba98"]
HAVE_BTPEER = have_plugin("bt_handshake")


@pytest.fixture(scope="module")
def vectors(tshark):
    return vector(tshark, "discovery/lsd-vectors.pcap")


# ---------------------------------------------------------------- real capture
def test_every_real_announce_decoded(tshark):
    cap = tshark.capture(REAL)
    expected = oracle.lsd_announces(cap)
    assert len(expected) >= 8, "the capture should hold several announces"
    rows = by_frame(tshark.fields(cap, ["frame.number", "btlsd.info_hash", "btlsd.cookie", "btlsd.port",
                                        "btlsd.info_hash_count"], "btlsd"))
    assert sorted(rows) == [a["frame"] for a in expected]
    for a in expected:
        hashes, cookie, port, count = rows[a["frame"]]
        assert split(hashes) == a["infohashes"]
        assert cookie == (a["cookie"] or "")
        assert int(port) == a["port"]
        assert int(count) == len(a["infohashes"])


def test_real_both_groups_and_no_expert(tshark):
    cap = tshark.capture(REAL)
    expected = {a["frame"]: a for a in oracle.lsd_announces(cap)}
    rows = by_frame(tshark.fields(cap, ["frame.number", "btlsd.group", "_ws.expert"], "btlsd"))
    families = set()
    for n, (group, expert) in rows.items():
        fam = 6 if ":" in expected[n]["dst"] else 4
        families.add(fam)
        assert int(group) == fam
        assert expert == "", f"frame {n}: unexpected expert info on a clean announce"
    assert families == {4, 6}


def test_real_info_column(tshark):
    cap = tshark.capture(REAL)
    expected = [f"LSD announce port {a['port']}, 1 infohash" for a in oracle.lsd_announces(cap)]
    assert tshark.fields(cap, ["_ws.col.Info"], "btlsd") == [[e] for e in expected]


def test_real_transmission_announce(tshark):
    """Transmission's LPD: upper-case infohash (shown as bytes all the same), no cookie."""
    cap = tshark.capture(REAL)
    tr = [a for a in oracle.lsd_announces(cap) if a["port"] == 51413]
    assert tr, "the transmission-daemon node announced"
    for a in tr:
        assert a["cookie"] is None
        row = tshark.fields(cap, ["btlsd.info_hash", "btlsd.cookie", "_ws.expert"],
                            f"frame.number == {a['frame']}")[0]
        assert row == [a["infohashes"][0], "", ""]


def test_takes_precedence_over_builtin(tshark):
    cap = tshark.capture(REAL)
    assert tshark.count(cap, "lsd") == 0
    assert tshark.count(cap, "btlsd") == len(oracle.lsd_announces(cap))


def test_one_pass_equals_two_pass(tshark):
    cap = tshark.capture(REAL)
    fields = ["frame.number", "btlsd.info_hash", "btlsd.cookie", "btlsd.port", "btlsd.group", "btlsd.host"]
    assert tshark.fields(cap, fields, "btlsd", two_pass=True) == tshark.fields(cap, fields, "btlsd", two_pass=False)


@pytest.mark.skipif(not HAVE_BTPEER, reason="bt_handshake.so (btpeer) is not built: no handshake to link")
def test_handshakes_linked_to_lsd(tshark):
    """Each handshake names the first LSD frame that announced its infohash,
    and the first LSD frame that announced its listening endpoint."""
    cap = tshark.capture(REAL)
    ann = oracle.lsd_announces(cap)
    first_ih, first_ep = {}, {}
    for a in ann:
        for h in a["infohashes"]:
            first_ih.setdefault(h, a["frame"])
        first_ep.setdefault((a["src"], a["port"]), a["frame"])
    hs = oracle.handshakes(cap)
    assert hs, "the capture holds peer connections"
    rows = by_frame(tshark.fields(cap, ["frame.number", "btpeer.discovered_in", "btpeer.discovered_by",
                                        "btpeer.peer_discovered_in", "btpeer.peer_discovered_by"],
                                  "btpeer.info_hash"))
    checked = 0
    for n, src, sport, dst, dport, ih in hs:
        assert n in rows, f"handshake in frame {n} not decoded by btpeer"
        disc_in, disc_by, peer_in, peer_by = rows[n]
        assert int(disc_in) == first_ih[ih] and disc_by == "LSD"
        ep = first_ep.get((dst, dport)) or first_ep.get((src, sport))
        assert ep is not None and int(peer_in) == ep and peer_by == "LSD"
        checked += 1
    assert checked >= 2


def test_real_connections_follow_announces(tshark):
    """Every TCP connection in the capture goes to an endpoint (source
    address, Port) that an LSD announce named before it."""
    cap = tshark.capture(REAL)
    first = {}
    for a in oracle.lsd_announces(cap):
        first.setdefault((a["src"], a["port"]), a["frame"])
    conns = oracle.tcp_connections(cap)
    assert len(conns) >= 4
    for n, src, sport, dst, dport in conns:
        assert first.get((dst, dport), n) < n, f"frame {n}: {dst}:{dport} not announced before"


# ---------------------------------------------------------------- hand-built vectors
def test_vector_several_infohashes_and_cookie(tshark, vectors):
    rows = by_frame(tshark.fields(vectors, ["frame.number", "btlsd.info_hash", "btlsd.cookie", "btlsd.port",
                                            "_ws.col.Info"], "frame.number == 1"))
    hashes, cookie, port, info = rows[1]
    assert split(hashes) == IH
    assert cookie == "c00k1e"
    assert port == "6881"
    assert info == "LSD announce port 6881, 3 infohashes"


def test_vector_bad_infohash(tshark, vectors):
    rows = by_frame(tshark.fields(vectors, ["frame.number", "btlsd.info_hash", "btlsd.info_hash.text",
                                            "btlsd.header.name", "btlsd.header.value", "_ws.col.Info"],
                                  "frame.number == 2"))
    hashes, invalid, hname, hvalue, info = rows[2]
    assert split(hashes) == [IH[1]]                 # the upper-case one, normalised
    assert invalid == IH[0][:39]
    assert (hname, hvalue) == ("X-Client", "vectors")
    assert info == "LSD announce port 51413, 1 infohash"
    assert tshark.count(vectors, "frame.number == 2 and _ws.expert.message contains \"40 hex\"") == 1


def test_vector_ipv6_group(tshark, vectors):
    rows = by_frame(tshark.fields(vectors, ["frame.number", "btlsd.group", "btlsd.info_hash", "btlsd.cookie"],
                                  "frame.number == 3"))
    assert rows[3] == ["6", IH[2], ""]
    assert tshark.count(vectors, "frame.number == 3 and _ws.expert") == 0


def test_vector_other_destination_noted(tshark, vectors):
    assert tshark.count(vectors, "frame.number == 4 and btlsd.group == 0") == 1
    assert tshark.count(vectors, "frame.number == 4 and btlsd.info_hash") == 1       # still decoded
    assert tshark.count(vectors, "frame.number == 4 and _ws.expert.message contains \"multicast group\"") == 1


def test_vector_not_lsd_on_6771(tshark, vectors):
    assert tshark.count(vectors, "btlsd and (frame.number == 5 or frame.number == 9)") == 0


def test_vector_malformed_lines_rest_decoded(tshark, vectors):
    rows = by_frame(tshark.fields(vectors, ["frame.number", "btlsd.info_hash", "btlsd.cookie", "btlsd.line",
                                            "btlsd.port"], "frame.number == 6"))
    hashes, cookie, line, port = rows[6]
    assert split(hashes) == [IH[1]]
    assert cookie == "lf-only"
    assert line == "this line has no colon"
    assert port == ""                                # 99999 is not a port
    msgs = tshark.fields(vectors, ["_ws.expert.message"], "frame.number == 6", occurrence="a")[0][0]
    for m in ("Port is not a number", "not \"Name: value\"", "not ended by CRLF", "No valid Port"):
        assert m in msgs


def test_vector_truncated(tshark, vectors):
    rows = by_frame(tshark.fields(vectors, ["frame.number", "btlsd.info_hash", "btlsd.info_hash.text",
                                            "btlsd.port"], "frame.number == 7"))
    assert rows[7] == [IH[0], "0123", "6882"]


def test_vector_host_family_mismatch(tshark, vectors):
    assert tshark.count(vectors, "frame.number == 8 and _ws.expert.message contains \"IPv4 group\"") == 1
    assert tshark.count(vectors, "frame.number == 8 and btlsd.group == 6 and btlsd.port == 6883") == 1


# ---------------------------------------------------------------- fuzz smoke


def _mutations(seed, base, count):
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        b = bytearray(base)
        for _ in range(rnd.randint(1, 8)):
            op = rnd.random()
            i = rnd.randrange(len(b))
            if op < 0.5:
                b[i] = rnd.choice(b"\r\n:0aZ \x00\xff")
            elif op < 0.75:
                del b[i:i + rnd.randint(1, 30)]
            else:
                b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 20)))
        out.append(bytes(b))
    return out


def test_fuzz_mutated_announces(tshark):
    """Byte-level mutations that keep the request line, so every one reaches
    btlsd: no dissector bug, no wmem overrun."""
    base = (b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
            b"Infohash: " + IH[0].encode() + b"\r\nInfohash: " + IH[1].encode() + b"\r\ncookie: abc\r\n\r\n")
    frames = []
    for p in _mutations(1234, base[22:], 400):
        frames.append(udp_frame("10.78.0.1", 6771, "239.192.152.143", 6771, base[:22] + p))
    path = tshark.scratch("disc-lsd-fuzz.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    rows = tshark.fields(str(path), ["frame.number"], "btlsd", env=FUZZ_ENV)
    assert len(rows) == 400


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzz_editcap(tshark, seed):
    dissect_cleanly(tshark, editcap_mutation(tshark, tshark.capture(REAL), f"disc-lsd-editcap-{seed}.pcap",
                                             0.05, seed), ("-V",))


def test_fuzz_randpkt(tshark):
    dissect_cleanly(tshark, randpkt(tshark, "disc-randpkt-udp.pcap", "udp", 500, 600), ("-V",))
