"""tshark tests of btpeer on hand-built vectors (tests/vectors/make_btpeer_vectors.py)
and fuzzed input.  The vectors cover what the clients never sent and
malformed input; their expected values come from how the script builds them
and from the BEPs, not from the dissector's output.
"""
from collections import Counter
from pathlib import Path

import pytest

from bttest import (dissect_cleanly, editcap_mutation, experts_by_frame, frame_fields, have_plugin, randpkt, split as values,
                    vector, with_facts as available)

HAVE_UTP = have_plugin("utp")
needs_utp = pytest.mark.skipif(not HAVE_UTP, reason="utp.so not built")


@pytest.fixture(scope="session")
def vec(tshark):
    """name -> readable path of a vector of tests/vectors/btpeer."""
    return lambda name: vector(tshark, f"btpeer/{name}")


# ------------------------------------------------------------ hand-built vectors

def info(tshark, path):
    return {int(r[0]): r[1] for r in tshark.fields(path, ["frame.number", "_ws.col.Info"], "btpeer")}


def test_vector_handshake_bits_and_clients(tshark, vec):
    p = vec("btpeer-all-messages.pcap")
    f = ["btpeer.reserved.extension", "btpeer.reserved.dht", "btpeer.reserved.fast", "btpeer.reserved.v2",
         "btpeer.reserved.nat_traversal", "btpeer.reserved.azureus", "btpeer.reserved.unknown",
         "btpeer.client", "btpeer.client.version", "btpeer.client.style"]
    a = frame_fields(tshark, p, 4, f)
    assert [a[x] for x in f[:6]] == ["1", "1", "1", "1", "0", "0"]
    assert int(a["btpeer.reserved.unknown"], 16) == 0x0001000000000000   # byte 1, 0x01
    assert (a["btpeer.client"], a["btpeer.client.version"]) == ("qBittorrent", "4.5.2")
    b = frame_fields(tshark, p, 5, f)
    assert [b[x] for x in f[:6]] == ["1", "0", "1", "0", "1", "1"]
    assert b["btpeer.reserved.unknown"] == ""
    assert (b["btpeer.client"], b["btpeer.client.version"], b["btpeer.client.style"]) == \
        ("BitTorrent (Mainline)", "7.10.2", "Mainline-style")
    i = info(tshark, p)
    assert i[4] == "Handshake qBittorrent 4.5.2 [ext,dht,fast,v2,+1:0x01] ih=a0a1a2a3..."


def test_vector_every_message_type(tshark, vec):
    p = vec("btpeer-all-messages.pcap")
    types = Counter()
    for r in tshark.fields(p, ["btpeer.msg_type"], "btpeer", occurrence="a"):
        types.update(int(t) for t in values(r[0]))
    for t in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 20, 21, 22, 23, 42]:
        assert types[t] >= 1, t
    assert types[6] == 4 and types[20] == 13     # 2 from A, 11 from B
    i = info(tshark, p)
    assert i[8] == "Keep-alive, Interested, Not Interested, Interested, Bitfield 12/24 pieces, Have 5"
    assert i[11] == "Request 1/0+16384"                 # the Request cut into 3 segments
    assert i[13] == "Cancel 1/16384+16384, Port 6881, Suggest Piece 6"
    assert i[28] == "Piece 1/0 (16384 bytes)"           # 16397 bytes over 12 segments
    assert i[16] == "Choke, Unchoke, Have All, Have None, Allowed Fast 7, Suggest Piece 4"
    assert i[29] == "Reject 2/0+16384"
    assert i[32] == "Extended ut_pex +3 -1"
    h = frame_fields(tshark, p, 30, ["btpeer.hash.pieces_root", "btpeer.hash.base_layer", "btpeer.hash.index",
                                     "btpeer.hash.length", "btpeer.hash.proof_layers", "btpeer.hash.hash"])
    assert h["btpeer.hash.pieces_root"] == bytes(range(32)).hex()
    assert (h["btpeer.hash.index"], h["btpeer.hash.length"]) == ("0", "2")
    assert h["btpeer.hash.hash"].split(",") == ["11" * 32, "22" * 32]


def test_vector_request_matching(tshark, vec):
    p = vec("btpeer-all-messages.pcap")
    piece = frame_fields(tshark, p, 28, ["btpeer.piece.index", "btpeer.piece.begin", "btpeer.piece.length",
                                         "btpeer.request_in", "btpeer.piece.latency"])
    assert piece["btpeer.piece.length"] == "16384" and piece["btpeer.request_in"] == "11"
    assert abs(float(piece["btpeer.piece.latency"]) - 0.017) < 0.0005
    assert frame_fields(tshark, p, 29, ["btpeer.request_in"])["btpeer.request_in"] == "12"
    assert frame_fields(tshark, p, 13, ["btpeer.request_in"])["btpeer.request_in"] == "12"
    req = frame_fields(tshark, p, 12, ["btpeer.request.answered_in", "btpeer.request.cancelled_in",
                                       "btpeer.request.rejected_in"])
    assert req == {"btpeer.request.answered_in": "", "btpeer.request.cancelled_in": "13",
                   "btpeer.request.rejected_in": "29"}
    assert frame_fields(tshark, p, 11, ["btpeer.request.answered_in"])["btpeer.request.answered_in"] == "28"
    e = experts_by_frame(tshark, p)
    assert "Request never answered" in e[12]          # 3/0 was neither answered nor rejected
    assert "Request never answered" not in e.get(11, "")


