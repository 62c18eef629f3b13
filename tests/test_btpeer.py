"""tshark tests of the btpeer plugin (BitTorrent peer wire, plugins/bt-handshake).

Real captures (test-captures/, made by scripts/make-captures with real
clients) are checked against an independent reading of the same bytes
(tests/btpeer_streams.py: own pcap/TCP/uTP reassembly and peer-wire walk,
itself checked against the stream hashes of each capture's .facts.json).
Hand-built vectors (tests/vectors/make_btpeer_vectors.py) cover what the
clients never sent and malformed input; their expected values come from how
the script builds them and from the BEPs, not from the dissector's output.
"""
import ipaddress
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

import btpeer_streams as bs
from bttest import (CAPTURES, dissect_cleanly, editcap_mutation, experts_by_frame, first,
                    frame_fields, g_columns, have_plugin, randpkt, split as values, vector)

HAVE_UTP = have_plugin("utp")
needs_utp = pytest.mark.skipif(not HAVE_UTP, reason="utp.so not built")

PLAIN = ["tcp-plain", "utp-libtorrent", "utp-transmission", "utp-transmission-leech", "utp-lossy",
         "magnet-utp", "magnet-tcp", "swarm-pex"]
ENCRYPTED = ["tcp-encrypted", "utp-encrypted"]


def available(names):
    """Captures present with their facts (they arrive from scripts/make-captures)."""
    return [n for n in names if (CAPTURES / f"{n}.pcap").exists() and (CAPTURES / f"{n}.facts.json").exists()]


def is_utp(name):
    facts = json.loads((CAPTURES / f"{name}.facts.json").read_text())
    return bool(facts["utp"]["connections"])


def params(names):
    return [pytest.param(n, marks=needs_utp) if is_utp(n) else n for n in available(names)]


@pytest.fixture(scope="session")
def vec(tshark):
    """name -> readable path of a vector of tests/vectors/btpeer."""
    return lambda name: vector(tshark, f"btpeer/{name}")


# ------------------------------------------------------------ helpers

FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "udp.srcport", "tcp.dstport",
          "udp.dstport", "utp.connection_id", "btpeer.msg_type", "btpeer.msg_len", "btpeer.ext.name",
          "btpeer.piece.length", "btpeer.pstr", "btpeer.encrypted", "tcp.stream", "utp.stream"]


class DecodedDirection:
    """What tshark decoded in one direction (the oracle's view is bs.Direction)."""
    def __init__(self):
        self.types = Counter()
        self.ext = Counter()
        self.piece_bytes = 0
        self.handshakes = 0
        self.encrypted_frames = 0


def tshark_directions(tshark, capture, extra=(), two_pass=True):
    """Per direction (src, sport, dst, dport, uTP connection id or None): what tshark decoded."""
    out = defaultdict(DecodedDirection)
    for row in tshark.fields(capture, FIELDS, "btpeer", extra=extra, two_pass=two_pass):
        r = dict(zip(FIELDS, row))
        src = first(r["ip.src"]) or first(r["ipv6.src"])
        dst = first(r["ip.dst"]) or first(r["ipv6.dst"])
        if r["tcp.srcport"]:
            key = (src, int(first(r["tcp.srcport"])), dst, int(first(r["tcp.dstport"])), None)
        else:
            key = (src, int(first(r["udp.srcport"])), dst, int(first(r["udp.dstport"])),
                   int(first(r["utp.connection_id"])))
        d = out[key]
        for t in values(r["btpeer.msg_type"]):
            d.types[int(t)] += 1
        d.types["keepalive"] += sum(1 for n in values(r["btpeer.msg_len"]) if n == "0")
        d.ext.update(n for n in values(r["btpeer.ext.name"]) if n != "handshake")
        d.piece_bytes += sum(int(n) for n in values(r["btpeer.piece.length"]))
        d.handshakes += len(values(r["btpeer.pstr"]))
        d.encrypted_frames += 1 if r["btpeer.encrypted"] else 0
    for d in out.values():
        d.types = +d.types     # drop zero counts
    return out


