"""Swarm view and timeline (issue 10 items 5 and 6): tshark -z btpeer_peers,tree,
-z btpeer_torrents,tree, the same as GUI tables (Statistics > BitTorrent > Peers /
Torrents: -z btpeer,peers and -z btpeer,torrents; each fact test runs on both, "src"),
-z flow,btpeer,network and -z flow,utp,network on real
captures, against what the capture scripts know (the .facts.json files written by
scripts/capture/torfacts.py and scripts/utp_facts.py, pure-Python pcap readers):
piece bytes each way, message counts, who initiated, transport, clients, info
hashes, uTP packet counts.  Never against our own output."""
import re

import pytest

import bttest
from bttest import facts, vector

TORRENT_CAPTURES = ["torrent-magnet-utp-loss", "torrent-transmission-tcp", "torrent-hybrid-magnet",
                    "torrent-corrupt-seed"]
# older captures whose facts have message counts but no piece byte counts
OTHER_CAPTURES = ["swarm-pex", "tcp-encrypted", "utp-transmission"]


def report(tshark, name, z, two_pass=False):
    args = ["-n", "-r", tshark.capture(f"{name}.pcap"), "-q", "-z", z]
    if two_pass:
        args.append("-2")
    return tshark.run(args).stdout


# where the rows come from: the tshark text report or the GUI table
Z = {"text": ("btpeer_peers,tree", "btpeer_torrents,tree"), "table": ("btpeer,peers", "btpeer,torrents")}
SOURCES = list(Z)


def peer_rows(text, src="text"):
    return bttest.swarm_peer_rows(text) if src == "text" else bttest.swarm_table_peer_rows(text)


def torrent_rows(text, src="text"):
    return bttest.swarm_torrent_rows(text) if src == "text" else bttest.swarm_table_torrent_rows(text)


def fact_sides(f):
    """(transport, peer endpoint, other endpoint, peer is initiator, messages the peer sent,
    peer_wire of the peer's direction or None) for each side of each connection."""
    out = []
    pw = f.get("peer_wire", {})
    for i, c in enumerate(f["utp"]["connections"]):
        w = pw.get("utp", [{}] * (i + 1))[i] if pw else {}
        out.append(("uTP", c["initiator"], c["acceptor"], True, c["initiator_to_acceptor"]["messages"],
                    w.get("initiator_to_acceptor")))
        out.append(("uTP", c["acceptor"], c["initiator"], False, c["acceptor_to_initiator"]["messages"],
                    w.get("acceptor_to_initiator")))
    for i, c in enumerate(f["tcp"]["connections"]):
        w = pw.get("tcp", [{}] * (i + 1))[i] if pw else {}
        if not c["client_to_server"]["stream_bytes"] and not c["server_to_client"]["stream_bytes"]:
            continue                      # a refused or empty connection: no peer wire
        out.append(("TCP", c["client"], c["server"], True, c["client_to_server"]["messages"],
                    w.get("client_to_server")))
        out.append(("TCP", c["server"], c["client"], False, c["server_to_client"]["messages"],
                    w.get("server_to_client")))
    return out


def count(messages, msg_id):
    return int((messages or {}).get("by_id", {}).get(str(msg_id), 0))


def host(ep):
    return ep.rsplit(":", 1)[0].strip("[]")


@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("name", TORRENT_CAPTURES + OTHER_CAPTURES)
def test_peers_rows_match_facts(tshark, name, src):
    f = facts(name)
    rows = {(r["peer"], r["seen"]): r for r in peer_rows(report(tshark, name, Z[src][0]), src)}
    sides = fact_sides(f)
    # every side of every connection that carried peer-wire bytes has its row
    assert len(rows) == len(sides), (sorted(rows), sides)
    for tr, peer, other, initiator, msgs, wire in sides:
        r = rows[(peer, other)]
        assert r["tr"] == tr
        assert ("T" in r["flags"]) == (tr == "uTP")
        assert ("I" in r["flags"]) == initiator, (peer, r)
        if msgs is None:                  # encrypted: no message counts
            assert "E" in r["flags"]
            assert r.get("encrypted", "yes").startswith("yes")
            continue
        assert "E" not in r["flags"]
        assert r.get("encrypted", "no") == "no"
        assert r["chokes"] == count(msgs, 0) and r["unchokes"] == count(msgs, 1), (peer, r, msgs)
        assert r["cancels"] == count(msgs, 8)
        assert ("D" in r["flags"]) == (count(msgs, 7) > 0)
        if count(msgs, 14):
            assert r["have"] == "100%"
        assert 0 <= r["pipeline"] <= count(msgs, 6)
        if count(msgs, 6):
            assert r["pipeline"] >= 1
        if wire is not None:
            assert r["down"] == wire["piece_bytes"], (peer, r, wire["piece_bytes"])
        # the peer's client, from the capture script's list of who ran where
        who = [p for p in f["peers"] if p["ip"] == host(peer)]
        assert len(who) == 1
        client, version = who[0]["client"].split(" ", 1)
        assert r["client"].lower().startswith(client.lower()) and r["client"].endswith(version), (r, who)
        # without the torrent's hashes (no metadata on the wire, no .torrent given)
        # nothing can be judged
        if name in NO_METADATA_ON_WIRE:
            assert r["verified"] == 0 and r["failed"] == 0


