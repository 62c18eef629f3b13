"""uTP with capture loss (issue 7): packets the peers exchanged but the capture
host never saw, so sequence gaps never fill.

test-captures/magnet-utp-capture-loss.pcap is magnet-utp.pcap with 17 uTP DATA
frames removed (test-captures/README.md).  Oracle: raw-bytes readers sharing
no code with our dissectors (scripts/pcapread.py, scripts/utp_facts.py,
tests/btpeer_streams.py's UtpFlow) read the *complete* original capture,
walk the peer wire of each direction and note the stream offset of every Piece header; a header whose 13 bytes (length, type, index,
begin) all lie in packets the lossy capture still holds can be decoded, and
must be shown (stock Wireshark's bt-utp, reading each packet alone, shows such
headers too: tests/test_stock_parity.py).
"""
import struct
from collections import defaultdict

import btpeer_streams as bs
from bttest import classic_pcap
from utp_facts import parse_utp  # scripts/: the independent uTP reader
from utp_vectors import raw_udp_datagrams

PIECE_HEADER = 13      # u32 length, u8 type 7, u32 index, u32 begin


def utp_packets(path):
    """{(sender, receiver, conn id): UtpFlow} of the version-1 DATA packets of
    a capture (scripts/pcapread.py and scripts/utp_facts.py read the bytes)."""
    flows = defaultdict(bs.UtpFlow)
    for _, sip, sport, dip, dport, udp in raw_udp_datagrams(path):
        u = parse_utp(udp)
        if u and u["version"] == 1 and u["type"] == "DATA" and u["payload"]:
            flows[((sip, sport), (dip, dport), u["conn"])].add(u["seq"], u["payload"])
    return flows


def piece_headers(flow):
    """[(index, begin, first seq, last seq)] of the Piece headers of a complete
    direction: the packets (unwrapped seq) holding each header's 13 bytes."""
    seqs = sorted(flow.packets)
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), "the original capture is complete"
    stream, owner = bytearray(), []
    for s in seqs:
        stream += flow.packets[s]
        owner += [s] * len(flow.packets[s])
    off = len(bs.PSTR) + 48 if stream.startswith(bs.PSTR) else 0
    out = []
    while off + 5 <= len(stream):
        length, = struct.unpack("!I", stream[off:off + 4])
        if length >= 9 and stream[off + 4] == 7 and off + PIECE_HEADER <= len(stream):
            index, begin = struct.unpack("!II", stream[off + 5:off + 13])
            out.append((index, begin, owner[off], owner[off + PIECE_HEADER - 1]))
        off += 4 + length
    return out


def test_every_piece_header_captured_is_shown(tshark):
    original = utp_packets(classic_pcap(tshark, "magnet-utp.pcap"))
    lossy_path = classic_pcap(tshark, "magnet-utp-capture-loss.pcap")
    lossy = utp_packets(lossy_path)
    want, cut = set(), set()
    for key, flow in original.items():
        held = set(lossy[key].packets) if key in lossy else set()
        # the lossy copy numbers packets from the same first seq, so keys agree
        for index, begin, lo, hi in piece_headers(flow):
            (want if all(s in held for s in range(lo, hi + 1)) else cut).add((index, begin))
    assert len(want) >= 10 and cut, (want, cut)    # the capture really lost some headers
    rows = tshark.fields(lossy_path, ["btpeer.piece.index", "btpeer.piece.begin"], "btpeer.msg_type == 7")
    shown = {(int(i), int(b)) for r in rows for i, b in zip(r[0].split(","), r[1].split(","))}
    assert want <= shown, sorted(want - shown)
    # and each gap is reported once where reassembly gave up on it
    assert tshark.count(lossy_path, "utp.reassembly.skipped.expert") >= 1
    handed = tshark.fields(lossy_path, ["_ws.expert.message"], "utp.reassembly.as_data")
    assert handed and all("handed on as it is" in r[0] for r in handed)
