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

import pytest

import btpeer_streams as bs
from bttest import CAPTURES, facts, first, g_columns, have_plugin, split as values, with_facts as available

HAVE_UTP = have_plugin("utp")
needs_utp = pytest.mark.skipif(not HAVE_UTP, reason="utp.so not built")

PLAIN = ["tcp-plain", "utp-libtorrent", "utp-transmission", "utp-transmission-leech", "utp-lossy",
         "magnet-utp", "magnet-tcp", "swarm-pex"]
ENCRYPTED = ["tcp-encrypted", "utp-encrypted"]


def is_utp(name):
    return bool(facts(name)["utp"]["connections"])


def params(names):
    return [pytest.param(n, marks=needs_utp) if is_utp(n) else n for n in available(names)]


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
    for f in ["btpeer.pstr", "btpeer.info_hash", "btpeer.peer_id", "btpeer.client", "btpeer.client.version",
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
    fx = facts(name)
    expected = set()
    for c in fx["tcp"]["connections"]:
        expected |= {c["client_to_server"]["stream_sha256"], c["server_to_client"]["stream_sha256"]}
    for c in fx["utp"]["connections"]:
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
    fx = facts(name)
    size = fx["torrent"]["total_size"]
    got = tshark_directions(tshark, tshark.capture(f"{name}.pcap"))
    ref = independent(name)
    received = Counter()
    for key, (_, _, d) in ref.items():
        # a Piece the stream ends inside shows its declared block length
        want = d.piece_bytes + (d.partial[1] - 9 if d.partial and d.partial[0] == 7 else 0)
        assert got[key].piece_bytes == want if key in got else d.piece_bytes == 0
        if key in got and got[key].piece_bytes:
            received[key[2]] += got[key].piece_bytes
    seeds = {p["ip"] for p in fx["peers"]} - {ip for ip, n in received.items() if n}
    assert received, "no piece data at all"
    for ip, n in received.items():
        # a leech gets every byte once; uTP loss and endgame may repeat a block
        assert n >= size, (ip, n)
        if "swarm" not in name:
            assert n == size, (ip, n)
    assert seeds, "some peer must only have uploaded"


@pytest.mark.parametrize("name", params(PLAIN))
def test_handshake_fields_match_facts(tshark, name):
    fx = facts(name)
    rows = tshark.fields(tshark.capture(f"{name}.pcap"),
                         ["btpeer.info_hash", "btpeer.peer_id", "btpeer.client", "btpeer.client.version",
                          "btpeer.reserved", "btpeer.reserved.extension"], "btpeer.pstr", occurrence="f")
    clients = {"-LT2080-": ("libtorrent-rasterbar", "2.0.8"), "-TR3000-": ("Transmission", "3.00"),
               "-qB": ("qBittorrent", None)}
    assert rows
    for ih, pid, client, version, reserved, ext in rows:
        assert ih.replace(":", "") == fx["torrent"]["info_hash"][:40]
        prefix = bytes.fromhex(pid.replace(":", ""))[:8].decode("latin-1")
        assert prefix in {p["peer_id_prefix"] for p in fx["peers"]}
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


def piece_rows(tshark, cap):
    """(frame, indexes, begins, request_in) of the Piece messages of each frame
    that has any.  btpeer.request_in is also on a Cancel or Reject Request,
    which can share a frame with a Piece: the values are read per message
    (each message is its own btpeer item in tshark's JSON)."""
    out = tshark.run(["-n", "-2", "-r", cap, "-Y", "btpeer.msg_type == 7", "-T", "json",
                      "--no-duplicate-keys", "-j", "frame btpeer"]).stdout
    rows = []
    for pkt in json.loads(out):
        layers = pkt["_source"]["layers"]
        msgs = layers["btpeer"] if isinstance(layers["btpeer"], list) else [layers["btpeer"]]
        got = [[], [], []]
        for m in msgs:
            if m.get("btpeer.msg_type") == "7":
                for col, f in zip(got, ["btpeer.piece.index", "btpeer.piece.begin", "btpeer.request_in"]):
                    v = m.get(f, [])
                    col.extend(v if isinstance(v, list) else [v])
        rows.append([layers["frame"]["frame.number"], *(",".join(c) for c in got)])
    return rows


@pytest.mark.parametrize("name", params(PLAIN))
def test_pieces_answer_requests(tshark, name):
    rows = piece_rows(tshark, tshark.capture(f"{name}.pcap"))
    assert rows and all(r[1] for r in rows)     # every such frame has its Piece's fields
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
    f = ["frame.number", "btpeer.msg_type", "btpeer.ext.name", "btpeer.request_in",
         "btpeer.piece.length"]
    assert tshark.fields(cap, f, "btpeer", two_pass=False) == tshark.fields(cap, f, "btpeer", two_pass=True)


@pytest.mark.parametrize("name", params(ENCRYPTED))
def test_encrypted_one_pass_equals_two_pass(tshark, name):
    """Which calls of a frame held encrypted bytes is decided on the first
    pass and kept compactly (a bit of the frame's record): a later pass must
    show every encrypted frame as the first pass did, not as garbled messages."""
    cap = tshark.capture(f"{name}.pcap")
    f = ["frame.number", "btpeer.encrypted", "btpeer.mse.data", "btpeer.msg_len", "_ws.col.Info"]
    one = tshark.fields(cap, f, "btpeer", two_pass=False)
    two = tshark.fields(cap, f, "btpeer", two_pass=True)
    # a TCP connection recognised by its second key flight is ours from its
    # first only to a second pass: those frames are two-pass only
    seen = {r[0] for r in one}
    assert seen <= {r[0] for r in two}
    assert one == [r for r in two if r[0] in seen]
    assert sum(1 for r in one if r[2]) >= 4       # encrypted data frames, not only the key flights


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
    pieces = tshark.fields(cap, ["btpeer.request_in"], "btpeer.msg_type == 7", occurrence="a")
    n_pieces = sum(ref.types[7] for _, ref in truth.values())
    assert sum(len(values(r[0])) for r in pieces) == n_pieces > 0
    # one pass == two passes from the handshakes on (the initiator's first key
    # flight is labelled only on a later pass, as documented)
    first_hs = min(int(r[0]) for r in hs)
    f = ["frame.number", "btpeer.msg_type", "btpeer.pstr", "btpeer.mse.plaintext_selected",
         "btpeer.request_in", "btpeer.encrypted"]
    flt = f"btpeer && frame.number >= {first_hs - 2}"
    assert tshark.fields(cap, f, flt, two_pass=False) == tshark.fields(cap, f, flt, two_pass=True)


@pytest.mark.parametrize("name", params(PLAIN))
def test_plaintext_never_labelled_encrypted(tshark, name):
    assert tshark.count(tshark.capture(f"{name}.pcap"), "btpeer.encrypted") == 0