def independent(capture_name):
    """Per direction key as above: (connection, direction index, parsed Direction)."""
    conns = bs.connections(str(CAPTURES / f"{capture_name}.pcap"))
    out = {}
    for c in conns:
        dirs = bs.walk(c)
        for d in (0, 1):
            (sip, sport), (dip, dport) = c.ends if d == 0 else c.ends[::-1]
            cid = None
            if c.transport == "utp":
                cid = (c.syn_id + 1) & 0xFFFF if d == 0 else c.syn_id
            key = (str(ipaddress.ip_address(sip)), sport, str(ipaddress.ip_address(dip)), dport, cid)
            out[key] = (c, d, dirs[d])
    return out


# ------------------------------------------------------------ registration

def test_protocol_names_distinct_from_builtin(tshark):
    protos = g_columns(tshark, "protocols")
    mine = [p for p in protos if p[2] == "btpeer"]
    assert mine == [("BitTorrent Peer Wire Protocol", "BT-Peer", "btpeer")]
    builtin = [p for p in protos if p[2] == "bittorrent"]
    assert builtin and builtin[0][0] != mine[0][0] and builtin[0][1] != mine[0][1]
    heur = g_columns(tshark, "heuristic-decodes")
    assert ("tcp", "btpeer", "T") in heur            # list, protocol, enabled
    if HAVE_UTP:
        assert ("utp.payload", "btpeer", "T") in heur


def test_fields_are_prefixed(tshark):
    rows = [l.split("\t") for l in tshark.run(["-G", "fields"]).stdout.splitlines() if l.startswith("F\t")]
    mine = [r for r in rows if r[4] == "btpeer"]
    assert len(mine) > 100
    assert all(r[2] == "btpeer" or r[2].startswith("btpeer.") for r in mine)
    names = {r[2] for r in mine}
    for f in ["btpeer.pstr", "btpeer.info_hash", "btpeer.peer_id", "btpeer.client", "btpeer.client_version",
              "btpeer.reserved.dht", "btpeer.reserved.fast", "btpeer.reserved.extension", "btpeer.reserved.v2",
              "btpeer.reserved.nat_traversal", "btpeer.reserved.azureus", "btpeer.msg_type", "btpeer.msg_len",
              "btpeer.ext.name", "btpeer.request.index", "btpeer.request.begin", "btpeer.request.length",
              "btpeer.piece.index", "btpeer.piece.begin", "btpeer.piece.length", "btpeer.encrypted",
              "btpeer.discovered_in", "btpeer.peer_discovered_in"]:
        assert f in names, f


# ------------------------------------------------------------ real captures

@pytest.mark.parametrize("name", params(PLAIN))
def test_independent_reader_matches_facts(name):
    """The test's own reassembly gives the streams the capture facts describe."""
    facts = json.loads((CAPTURES / f"{name}.facts.json").read_text())
    expected = set()
    for c in facts["tcp"]["connections"]:
        expected |= {c["client_to_server"]["stream_sha256"], c["server_to_client"]["stream_sha256"]}
    for c in facts["utp"]["connections"]:
        expected |= {c["initiator_to_acceptor"]["stream_sha256"], c["acceptor_to_initiator"]["stream_sha256"]}
    mine = {bs.sha256(s) for c in bs.connections(str(CAPTURES / f"{name}.pcap")) for s in c.streams}
    mine.add(bs.sha256(b""))
    assert expected <= mine


@pytest.mark.parametrize("name", params(PLAIN))
def test_every_message_decoded(tshark, name):
    """Per direction: message counts per type, extension names used, handshake."""
    got = tshark_directions(tshark, tshark.capture(f"{name}.pcap"))
    ref = independent(name)
    with_data = {k: v for k, v in ref.items() if v[2].handshake is not None}
    assert with_data, "no plaintext BitTorrent stream in the capture"
    for key, (_, _, d) in with_data.items():
        g = got.get(key)
        assert g is not None, f"nothing decoded for {key}"
        assert g.handshakes == 1, key
        want = Counter(d.types)
        if d.partial:          # the message the stream ends inside is shown in part
            want[d.partial[0]] += 1
        assert g.types == +want, key
        assert g.ext == d.ext_sent, key
        assert g.encrypted_frames == 0
    assert set(got) <= set(ref)


