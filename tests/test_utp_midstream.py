"""uTP connections whose SYN was not captured (issue 7, item 5).

The captures are real ones cut at test time with editcap, as a capture
started late would be:  editcap -r <capture> <cut> <N+1>-<end>
Oracle: scripts/pcapread.py reading the cut capture's raw bytes (not our
dissectors), with the connection's endpoints and ids from the capture's
facts.json (scripts/utp_facts.py): every version-1 datagram between those
endpoints carrying one of the connection's ids is uTP.

One pass and two passes (and the GUI) differ only in the DATA packets held
before the other direction confirmed the connection (utp-midstream.c: at most
UTP_MID_HELD = 8 per direction): two passes show them as uTP with
utp.analysis.confirmed_in, one pass cannot know yet when it meets them.
"""
import pytest

from bttest import facts, follow_raw as follow
from utp_facts import parse_utp  # scripts/: the independent uTP reader
from utp_vectors import raw_udp_datagrams

UTP_MID_HELD = 8
CUTS = [("utp-libtorrent", 20), ("utp-libtorrent", 100), ("utp-transmission", 40),
        ("utp-transmission", 100)]


def cut(tshark, name, n):
    out = tshark.scratch(f"{name}-cut{n}.pcap")
    tshark.run(["-F", "pcap", "-r", tshark.capture(f"{name}.pcap"), str(out), f"{n + 1}-1000000"],
               binary="editcap")
    out.chmod(0o644)
    return str(out)


def oracle(path, name):
    """{frame: (direction 'i'/'a', type, seq, payload)} of the v1 uTP datagrams of
    the capture's connection, read from the raw bytes."""
    conn = facts(name)["utp"]["connections"][0]
    ids = {conn["syn_conn_id"], (conn["syn_conn_id"] + 1) & 0xFFFF}
    out = {}
    for num, sip, sport, dip, dport, payload in raw_udp_datagrams(path):
        src, dst = f"{sip}:{sport}", f"{dip}:{dport}"
        u = parse_utp(payload)
        if not u or u["version"] != 1 or u["conn"] not in ids:
            continue
        if {src, dst} != {conn["initiator"], conn["acceptor"]}:
            continue
        types = {"DATA": 0, "FIN": 1, "STATE": 2, "RESET": 3, "SYN": 4}
        out[num] = ("i" if src == conn["initiator"] else "a", types[u["type"]], u["seq"], u["payload"])
    return out


@pytest.mark.parametrize("name,n", CUTS)
def test_connection_without_syn_is_claimed(tshark, name, n):
    cap = cut(tshark, name, n)
    want = oracle(cap, name)
    assert want and all(t != 4 for _, t, _, _ in want.values())   # really no SYN
    two = {int(r[0]) for r in tshark.fields(cap, ["frame.number"], "utp && utp.ver == 1 && !icmp")}
    one = {int(r[0]) for r in tshark.fields(cap, ["frame.number"], "utp && utp.ver == 1 && !icmp",
                                            two_pass=False)}
    assert two == set(want)
    late = {int(r[0]) for r in tshark.fields(cap, ["frame.number"], "utp.analysis.confirmed_in")}
    assert one == set(want) - late
    assert len(late) <= 2 * UTP_MID_HELD
    # every late frame is a DATA before the frame that confirmed it
    for num, conf in tshark.fields(cap, ["frame.number", "utp.analysis.confirmed_in"],
                                   "utp.analysis.confirmed_in"):
        assert want[int(num)][1] == 0 and int(conf) > int(num)


@pytest.mark.parametrize("name,n", CUTS)
def test_stream_starts_at_first_captured_data_and_is_marked(tshark, name, n):
    cap = cut(tshark, name, n)
    want = oracle(cap, name)
    conn = facts(name)["utp"]["connections"][0]
    streams = {}
    for d in "ia":
        data = [(num, seq, p) for num, (dd, t, seq, p) in sorted(want.items()) if dd == d and t == 0 and p]
        if not data:
            continue
        # in order from the first captured DATA, each number once (16-bit unwrapping)
        first, seen = data[0][1], {}
        for _, seq, p in data:
            rel = (seq - first) & 0xFFFF
            if rel < 0x8000 and rel not in seen:
                seen[rel] = p
        streams[d] = b"".join(seen[k] for k in sorted(seen))
    a, b, node0 = follow(tshark, cap, 0)
    got = {("i" if node0 == conn["initiator"] else "a"): a, ("a" if node0 == conn["initiator"] else "i"): b}
    for d, s in streams.items():
        assert got[d] == s, d
    # the first delivery of each direction with data says the start was not captured
    marked = tshark.fields(cap, ["frame.number"], "utp.stream_mid_start")
    assert len(marked) == len(streams)
    assert tshark.count(cap, "utp.stream_after_gap") == 0


def test_one_pass_equals_two_pass_except_the_held_packets(tshark):
    cap = cut(tshark, "utp-libtorrent", 20)
    # forward links (reassembled_in, delivered_in) are two-pass knowledge, as in TCP
    fields = ["frame.number", "utp.stream", "utp.seq", "utp.ack", "utp.analysis.acks_frame",
              "utp.analysis.retransmission", "utp.analysis.bytes_in_flight", "utp.segment",
              "utp.reassembled.length", "utp.stream_mid_start", "utp.len"]
    late = {r[0] for r in tshark.fields(cap, ["frame.number"], "utp.analysis.confirmed_in")}
    assert late
    one = [r for r in tshark.fields(cap, fields, "utp", two_pass=False)]
    two = [r for r in tshark.fields(cap, fields, "utp") if r[0] not in late]
    assert one == two


def test_data_both_ways_pairs_only_when_numbers_agree(tshark):
    """Hand-built: only DATA packets, no SYN, no STATE.  BEP 29 ids: the
    initiator sends X+1, the acceptor X.  A's ack_nr (last B packet it got)
    must be near B's seq_nr and vice versa."""
    from pcapgen import write_pcap
    from utp_vectors import a2b, b2a, utp, ST_DATA
    X = 2000
    good = [a2b(utp(ST_DATA, X + 1, 300, 799, b"a1")),   # 1 held
            a2b(utp(ST_DATA, X + 1, 301, 799, b"a2")),   # 2 held
            b2a(utp(ST_DATA, X, 800, 301, b"b1")),       # 3 agrees: confirms
            a2b(utp(ST_DATA, X + 1, 302, 800, b"a3"))]   # 4
    cap = str(write_pcap(tshark.scratch("utp-mid-data.pcap"), good))
    assert [r[0] for r in tshark.fields(cap, ["frame.number"], "utp")] == ["1", "2", "3", "4"]
    assert [r[0] for r in tshark.fields(cap, ["frame.number"], "utp", two_pass=False)] == ["3", "4"]
    conf = tshark.fields(cap, ["frame.number", "utp.analysis.confirmed_in"], "utp.analysis.confirmed_in")
    assert conf == [["1", "3"], ["2", "3"]]
    a, b, node0 = follow(tshark, cap, 0)
    if node0 != "10.0.0.1:40000":
        a, b = b, a
    assert a == b"a1a2a3" and b == b"b1"
    # the same with B acking numbers A never used: nothing is uTP
    bad = good[:2] + [b2a(utp(ST_DATA, X, 800, 30000, b"b1")), good[3]]
    cap = str(write_pcap(tshark.scratch("utp-mid-data-bad.pcap"), bad))
    assert tshark.count(cap, "utp") == 0