# leeches that started from a .torrent: the pieces' hashes never cross the wire
NO_METADATA_ON_WIRE = {"torrent-transmission-tcp", "torrent-corrupt-seed"}


@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("name", TORRENT_CAPTURES)
def test_pieces_verified_and_failed_per_sender(tshark, name, src):
    """Verified/Failed columns: per sending side, the pieces the capture script saw
    arrive whole and match (or not) the torrent's SHA-1s (torfacts.py reads the
    raw stream and hashes); the .torrent folder gives the hashes where the
    metadata never crossed the wire."""
    f = facts(name)
    extra = ["-o", f"btpeer.torrent_folder:{tshark.captures / 'torrents'}"]
    text = tshark.run(["-n", "-r", tshark.capture(f"{name}.pcap"), "-q", "-z", Z[src][0],
                       "-z", Z[src][1]] + extra).stdout
    rows = {(r["peer"], r["seen"]): r for r in peer_rows(text, src)}
    good = bad = 0
    for tr, peer, other, initiator, msgs, wire in fact_sides(f):
        r = rows[(peer, other)]
        assert (r["verified"], r["failed"]) == (len(wire["pieces_good"]), len(wire["pieces_bad"])), (peer, r)
        good += len(wire["pieces_good"])
        bad += len(wire["pieces_bad"])
    t = torrent_rows(text, src)
    assert len(t) == 1 and (t[0]["verified"], t[0]["failed"]) == (good, bad)
    if src == "table":   # the torrent's name and size, from the capture script's .torrent
        assert (t[0]["name"], int(t[0]["size"]), int(t[0]["pieces"])) == \
            (f["torrent"]["name"], f["torrent"]["total_size"], f["torrent"]["piece_count"])
    if name == "torrent-corrupt-seed":
        assert bad == 1


@pytest.mark.parametrize("name", TORRENT_CAPTURES)
def test_up_is_the_other_sides_down(tshark, name):
    rows = peer_rows(report(tshark, name, "btpeer_peers,tree"))
    by = {(r["peer"], r["seen"]): r for r in rows}
    for r in rows:
        assert r["up"] == by[(r["seen"], r["peer"])]["down"]


@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("name", TORRENT_CAPTURES)
def test_torrents_row_matches_facts(tshark, name, src):
    f = facts(name)
    rows = torrent_rows(report(tshark, name, Z[src][1]), src)
    sides = fact_sides(f)
    assert len(rows) == 1
    r = rows[0]
    # the first handshake is the initiator's, which always names the v1 hash here
    # (the hybrid's seed answers with the truncated v2 hash: not a second torrent)
    assert r["hash"] == f["torrent"]["info_hash_v1"]
    assert r["conns"] == len(sides) // 2
    assert r["peers"] == len({s[1] for s in sides})
    assert r["bytes"] == sum(s[5]["piece_bytes"] for s in sides)


@pytest.mark.parametrize("name", ["torrent-corrupt-seed", "torrent-magnet-utp-loss"])
def test_one_pass_and_two_pass_agree(tshark, name):
    for z in Z["text"] + Z["table"]:
        assert report(tshark, name, z) == report(tshark, name, z, two_pass=True)


def flow_arrows(text):
    """(label, direction) per arrow of tshark's flow text: direction '>' = left node to right."""
    lines, out = text.splitlines(), []
    for a, b in zip(lines, lines[1:]):
        m = re.search(r"(-+>|<-+)", b)
        if a.startswith("|") and m:
            label = a.split("|")[2].strip()
            out.append((label, ">" if m.group(1).endswith(">") else "<"))
    return out


def test_flow_btpeer_order_and_directions(tshark):
    name = "torrent-hybrid-magnet"
    f = facts(name)
    text = report(tshark, name, "flow,btpeer,network")
    arrows = flow_arrows(text)
    labels = [lab for lab, _ in arrows]
    # the left node is the one seen first: the leech (the TCP client, the initiator)
    leech = f["tcp"]["connections"][0]["client"].rsplit(":", 1)[0]
    header = next(line for line in text.splitlines() if line.startswith("|Time"))
    assert header.split("|")[2].strip() == leech

    def first(word):
        return next(i for i, lab in enumerate(labels) if lab.startswith(word) or f", {word}" in lab)
    assert labels[0] == "Handshake" and arrows[0][1] == ">"
    assert first("Handshake") < first("Ext handshake") < first("Hash request") < first("Request") \
        < first("Piece")
    # Hash requests go from the leech, Pieces and Hashes come from the seed
    for lab, d in arrows:
        if lab.startswith("Piece") or lab.startswith("Hashes"):
            assert d == "<", lab
        if lab.startswith("Hash request") or lab.startswith("Request"):
            assert d == ">", lab
    msgs = f["tcp"]["connections"][0]["client_to_server"]["messages"]["by_id"]
    assert sum(1 for lab in labels if lab.startswith("Hash request")) <= int(msgs["21"])


