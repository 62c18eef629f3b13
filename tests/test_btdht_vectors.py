"""btdht on hand-built KRPC vectors (tests/dht_vectors.py): the extension
keys real captures lack, BEP 42 checks on public addresses, pairing edge
cases, bad input and bounds.  Expectations come from how each vector was
built."""
import pytest

import dht_vectors as dv
from bttest import experts_by_frame, frame_fields, split


@pytest.fixture(scope="module")
def cap(tshark):
    path = tshark.scratch("dht-vectors.pcap")
    dv.write(path)
    path.chmod(0o644)
    return str(path)


def hexbytes(v):
    """A bytes field as plain hex (tshark versions differ in separators)."""
    return v.replace(":", "")


def f(tshark, cap, frame, *fields):
    return frame_fields(tshark, cap, frame, list(fields))


def test_claimed_frames(tshark, cap):
    assert [int(r[0]) for r in tshark.fields(cap, ["frame.number"], "btdht")] == list(range(1, 19))


def test_bep42_and_bep43(tshark, cap):
    assert f(tshark, cap, 1, "btdht.id.bep42", "btdht.v.client", "btdht.v.version") == \
        {"btdht.id.bep42": "1", "btdht.v.client": "libtorrent-rasterbar", "btdht.v.version": "2.0"}
    got = f(tshark, cap, 2, "btdht.id.bep42", "btdht.ip.addr", "btdht.ip.port", "btdht.ip.id_match", "btdht.ro")
    assert got == {"btdht.id.bep42": "0", "btdht.ip.addr": dv.A, "btdht.ip.port": "6881",
                   "btdht.ip.id_match": "1", "btdht.ro": "1"}


def test_bep33_scrape(tshark, cap):
    assert f(tshark, cap, 3, "btdht.scrape", "btdht.noseed") == {"btdht.scrape": "1", "btdht.noseed": "1"}
    got = f(tshark, cap, 4, "btdht.bloom.estimate", "btdht.peer.ip", "btdht.peer.ip6", "btdht.peer.port",
            "btdht.values.count", "btdht.nodes.count", "btdht.node.common_bits")
    # BFpe (keys sorted: first) is full: the formula's ceiling for one zero bit; BFsd has two bits: one element
    assert split(got["btdht.bloom.estimate"]) == ["7806", "1"]
    assert got["btdht.peer.ip"] == "192.0.2.5" and got["btdht.peer.ip6"] == "2001:db8::5"
    assert split(got["btdht.peer.port"]) == ["51413", "6882"] and got["btdht.values.count"] == "2"
    # nodes share 16 bits with the target (ab ab ..); node(1): third byte 01 vs ab -> 16; node(0x80): 80 vs ab -> 18
    assert got["btdht.nodes.count"] == "2" and split(got["btdht.node.common_bits"]) == ["16", "18"]
    ex = experts_by_frame(tshark, cap)[4]
    assert "not a 6- or 18-byte string" in ex and "3 left over" in ex and "saturated" in ex


def test_bep44_and_errors(tshark, cap):
    got = f(tshark, cap, 5, "btdht.q", "btdht.seq", "btdht.target")
    assert (got["btdht.q"], got["btdht.seq"], hexbytes(got["btdht.target"])) == ("get", "4", "ab" * 20)
    got = f(tshark, cap, 6, "btdht.k", "btdht.sig", "btdht.seq", "btdht.salt", "btdht.cas", "btdht.bencode.key")
    assert hexbytes(got["btdht.k"]) == (b"K" * 32).hex() and hexbytes(got["btdht.sig"]) == (b"S" * 64).hex()
    assert (got["btdht.seq"], got["btdht.cas"], hexbytes(got["btdht.salt"])) == ("5", "4", b"salt".hex())
    assert split(got["btdht.bencode.key"]) == ["msg", "n"]
    got = f(tshark, cap, 7, "btdht.error.code", "btdht.error.msg", "btdht.request_in")
    assert got == {"btdht.error.code": "302", "btdht.error.msg": "Sequence number less than current",
                   "btdht.request_in": "6"}
    assert "answered with an error" in experts_by_frame(tshark, cap)[7]
    assert "Error code no BEP defines" in experts_by_frame(tshark, cap)[14]


def test_pairing_edge_cases(tshark, cap):
    assert f(tshark, cap, 8, "btdht.unanswered")["btdht.unanswered"] == "1"
    assert f(tshark, cap, 9, "btdht.duplicate_tid", "btdht.response_in") == \
        {"btdht.duplicate_tid": "8", "btdht.response_in": "10"}
    assert f(tshark, cap, 10, "btdht.request_in")["btdht.request_in"] == "9"
    assert f(tshark, cap, 11, "btdht.duplicate_answer", "btdht.request_in") == \
        {"btdht.duplicate_answer": "10", "btdht.request_in": "9"}
    assert f(tshark, cap, 12, "btdht.request_in")["btdht.request_in"] == ""
    assert "not captured" in experts_by_frame(tshark, cap)[12]


def test_unknown_bad_and_bounded(tshark, cap):
    got = f(tshark, cap, 13, "btdht.q", "btdht.key", "btdht.top_key", "btdht.response_in")
    assert got == {"btdht.q": "vote", "btdht.key": "foo", "btdht.top_key": "zz", "btdht.response_in": "14"}
    assert "Invalid bencoding" in experts_by_frame(tshark, cap)[15]
    got = f(tshark, cap, 16, "btdht.interval", "btdht.num", "btdht.sample", "btdht.key")
    assert (got["btdht.interval"], got["btdht.num"], len(split(got["btdht.sample"]))) == ("21600", "7", 3)
    assert got["btdht.key"] == "port"          # 70000 is no port: shown generically
    assert "wrong type or length" in experts_by_frame(tshark, cap)[16]
    got = f(tshark, cap, 17, "btdht.nodes.count", "btdht.more_items")
    assert got == {"btdht.nodes.count": str(dv.MAX_ITEMS + 3), "btdht.more_items": "3"}
    assert f(tshark, cap, 18, "btdht.q")["btdht.q"] == "ping"


def test_one_pass_shows_the_same_links_backwards(tshark, cap):
    """request_in and rtt are first-pass facts: one-pass output has them too."""
    two = tshark.fields(cap, ["frame.number", "btdht.request_in", "btdht.rtt"], "btdht.request_in")
    one = tshark.fields(cap, ["frame.number", "btdht.request_in", "btdht.rtt"], "btdht.request_in", two_pass=False)
    assert one == two and len(two) >= 6


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzzed_dht_dissects_cleanly(tshark, cap, seed):
    """Mutated real DHT traffic and vectors: no crash, no dissector bug, no
    sanitizer report (strict wmem)."""
    import bttest
    real = bttest.editcap_mutation(tshark, tshark.capture("dht-libtorrent-aria2.pcap"), f"dht-fuzz-{seed}.pcap",
                                   "0.02", seed)
    vec = bttest.editcap_mutation(tshark, cap, f"dht-vec-fuzz-{seed}.pcap", "0.05", seed)
    for path in (real, vec):
        bttest.dissect_cleanly(tshark, path)