@pytest.mark.parametrize("name", params(PLAIN))
def test_piece_bytes_sum_to_torrent_size(tshark, name):
    facts = json.loads((CAPTURES / f"{name}.facts.json").read_text())
    size = facts["torrent"]["total_size"]
    got = tshark_directions(tshark, tshark.capture(f"{name}.pcap"))
    ref = independent(name)
    received = Counter()
    for key, (_, _, d) in ref.items():
        # a Piece the stream ends inside shows its declared block length
        want = d.piece_bytes + (d.partial[1] - 9 if d.partial and d.partial[0] == 7 else 0)
        assert got[key].piece_bytes == want if key in got else d.piece_bytes == 0
        if key in got and got[key].piece_bytes:
            received[key[2]] += got[key].piece_bytes
    seeds = {p["ip"] for p in facts["peers"]} - {ip for ip, n in received.items() if n}
    assert received, "no piece data at all"
    for ip, n in received.items():
        # a leech gets every byte once; uTP loss and endgame may repeat a block
        assert n >= size, (ip, n)
        if "swarm" not in name:
            assert n == size, (ip, n)
    assert seeds, "some peer must only have uploaded"


@pytest.mark.parametrize("name", params(PLAIN))
def test_handshake_fields_match_facts(tshark, name):
    facts = json.loads((CAPTURES / f"{name}.facts.json").read_text())
    rows = tshark.fields(tshark.capture(f"{name}.pcap"),
                         ["btpeer.info_hash", "btpeer.peer_id", "btpeer.client", "btpeer.client_version",
                          "btpeer.reserved", "btpeer.reserved.extension"], "btpeer.pstr", occurrence="f")
    clients = {"-LT2080-": ("libtorrent-rasterbar", "2.0.8"), "-TR3000-": ("Transmission", "3.00"),
               "-qB": ("qBittorrent", None)}
    assert rows
    for ih, pid, client, version, reserved, ext in rows:
        assert ih.replace(":", "") == facts["torrent"]["info_hash"][:40]
        prefix = bytes.fromhex(pid.replace(":", ""))[:8].decode("latin-1")
        assert prefix in {p["peer_id_prefix"] for p in facts["peers"]}
        want = next(v for k, v in clients.items() if prefix.startswith(k))
        assert client == want[0]
        if want[1]:
            assert version == want[1]
        assert ext == "1"      # every client used sets the BEP 10 bit
        assert int(reserved, 16) & 0x100000


@pytest.mark.parametrize("name", params(PLAIN))
def test_extension_names_match_announced(tshark, name):
    """btpeer.ext.hs.m lists what each side put in its m dictionary."""
    ref = independent(name)
    rows = tshark.fields(tshark.capture(f"{name}.pcap"),
                         ["ip.src", "ipv6.src", "tcp.srcport", "udp.srcport", "btpeer.ext.hs.m"],
                         "btpeer.ext.hs.m", occurrence="a")
    got = Counter()
    for r in rows:
        got[(first(r[0]) or first(r[1]), int(first(r[2]) or first(r[3])))] += 1
    want = Counter()
    for key, (_, _, d) in ref.items():
        if d.ext_announced:
            want[(key[0], key[1])] += 1
    assert got == want
    for r in rows:
        src = (first(r[0]) or first(r[1]), int(first(r[2]) or first(r[3])))
        names = sorted(values(r[4]))
        expected = [sorted(d.ext_announced) for k, (_, _, d) in ref.items() if (k[0], k[1]) == src and d.ext_announced]
        assert names in expected


@pytest.mark.parametrize("name", params(PLAIN))
def test_pieces_answer_requests(tshark, name):
    rows = tshark.fields(tshark.capture(f"{name}.pcap"),
                         ["frame.number", "btpeer.piece.index", "btpeer.piece.begin", "btpeer.piece.request_in"],
                         "btpeer.msg_type == 7", occurrence="a")
    assert rows
    req = {int(r[0]): r for r in tshark.fields(tshark.capture(f"{name}.pcap"),
                                               ["frame.number", "btpeer.request.index", "btpeer.request.begin"],
                                               "btpeer.msg_type == 6", occurrence="a")}
    for frame, idx, begin, req_in in rows:
        pieces = list(zip(values(idx), values(begin)))
        refs = values(req_in)
        assert len(refs) == len(pieces), frame
        for (i, b), ref in zip(pieces, refs):
            requested = list(zip(values(req[int(ref)][1]), values(req[int(ref)][2])))
            assert (i, b) in requested and int(ref) < int(frame)