def test_flow_utp_one_arrow_per_packet(tshark):
    name = "torrent-magnet-utp-loss"
    f = facts(name)
    arrows = flow_arrows(report(tshark, name, "flow,utp,network"))
    c = f["utp"]["connections"][0]
    assert len(arrows) == sum(c["packets"].values()) + c["v0_packets"]
    assert arrows[0][0].startswith("ST_SYN Seq=0") and arrows[0][1] == ">"
    assert sum(1 for lab, _ in arrows if lab.startswith("ST_FIN")) == c["packets"]["FIN"]
    assert sum(1 for lab, _ in arrows if lab.startswith("ST_DATA")) == c["packets"]["DATA"]


ALL_Z = ["btpeer_peers,tree", "btpeer_torrents,tree", "btpeer,peers", "btpeer,torrents", "flow,btpeer,network",
         "flow,utp,network"]


@pytest.mark.parametrize("rel", ["btpeer/btpeer-malformed.pcap", "btpeer/btpeer-all-messages.pcap",
                                 "btpeer/btpeer-utp-reordered.pcap"])
def test_reports_survive_hand_built_vectors(tshark, rel):
    """Malformed, truncated and reordered peer-wire vectors: every report runs to its end
    (the run aborts on any dissector bug: WIRESHARK_ABORT_ON_DISSECTOR_BUG)."""
    args = ["-n", "-r", vector(tshark, rel), "-q"]
    for z in ALL_Z:
        args += ["-z", z]
    out = tshark.run(args).stdout
    assert out.count("BitTorrent peers:") == 1 and out.count("BitTorrent torrents:") == 1
    assert out.count("BitTorrent/Peers:") == 1 and out.count("BitTorrent/Torrents:") == 1


def test_reports_on_hostile_utp_vectors(tshark, utp_vectors_pcap):
    args = ["-n", "-r", utp_vectors_pcap, "-q"]
    for z in ALL_Z:
        args += ["-z", z]
    proc = tshark.run(args)
    assert "BitTorrent peers:" in proc.stdout


@pytest.mark.parametrize("name", ["torrent-corrupt-seed", "torrent-magnet-utp-loss"])
def test_swarm_stats_tree_piece_bytes(tshark, name):
    """Statistics > BitTorrent > Peers (-z btpeer_swarm,tree): the piece bytes and
    requests under each "from <endpoint>" node are what that side sent."""
    f = facts(name)
    got, sender = {}, None
    for line in report(tshark, name, "btpeer_swarm,tree").splitlines():
        m = re.match(r"^  from (\S+)\s", line)
        if m:
            sender = m.group(1)
            got[sender] = {}
        m = re.match(r"^   (Piece bytes|Requests|Unchokes)\s+(\d+)", line)
        if m and sender:
            got[sender][m.group(1)] = int(m.group(2))
    sides = fact_sides(f)
    assert set(got) == {s[1] for s in sides}
    for _, peer, _, _, msgs, wire in sides:
        assert got[peer].get("Piece bytes", 0) == wire["piece_bytes"]
        assert got[peer].get("Requests", 0) == count(msgs, 6)
        assert got[peer].get("Unchokes", 0) == count(msgs, 1)


def test_flow_handshake_names_its_discovery(tshark):
    """The Handshake arrows of -z flow,btpeer say in which earlier frame LSD announced
    their info hash: the first BEP 14 announce naming it, found by the independent
    reader tests/discovery_oracle.py."""
    import discovery_oracle
    name = "lsd-libtorrent-transmission.pcap"
    path = tshark.capture(name)
    announces = discovery_oracle.lsd_announces(path)
    expected = []
    for frame, _, _, _, _, ih in discovery_oracle.handshakes(path):
        first = min((a["frame"] for a in announces if ih in a["infohashes"]), default=None)
        expected.append(first if first is not None and first < frame else None)
    assert any(expected)
    text = tshark.run(["-n", "-r", path, "-q", "-z", "flow,btpeer,network"]).stdout
    got = []
    for line in text.splitlines():
        cells = line.split("|")
        if len(cells) > 2 and any(c.strip().startswith("Handshake") for c in cells[2:-1]):
            m = re.search(r"info hash announced in frame (\d+) \((\w+)\)", cells[-1])
            got.append(int(m.group(1)) if m else None)
            if m:
                assert m.group(2) == "LSD"
    assert got == expected