def test_vector_extensions(tshark, vec):
    p = vec("btpeer-all-messages.pcap")
    hs = frame_fields(tshark, p, 6, ["btpeer.ext.hs.m", "btpeer.ext.hs.m.id", "btpeer.ext.hs.v", "btpeer.ext.hs.p",
                                     "btpeer.ext.hs.yourip", "btpeer.ext.hs.reqq", "btpeer.ext.hs.metadata_size",
                                     "btpeer.ext.hs.upload_only"])
    assert dict(zip(hs["btpeer.ext.hs.m"].split(","), map(int, hs["btpeer.ext.hs.m.id"].split(",")))) == \
        {"ut_pex": 1, "ut_metadata": 3, "ut_holepunch": 4, "lt_donthave": 7, "upload_only": 8,
         "share_mode": 9, "lt_tex": 11}
    assert (hs["btpeer.ext.hs.v"], hs["btpeer.ext.hs.p"], hs["btpeer.ext.hs.yourip"]) == \
        ("qBittorrent/4.5.2", "6881", "10.0.0.2")
    assert (hs["btpeer.ext.hs.reqq"], hs["btpeer.ext.hs.metadata_size"], hs["btpeer.ext.hs.upload_only"]) == \
        ("500", "5", "0")
    hs2 = frame_fields(tshark, p, 7, ["btpeer.ext.hs.yourip6", "btpeer.ext.hs.ipv4", "btpeer.ext.hs.ipv6"])
    assert hs2 == {"btpeer.ext.hs.yourip6": "fd00::1", "btpeer.ext.hs.ipv4": "10.0.0.2",
                   "btpeer.ext.hs.ipv6": "fd00::2"}
    # A -> B uses B's ids: 2 is ut_metadata for B
    assert frame_fields(tshark, p, 15, ["btpeer.ext.name", "btpeer.ext.metadata.msg_type"]) == \
        {"btpeer.ext.name": "ut_metadata", "btpeer.ext.metadata.msg_type": "0"}
    pex = frame_fields(tshark, p, 32, ["btpeer.ext.pex.added", "btpeer.ext.pex.added6", "btpeer.ext.pex.dropped",
                                       "btpeer.ext.pex.port", "btpeer.ext.pex.flags", "btpeer.ext.pex.flags.utp",
                                       "btpeer.ext.pex.flags.seed"])
    assert pex["btpeer.ext.pex.added"] == "10.0.0.5,10.0.0.6"
    assert pex["btpeer.ext.pex.added6"] == "fd00::2"
    assert pex["btpeer.ext.pex.dropped"] == "10.0.0.7"
    assert pex["btpeer.ext.pex.port"] == "6881,51413,6882,6883"
    assert [int(x, 16) for x in pex["btpeer.ext.pex.flags"].split(",")] == [0x05, 0x12, 0x08]
    assert pex["btpeer.ext.pex.flags.utp"] == "1,0,0" and pex["btpeer.ext.pex.flags.seed"] == "0,1,0"
    hp = frame_fields(tshark, p, 33, ["btpeer.ext.holepunch.msg_type", "btpeer.ext.holepunch.ip",
                                      "btpeer.ext.holepunch.port", "btpeer.ext.holepunch.error"])
    assert hp == {"btpeer.ext.holepunch.msg_type": "1", "btpeer.ext.holepunch.ip": "10.0.0.9",
                  "btpeer.ext.holepunch.port": "7000", "btpeer.ext.holepunch.error": "0"}
    hp6 = frame_fields(tshark, p, 34, ["btpeer.ext.holepunch.addr_type", "btpeer.ext.holepunch.ip6",
                                       "btpeer.ext.holepunch.error"])
    assert hp6 == {"btpeer.ext.holepunch.addr_type": "1", "btpeer.ext.holepunch.ip6": "fd00::1",
                   "btpeer.ext.holepunch.error": "2"}
    one = frame_fields(tshark, p, 35, ["btpeer.ext.name", "btpeer.piece.index", "btpeer.ext.upload_only",
                                       "btpeer.ext.share_mode"])
    assert one == {"btpeer.ext.name": "lt_donthave,upload_only,share_mode", "btpeer.piece.index": "9",
                   "btpeer.ext.upload_only": "1", "btpeer.ext.share_mode": "0"}
    md = frame_fields(tshark, p, 36, ["btpeer.ext.metadata.msg_type", "btpeer.ext.metadata.total_size",
                                      "btpeer.ext.metadata.data"])
    assert md == {"btpeer.ext.metadata.msg_type": "1", "btpeer.ext.metadata.total_size": "5",
                  "btpeer.ext.metadata.data": b"hello".hex()}
    e = experts_by_frame(tshark, p)
    assert "Extension id 99 was not announced by the receiving peer" in e[38]
    assert 'No decoder for extension "lt_tex"' in e[39]
    assert "Unknown message id 42" in e[40]