@pytest.mark.parametrize("name", params(PLAIN)[:1] + [p for p in params(PLAIN) if "utp-lossy" in str(p)])
def test_one_pass_equals_two_pass(tshark, name):
    cap = tshark.capture(f"{name}.pcap")
    f = ["frame.number", "btpeer.msg_type", "btpeer.ext.name", "btpeer.piece.request_in", "btpeer.request_in",
         "btpeer.piece.length"]
    assert tshark.fields(cap, f, "btpeer", two_pass=False) == tshark.fields(cap, f, "btpeer", two_pass=True)


@pytest.mark.parametrize("name", params(ENCRYPTED))
def test_encrypted_connections_labelled(tshark, name):
    got = tshark_directions(tshark, tshark.capture(f"{name}.pcap"))
    ref = independent(name)
    with_data = {k for k, v in ref.items() if v[0].streams[v[1]]}
    assert with_data
    for key in with_data:
        assert key in got and got[key].encrypted_frames > 0, key
        assert not got[key].types and got[key].handshakes == 0
    rows = tshark.fields(tshark.capture(f"{name}.pcap"), ["btpeer.mse.dh_key"], "btpeer.mse.dh_key")
    assert len(rows) == len(with_data)       # one key flight per direction
    experts = tshark.run(["-n", "-r", tshark.capture(f"{name}.pcap"), "-2", "-z", "expert,note", "-q"]).stdout
    assert "Encrypted BitTorrent connection (MSE/PE key exchange)" in experts
    # really encrypted (RC4 after the negotiation): no plaintext handshake is invented
    assert tshark.count(tshark.capture(f"{name}.pcap"), "btpeer.mse.plaintext_selected") == 0


# The longest MSE negotiation before a plaintext handshake (lib/btcommon/mse.h).
MSE_MAX_NEGOTIATION = 96 + 512 + 20 + 20 + 8 + 4 + 2 + 512 + 2 + 68


def mse_plaintext_truth(capture_name):
    """Raw-bytes reading of MSE connections that selected plaintext: per direction
    key, (offset of the plaintext handshake in the stream, parsed Direction from it)."""
    out = {}
    for key, (c, d, _) in independent(capture_name).items():
        data = c.streams[d]
        at = data.find(bs.PSTR)
        if at <= 0 or c.transport != "tcp":
            continue
        other = c.streams[1 - d]
        o_at = other.find(bs.PSTR)
        conn = bs.Connection("tcp", *c.ends)
        conn.streams = [data[at:], other[max(o_at, 0):]] if d == 0 else [other[max(o_at, 0):], data[at:]]
        out[key] = (at, bs.walk(conn)[d])
    return out


