"""The btdht plugin (BEP 5 KRPC and extensions) on real captures, against the
independent reader of tests/dht_oracle.py (bdecode of the raw UDP payloads)
and the capture script's facts (scripts/make-dht-captures): every KRPC
datagram decoded, every query paired or flagged unanswered as the reader
pairs it, values peers and distances as the bytes say, the DHT discovery
link on the connection to a peer a get_peers answer named, the statistics,
and the coexistence with the built-in bt-dht.
"""
import random
import re

import pytest

import bttest
import dht_oracle as oracle
from bttest import NOT_QUOTED, classic_pcap, facts, first, split
from pcapgen import udp_frame, write_pcap
from udp_corpora import near_miss, negative_corpus

CAP = "dht-libtorrent-aria2"
PUBLIC = "public-suricata-bittorrent-dht"
FIELDS = ["frame.number", "btdht.y", "btdht.q", "btdht.request_in", "btdht.response_in", "btdht.rtt",
          "btdht.unanswered", "btdht.peer.ip", "btdht.peer.ip6", "btdht.peer.port", "btdht.nodes.count",
          "btdht.node.common_bits", "btdht.v.client"]


@pytest.fixture(scope="module", params=[CAP, PUBLIC])
def decoded(request, tshark):
    name = request.param
    path = tshark.capture(f"{name}.pcap")
    msgs = oracle.krpc(classic_pcap(tshark, f"{name}.pcap"))
    rows = tshark.fields(path, FIELDS, f"btdht && {NOT_QUOTED}", occurrence="a")
    return name, msgs, {int(r[0]): dict(zip(FIELDS[1:], r[1:])) for r in rows}, \
        oracle.claimed(classic_pcap(tshark, f"{name}.pcap"))


def test_every_krpc_datagram_decoded(decoded):
    name, msgs, rows, claimed = decoded
    assert len(msgs) > (300 if name == CAP else 10)
    assert sorted(rows) == claimed
    assert set(claimed) - {m["frame"] for m in msgs} == ({15} if name == PUBLIC else set())   # a ping without "t"
    for m in msgs:
        r = rows[m["frame"]]
        assert r["btdht.y"] == m["msg"][b"y"].decode()
        if m["msg"][b"y"] == b"q":
            assert r["btdht.q"] == m["msg"][b"q"].decode()


def test_pairing_as_the_reader_pairs(decoded):
    name, msgs, rows, _ = decoded
    answer_of, first_answer, unanswered = oracle.pairs(msgs)
    assert answer_of and (name == PUBLIC or unanswered)
    for m in msgs:
        f, r = m["frame"], rows[m["frame"]]
        if m["msg"][b"y"] == b"q":
            assert r["btdht.response_in"] == str(first_answer.get(f, "")), f
            assert r["btdht.unanswered"] == ("1" if f in unanswered else ""), f
        else:
            assert r["btdht.request_in"] == str(answer_of.get(f, "")), f
            assert (r["btdht.rtt"] != "") == (f in answer_of and first_answer[answer_of[f]] == f), f


def test_values_nodes_and_distances(decoded):
    name, msgs, rows, _ = decoded
    answer_of, _, _ = oracle.pairs(msgs)
    by_frame = {m["frame"]: m["msg"] for m in msgs}
    seen_values = seen_bits = 0
    for m in msgs:
        msg, r = m["msg"], rows[m["frame"]]
        if msg[b"y"] != b"r":
            continue
        peers = oracle.values(msg)
        ips = split(r["btdht.peer.ip"]) + split(r["btdht.peer.ip6"])
        assert sorted(ips) == sorted(ip for ip, _ in peers), m["frame"]
        assert sorted(map(int, split(r["btdht.peer.port"]))) == sorted(p for _, p in peers)
        seen_values += len(peers)
        resp = msg.get(b"r", {})
        counts = [len(oracle.nodes(resp[k], k == b"nodes6")) for k in (b"nodes", b"nodes6") if k in resp]
        assert list(map(int, split(r["btdht.nodes.count"]))) == counts, m["frame"]
        q = by_frame.get(answer_of.get(m["frame"]))
        key = {b"find_node": b"target", b"get_peers": b"info_hash"}.get(q.get(b"q")) if q else None
        if key:
            target = q[b"a"][key]
            want = [oracle.common_bits(nid, target) for k in (b"nodes", b"nodes6") if k in resp
                    for nid, _, _ in oracle.nodes(resp[k], k == b"nodes6")]
            assert list(map(int, split(r["btdht.node.common_bits"]))) == want, m["frame"]
            seen_bits += len(want)
    assert seen_values > 0 and (seen_bits > 0 or name == PUBLIC)   # its find_node answer is empty


