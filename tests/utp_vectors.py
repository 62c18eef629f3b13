"""Hand-built uTP (BEP 29) vectors for what the real captures do not show
cleanly: 16-bit wraparound, out-of-order arrival of a message split in three,
1-byte SACK, retransmission, duplicate ACKs, LEDBAT delays, close reason,
unknown and overflowing extensions, zero window, RESET.

Every number below is chosen by hand; the expected analysis is written in the
test from BEP 29's rules, not taken from the dissector.
"""
import struct

from pcapgen import udp_frame, write_pcap

A = ("10.0.0.1", 40000)   # initiator
B = ("10.0.0.2", 50000)   # acceptor
SYN_ID = 1000

ST_DATA, ST_FIN, ST_STATE, ST_RESET, ST_SYN = range(5)


def utp(type_, conn_id, seq, ack, payload=b"", exts=(), ts=0, ts_diff=0, wnd=0x100000):
    """exts: list of (type, bytes).  Header 'extension' names the first type."""
    first = exts[0][0] if exts else 0
    hdr = struct.pack(">BBHIIIHH", (type_ << 4) | 1, first, conn_id, ts, ts_diff, wnd, seq, ack)
    chain = b""
    for i, (t, data) in enumerate(exts):
        nxt = exts[i + 1][0] if i + 1 < len(exts) else 0
        chain += struct.pack(">BB", nxt, len(data)) + data
    return hdr + chain + payload


def a2b(p):
    return udp_frame(A[0], A[1], B[0], B[1], p)


def b2a(p):
    return udp_frame(B[0], B[1], A[0], A[1], p)


HANDSHAKE_A = b"\x13BitTorrent protocol" + bytes(8) + bytes(range(20)) + b"-LT2080-" + b"A" * 12
HANDSHAKE_B = b"\x13BitTorrent protocol" + bytes(8) + bytes(range(20)) + b"-TR3000-" + b"B" * 12
P1, P2, P3 = HANDSHAKE_A[:20], HANDSHAKE_A[20:44], HANDSHAKE_A[44:]
KEEPALIVE = b"\x00\x00\x00\x00"

# The A->B byte stream the application sent, each byte once, in order
STREAM_A = HANDSHAKE_A + KEEPALIVE
STREAM_B = HANDSHAKE_B

# frame number (1-based) -> what it is; the test asserts on these numbers
FRAMES = [
    a2b(utp(ST_SYN, SYN_ID, 65534, 0, ts=100)),                                  # 1 SYN (rel 0)
    b2a(utp(ST_STATE, SYN_ID, 300, 65534, ts_diff=5000)),                        # 2 answers SYN: iRTT
    a2b(utp(ST_DATA, SYN_ID + 1, 65535, 299, P1)),                               # 3 rel 1
    b2a(utp(ST_STATE, SYN_ID, 300, 65535, ts_diff=5000)),                        # 4
    a2b(utp(ST_DATA, SYN_ID + 1, 1, 299, P3)),                                   # 5 rel 3: seq 0 skipped
    b2a(utp(ST_STATE, SYN_ID, 300, 65535, exts=[(1, b"\x01")], ts_diff=5000)),   # 6 SACK 1 byte: seq 1
    a2b(utp(ST_DATA, SYN_ID + 1, 0, 299, P2)),                                   # 7 rel 2: fills the gap
    b2a(utp(ST_STATE, SYN_ID, 300, 1, ts_diff=4000)),                            # 8 acks up to seq 1
    b2a(utp(ST_DATA, SYN_ID, 300, 1, HANDSHAKE_B, ts_diff=4000)),                # 9 B's data rel 1
    a2b(utp(ST_STATE, SYN_ID + 1, 2, 300)),                                      # 10
    a2b(utp(ST_DATA, SYN_ID + 1, 2, 300, KEEPALIVE)),                            # 11 rel 4
    a2b(utp(ST_DATA, SYN_ID + 1, 2, 300, KEEPALIVE)),                            # 12 retransmission of 11
    b2a(utp(ST_STATE, SYN_ID, 301, 1, ts_diff=4000)),                            # 13 dup ACK #1 of 8
    b2a(utp(ST_STATE, SYN_ID, 301, 1, ts_diff=4000)),                            # 14 dup ACK #2 of 8
    b2a(utp(ST_STATE, SYN_ID, 301, 2, ts_diff=7000)),                            # 15 acks 11 (no RTT: retransmitted)
    a2b(utp(ST_FIN, SYN_ID + 1, 3, 300, exts=[(3, b"\x00\x00\x00\x06")])),       # 16 FIN, close reason 6
    b2a(utp(ST_STATE, SYN_ID, 301, 3, exts=[(9, b"\xaa\xbb")])),                 # 17 unknown ext 9
    b2a(utp(ST_STATE, SYN_ID, 301, 3)[:1] + b"\x01" + utp(ST_STATE, SYN_ID, 301, 3)[2:] + b"\x00\x28" + bytes(8)),  # 18 SACK len 40 overflows
    b2a(utp(ST_STATE, SYN_ID, 301, 3, wnd=0)),                                   # 19 zero window
    b2a(utp(ST_RESET, SYN_ID, 301, 3)),                                          # 20 RESET
]


def write(path):
    return write_pcap(path, FRAMES)


def raw_udp_datagrams(path):
    """Yields (frame, src ip, sport, dst ip, dport, UDP payload) of a classic
    pcap, read with scripts/pcapread.py (the independent raw reader, not tshark)."""
    from pcapread import ip_layer, read_pcap   # scripts/ (on sys.path via conftest)
    for num, lt, frame in read_pcap(path):
        ip = ip_layer(lt, frame)
        if not ip or ip[0] == "frag" or ip[3] != 17:
            continue
        l4 = ip[4]
        sport, dport = struct.unpack(">HH", l4[:4])
        yield num, str(ip[1]), sport, str(ip[2]), dport, l4[8:]
