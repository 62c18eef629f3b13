"""The uTP heuristic on near misses (issue 7, item 9).

Datagrams with a valid-looking version-1 header of a type that may open a
connection (SYN, STATE, FIN, RESET) whose known extension has a length no
implementation sends: a selective ACK of 0 bytes (nothing to acknowledge),
extension bits other than BEP 29's 8 bytes, a close reason other than
libtorrent's 4 bytes; or more extensions than there are known types.  Each is
on its own port pair, so each would open a new connection: none may be
claimed.  The real captures (tests/test_utp.py) show every real packet is
still claimed.
"""
import random
import struct

from pcapgen import udp_frame, write_pcap
from udp_corpora import near_miss

N = 300


def test_near_miss_corpus_claims_nothing(tshark):
    rnd = random.Random(709)
    frames = [udp_frame("203.0.113.1", 10000 + i, "203.0.113.2", 40000 + i, near_miss(rnd))
              for i in range(N)]
    cap = str(write_pcap(tshark.scratch("utp-near-miss.pcap"), frames))
    assert tshark.count(cap, "udp") == N
    assert tshark.count(cap, "utp", two_pass=False) == 0
    assert tshark.count(cap, "utp") == 0


def test_same_packets_with_lengths_real_clients_send_are_claimed(tshark):
    """The control: fix the lengths (SACK 1-4 bytes, bits 8, close reason 4)
    and every packet opens a connection again, so the test above is not
    passing for another reason."""
    frames = []
    for i, exts in enumerate([[(1, b"\x01")], [(1, b"\x01\x00\x00\x00")], [(2, bytes(8))],
                              [(3, b"\x00\x00\x00\x0f")], [(1, b"\x03"), (3, b"\x00\x00\x00\x0f")]]):
        first = exts[0][0]
        hdr = struct.pack(">BBHIIIHH", (2 << 4) | 1, first, 1000 + i, 5, 6, 1 << 20, 7, 8)
        chain = b""
        for j, (t, data) in enumerate(exts):
            nxt = exts[j + 1][0] if j + 1 < len(exts) else 0
            chain += struct.pack(">BB", nxt, len(data)) + data
        frames.append(udp_frame("203.0.113.1", 10000 + i, "203.0.113.2", 40000 + i, hdr + chain))
    cap = str(write_pcap(tshark.scratch("utp-near-miss-control.pcap"), frames))
    assert tshark.count(cap, "utp") == len(frames)