def test_real_capture_has_both_families_and_extensions(tshark):
    msgs = oracle.krpc(classic_pcap(tshark, f"{CAP}.pcap"))
    assert any(":" in m["src"] for m in msgs) and any("." in m["src"] for m in msgs)
    methods = {m["msg"][b"q"] for m in msgs if m["msg"][b"y"] == b"q"}
    assert {b"find_node", b"get_peers", b"announce_peer", b"get", b"put", b"sample_infohashes"} <= methods
    path = tshark.capture(f"{CAP}.pcap")
    # both implementations named from "v": libtorrent "LT" and aria2 "A2"
    clients = {r[0] for r in tshark.fields(path, ["btdht.v.client"], "btdht.v.client")}
    assert {"libtorrent-rasterbar", "aria2"} <= clients, clients
    samples = oracle_samples(msgs)
    rows = tshark.fields(path, ["btdht.sample"], "btdht.samples", occurrence="a")
    assert sorted(s for r in rows for s in split(r[0].replace(":", ""))) == sorted(samples)


def test_webtorrent_node_found_the_seed(tshark):
    """WebTorrent's bittorrent-dht node (f) bootstrapped from b and c, looked
    the infohash up and was answered with the seed's endpoint: its queries are
    paired and its answers' values decoded like the others'."""
    f = facts(CAP)
    node = f["nodes"]["f"]["ipv4"]
    msgs = oracle.krpc(classic_pcap(tshark, f"{CAP}.pcap"))
    answer_of, _, _ = oracle.pairs(msgs)
    to_f = [m for m in msgs if m["dst"] == node and m["frame"] in answer_of]
    seed = (f["nodes"]["a"]["ipv4"], 6881)
    named = [m["frame"] for m in to_f if seed in oracle.values(m["msg"])]
    assert f["webtorrent_peers_found"] > 0 and named
    path = tshark.capture(f"{CAP}.pcap")
    rows = tshark.fields(path, ["frame.number", "btdht.request_in", "btdht.peer.ip"], f"ip.dst == {node} && btdht.r")
    got = {int(r[0]): r for r in rows}
    for n in named:
        assert got[n][1] == str(answer_of[n]) and seed[0] in split(got[n][2])


def oracle_samples(msgs):
    out = []
    for m in msgs:
        blob = m["msg"].get(b"r", {}).get(b"samples", b"") if m["msg"][b"y"] == b"r" else b""
        out += [blob[i:i + 20].hex() for i in range(0, len(blob), 20)]
    return out


def test_magnet_peer_found_by_dht_is_linked(tshark):
    """The leechers had a magnet link and no tracker, LSD or PEX: the
    handshakes they sent to the seed follow a get_peers answer naming it."""
    f = facts(CAP)
    seed = {(f["nodes"]["a"]["ipv4"], 6881), (f["nodes"]["a"]["ipv6"], 6881)}
    msgs = oracle.krpc(classic_pcap(tshark, f"{CAP}.pcap"))
    named = {}
    for m in msgs:
        if m["msg"][b"y"] == b"r":
            for ep in oracle.values(m["msg"]):
                named.setdefault(ep, m["frame"])
    assert seed & set(named)
    path = tshark.capture(f"{CAP}.pcap")
    rows = tshark.fields(path, ["frame.number", "ip.dst", "ipv6.dst", "tcp.dstport", "btpeer.peer_discovered_in",
                                "btpeer.peer_discovered_by", "btpeer.info_hash"], "btpeer.pstr && tcp.dstport == 6881")
    linked = 0
    for frame, ip4, ip6, port, din, dby, ih in rows:
        ep = (ip4 or ip6, int(port))
        if ep in named and named[ep] < int(frame):
            assert (first(din), first(dby)) == (str(named[ep]), "DHT"), frame
            assert first(ih).replace(":", "") == f["info_hash"]
            linked += 1
    assert linked >= 2       # libtorrent's and aria2's