def test_mse_plaintext_selected_aria2(tshark):
    """aria2 negotiates MSE and selects plaintext: both handshakes (peer ids
    A2-...) and every message after them are decoded, equal to what the raw
    reader finds from the `\x13BitTorrent protocol` it locates in each stream;
    the bytes before are the negotiation.  Without the change both directions
    showed only encrypted data (0 handshakes, 0 messages)."""
    name = "lsd-aria2"
    cap = tshark.capture(f"{name}.pcap")
    truth = mse_plaintext_truth(name)
    assert len(truth) == 2, truth.keys()
    for key, (at, ref) in truth.items():
        assert 96 < at <= MSE_MAX_NEGOTIATION, (key, at)     # after a key flight, within the bound
        assert ref.handshake[48:51] == b"A2-" and ref.complete and ref.messages > 5
    got = tshark_directions(tshark, cap)
    for key, (at, ref) in truth.items():
        g = got[key]
        assert g.handshakes == 1, key
        assert g.types == +Counter(ref.types), key
        assert g.piece_bytes == ref.piece_bytes
        assert g.encrypted_frames >= 1, key     # the key exchange before the handshake
    rows = tshark.fields(cap, ["ip.src", "tcp.srcport", "btpeer.peer_id", "btpeer.client"], "btpeer.peer_id")
    ids = {(r[0], int(r[1])): bytes.fromhex(r[2].replace(":", "")) for r in rows}
    assert ids == {(k[0], k[1]): ref.handshake[48:68] for k, (_, ref) in truth.items()}
    assert {r[3] for r in rows} == {"aria2"}
    # one "plaintext selected" per direction, in the handshake's frame, with its note
    sel = tshark.fields(cap, ["frame.number", "btpeer.mse.plaintext_selected"], "btpeer.mse.plaintext_selected")
    hs = tshark.fields(cap, ["frame.number"], "btpeer.pstr")
    assert sorted(r[0] for r in sel) == sorted(r[0] for r in hs) and len(sel) == 2
    assert not tshark.fields(cap, ["frame.number"], "btpeer.encrypted && btpeer.pstr")
    experts = tshark.run(["-n", "-r", cap, "-2", "-z", "expert,note", "-q"]).stdout
    assert "MSE/PE negotiated, plaintext selected" in experts
    # request matching as on any plaintext connection: every piece names its request
    pieces = tshark.fields(cap, ["btpeer.piece.request_in"], "btpeer.msg_type == 7", occurrence="a")
    n_pieces = sum(ref.types[7] for _, ref in truth.values())
    assert sum(len(values(r[0])) for r in pieces) == n_pieces > 0
    # one pass == two passes from the handshakes on (the initiator's first key
    # flight is labelled only on a later pass, as documented)
    first_hs = min(int(r[0]) for r in hs)
    f = ["frame.number", "btpeer.msg_type", "btpeer.pstr", "btpeer.mse.plaintext_selected",
         "btpeer.piece.request_in", "btpeer.request_in", "btpeer.encrypted"]
    flt = f"btpeer && frame.number >= {first_hs - 2}"
    assert tshark.fields(cap, f, flt, two_pass=False) == tshark.fields(cap, f, flt, two_pass=True)


@pytest.mark.parametrize("name", params(PLAIN))
def test_plaintext_never_labelled_encrypted(tshark, name):
    assert tshark.count(tshark.capture(f"{name}.pcap"), "btpeer.encrypted") == 0


# ------------------------------------------------------------ hand-built vectors

def info(tshark, path):
    return {int(r[0]): r[1] for r in tshark.fields(path, ["frame.number", "_ws.col.Info"], "btpeer")}


def test_vector_handshake_bits_and_clients(tshark, vec):
    p = vec("btpeer-all-messages.pcap")
    f = ["btpeer.reserved.extension", "btpeer.reserved.dht", "btpeer.reserved.fast", "btpeer.reserved.v2",
         "btpeer.reserved.nat_traversal", "btpeer.reserved.azureus", "btpeer.reserved.unknown",
         "btpeer.client", "btpeer.client_version", "btpeer.client.style"]
    a = frame_fields(tshark, p, 4, f)
    assert [a[x] for x in f[:6]] == ["1", "1", "1", "1", "0", "0"]
    assert int(a["btpeer.reserved.unknown"], 16) == 0x0001000000000000   # byte 1, 0x01
    assert (a["btpeer.client"], a["btpeer.client_version"]) == ("qBittorrent", "4.5.2")
    b = frame_fields(tshark, p, 5, f)
    assert [b[x] for x in f[:6]] == ["1", "0", "1", "0", "1", "1"]
    assert b["btpeer.reserved.unknown"] == ""
    assert (b["btpeer.client"], b["btpeer.client_version"], b["btpeer.client.style"]) == \
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
                                         "btpeer.piece.request_in", "btpeer.piece.latency"])
    assert piece["btpeer.piece.length"] == "16384" and piece["btpeer.piece.request_in"] == "11"
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
    one = frame_fields(tshark, p, 35, ["btpeer.ext.name", "btpeer.piece_index", "btpeer.ext.upload_only",
                                       "btpeer.ext.share_mode"])
    assert one == {"btpeer.ext.name": "lt_donthave,upload_only,share_mode", "btpeer.piece_index": "9",
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