def test_vector_malformed(tshark, vec):
    p = vec("btpeer-malformed.pcap")
    e = experts_by_frame(tshark, p)
    i = info(tshark, p)
    assert "Peer id follows no known client convention" in e[4]
    assert "Extension id 1 was not announced" in e[6]
    assert "nesting too deep" in e[9] and i[9] == "Extended handshake (invalid)"
    assert "truncated" in e[10]
    assert 'Extension id of "huge" is not an integer in 0..255' in e[11]
    assert "Length 3 does not fit Have, which needs 5" in e[12]
    assert "Length 5 does not fit Piece, which needs 9 or more" in e[13]
    assert "Length 6 does not fit Choke" in e[14]
    assert "not a whole number of 32-byte hashes" in e[15]
    assert '"added" is 5 bytes, not a multiple of 6' in e[16]
    assert "Extension message too short" in e[17]
    assert "Payload is not a bencoded dictionary" in e[18]
    assert "Message length 2147483632 is above the 2097152-byte limit" in e[19]
    # the invalid length is reported once; what follows it in the segment
    # is continuation until a message boundary is found, never more lengths
    assert i[19] in ("Invalid message length", "Invalid message length, Continuation data")
    # the later, valid handshake replaced nothing it should not: B announced ut_pex = 1
    assert i[16] == "Extended ut_pex +0 -0"


def test_vector_max_length_preference(tshark, vec):
    p = vec("btpeer-all-messages.pcap")
    rows = tshark.fields(p, ["frame.number"], "_ws.expert.message contains \"above the 1000-byte limit\"",
                         extra=["-o", "btpeer.max_message_length:1000"])
    # the 16397-byte Piece starting in frame 17 is the first message above
    # 1000 bytes; what follows it in that direction can no longer be framed
    assert min(int(r[0]) for r in rows) == 17
    limited = ["-o", "btpeer.max_message_length:1000"]
    assert tshark.count(p, "btpeer.msg_type == 7", extra=limited) == 0
    # the next message starts a fresh segment: decoding picks up again there
    assert tshark.count(p, "btpeer.msg_type == 22", extra=limited) == 1


def test_vector_not_bittorrent(tshark, vec):
    assert tshark.count(vec("btpeer-not-bittorrent.pcap"), "btpeer") == 0


@needs_utp
def test_vector_utp_out_of_order(tshark, vec):
    p = vec("btpeer-utp-reordered.pcap")
    rows = tshark.fields(p, ["frame.number", "btpeer.ext.hs.v", "btpeer.ext.hs.reqq", "btpeer.ext.hs.m"],
                         "btpeer.ext.hs.m")
    assert len(rows) == 1                               # decoded once, whole
    frame, v, reqq, m = rows[0]
    assert v == "x" * 850 and reqq == "250" and sorted(m.split(",")) == ["ut_metadata", "ut_pex"]
    assert int(frame) in (6, 7)                         # where the gap closes
    types = [r[1] for r in tshark.fields(p, ["frame.number", "btpeer.msg_type"], "btpeer.msg_type")]
    assert types == ["20", "2"]
    assert tshark.count(p, "btpeer.pstr") == 2


# ------------------------------------------------------------ robustness

def fuzz_sources():
    caps = [f"test-captures/{n}.pcap" for n in available(["tcp-plain", "magnet-tcp"])]
    if HAVE_UTP:
        caps += [f"test-captures/{n}.pcap" for n in available(["magnet-utp", "utp-lossy"])]
    return caps + ["vectors/btpeer-all-messages.pcap", "vectors/btpeer-malformed.pcap"]


@pytest.mark.parametrize("src", fuzz_sources())
@pytest.mark.parametrize("seed", [1, 2])
def test_fuzz_editcap(tshark, vec, src, seed):
    if src.startswith("vectors/"):
        orig = vec(src.split("/", 1)[1])
    else:
        orig = tshark.capture(src.split("/", 1)[1])
    dissect_cleanly(tshark, editcap_mutation(tshark, orig, f"fuzz-{seed}-{Path(src).name}", 0.02, seed))


@pytest.mark.parametrize("kind", ["tcp", "udp"])
def test_fuzz_randpkt(tshark, kind):
    out = randpkt(tshark, f"randpkt-{kind}.pcap", kind, 3000, 1500)
    # heuristics first, so random TCP payload on any port reaches btpeer_tcp
    dissect_cleanly(tshark, out, ("-2", "-V", "-o", "tcp.try_heuristic_first:TRUE"))