def test_stats_tree_counts_queries(tshark):
    path = tshark.capture(f"{CAP}.pcap")
    msgs = oracle.krpc(classic_pcap(tshark, f"{CAP}.pcap"))
    out = tshark.run(["-n", "-2", "-q", "-r", path, "-z", "btdht_queries,tree"]).stdout
    _, first_answer, unanswered = oracle.pairs(msgs)
    for method in (b"find_node", b"get_peers", b"ping"):
        frames = [m["frame"] for m in msgs if m["msg"][b"y"] == b"q" and m["msg"][b"q"] == method]
        block = out.split(f" {method.decode()} ")[1]
        got = {k: int(re.search(rf"^\s+{k}\s+(-?\d+)", block, re.M).group(1)) for k in ("Queries", "Unanswered")}
        assert got == {"Queries": len(frames), "Unanswered": len([q for q in frames if q in unanswered])}, method


def test_disabled_btdht_gives_builtin_back(tshark, stock_env):
    for name in (CAP, PUBLIC):
        path = tshark.capture(f"{name}.pcap")
        off = tshark.fields(path, ["frame.number", "frame.protocols"], "udp", two_pass=False,
                            extra=["--disable-protocol", "btdht"])
        stock = tshark.fields(path, ["frame.number", "frame.protocols"], "udp", two_pass=False, env=stock_env)
        assert off == stock
        assert sum("bt-dht" in p for _, p in stock) > 10
        # and with ours on, every datagram the built-in takes is ours
        on = tshark.fields(path, ["frame.number", "frame.protocols"], "udp", two_pass=False)
        assert [n for n, p in on if "btdht" in p] == [n for n, p in stock if "bt-dht" in p]


def test_negative_corpora_claim_nothing(tshark):
    """The uTP heuristic's non-uTP corpus (DNS, LSD, QUIC, WireGuard, NTP, RTP,
    syslog, random) and its near-miss uTP headers: only the corpus's two
    DHT datagrams are claimed; randpkt UDP: nothing."""
    path = tshark.scratch("dht-negative.pcap")
    negative_corpus(path)
    path.chmod(0o644)
    rows = tshark.fields(str(path), ["udp.payload"], "btdht")
    assert len(rows) == 10 and all(bytes.fromhex(r[0].replace(":", ""))[:5] in (b"d1:ad", b"d1:rd") for r in rows)
    rnd = random.Random(709)
    frames = [udp_frame("203.0.113.1", 10000 + i, "203.0.113.2", 40000 + i, near_miss(rnd)) for i in range(300)]
    cap = str(write_pcap(tshark.scratch("dht-utp-near-miss.pcap"), frames))
    assert tshark.count(cap, "btdht") == 0
    assert tshark.count(bttest.randpkt(tshark, "dht-randpkt.pcap", "udp", 3000, 1500), "btdht") == 0


def test_swarm_view_flags_peers_found_by_dht(tshark):
    """Transmission's H letter in -z btpeer_peers,tree: the listening side of a
    connection whose endpoint a get_peers answer named (the independent bdecode of
    the capture's UDP payloads), and only those."""
    msgs = oracle.krpc(classic_pcap(tshark, f"{CAP}.pcap"))
    named = {ep for m in msgs if m["msg"][b"y"] == b"r" for ep in oracle.values(m["msg"])}
    out = tshark.run(["-n", "-q", "-r", tshark.capture(f"{CAP}.pcap"), "-z", "btpeer_peers,tree"]).stdout
    rows = bttest.swarm_peer_rows(out)
    assert rows
    flagged = 0
    for r in rows:
        ip, port = r["peer"].rsplit(":", 1)
        ep = (ip.strip("[]"), int(port))
        assert ("H" in r["flags"]) == (ep in named and "I" not in r["flags"]), (ep, r["flags"])
        flagged += "H" in r["flags"]
    assert flagged >= 2
