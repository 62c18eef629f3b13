"""Hand-built KRPC datagrams for what the real captures do not carry: BEP 33
scrapes and bloom filters, BEP 44 mutable items, BEP 43 "ro", BEP 42 ids on
public addresses, a reused transaction id, a second answer, an answer to
nothing, unknown keys and codes, bad shapes, truncation, and a list longer
than the itemising bound.  Each frame's expectations are written beside it
(the generator's knowledge), for tests/test_btdht_vectors.py.
"""
import struct

from pcapgen import udp_frame, write_pcap

A, B = "124.31.75.21", "203.0.113.9"               # A: BEP 42's first example address
ID_A = bytes.fromhex("5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401")   # BEP 42's id for A (matches)
ID_B = bytes(range(20))                              # does not match B
TARGET = bytes([0xAB]) * 20
MAX_ITEMS = 1000                                     # BTDHT_MAX_ITEMS


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(v)


def node(i, ip="198.51.100.7", port=6881):
    nid = bytes([0xAB, 0xAB, i & 0xFF]) + bytes(17)
    return nid + bytes(int(x) for x in ip.split(".")) + struct.pack(">H", port)


def bloom(bits):
    f = bytearray(256)
    for b in bits:
        f[b // 8] |= 0x80 >> (b % 8)
    return bytes(f)


def q(t, method, args, **extra):
    return benc({b"t": t, b"y": b"q", b"q": method, b"a": args, **{k.encode(): v for k, v in extra.items()}})


def r(t, resp, **extra):
    return benc({b"t": t, b"y": b"r", b"r": resp, **{k.encode(): v for k, v in extra.items()}})


def e(t, code, msg):
    return benc({b"t": t, b"y": b"e", b"e": [code, msg]})


# (src, dst, payload); src/dst "A" or "B"
MESSAGES = [
    ("A", "B", q(b"aa", b"ping", {b"id": ID_A}, v=b"LT\x02\x00")),                              # 1
    ("B", "A", r(b"aa", {b"id": ID_B}, ip=bytes([124, 31, 75, 21]) + struct.pack(">H", 6881), ro=1)),  # 2
    ("A", "B", q(b"ab", b"get_peers", {b"id": ID_A, b"info_hash": TARGET, b"scrape": 1, b"noseed": 1})),  # 3
    ("B", "A", r(b"ab", {b"id": ID_B, b"token": b"tok", b"BFsd": bloom([3, 900]), b"BFpe": b"\xff" * 256,  # 4
                         b"values": [bytes([192, 0, 2, 5]) + struct.pack(">H", 51413),
                                     bytes.fromhex("20010db8000000000000000000000005") + struct.pack(">H", 6882),
                                     b"short"],
                         b"nodes": node(1) + node(0x80) + b"xyz"})),
    ("A", "B", q(b"ac", b"get", {b"id": ID_A, b"target": TARGET, b"seq": 4})),                  # 5
    ("A", "B", q(b"ad", b"put", {b"id": ID_A, b"k": b"K" * 32, b"sig": b"S" * 64, b"seq": 5,    # 6
                                  b"salt": b"salt", b"cas": 4, b"token": b"tok",
                                  b"v": {b"msg": b"hello", b"n": [1, 2]}})),
    ("B", "A", e(b"ad", 302, b"Sequence number less than current")),                           # 7
    ("A", "B", q(b"ae", b"find_node", {b"id": ID_A, b"target": TARGET})),                       # 8
    ("A", "B", q(b"ae", b"find_node", {b"id": ID_A, b"target": TARGET})),                       # 9 (reuses t of 8)
    ("B", "A", r(b"ae", {b"id": ID_B, b"nodes": node(2)})),                                    # 10
    ("B", "A", r(b"ae", {b"id": ID_B, b"nodes": node(3)})),                                    # 11 (second answer)
    ("B", "A", r(b"zz", {b"id": ID_B})),                                                       # 12 (no query)
    ("A", "B", q(b"af", b"vote", {b"id": ID_A, b"foo": [1, b"x"]}, zz=1)),                     # 13 unknown
    ("B", "A", e(b"af", 999, b"odd")),                                                         # 14
    ("A", "B", b"d1:ad2:id20:abc"),                                                            # 15 truncated
    ("B", "A", r(b"ag", {b"id": ID_B, b"interval": 21600, b"num": 7, b"samples": bytes(range(60)),  # 16
                         b"port": 70000})),
    ("B", "A", r(b"ah", {b"id": ID_B, b"nodes": b"".join(node(i) for i in range(MAX_ITEMS + 3))})),  # 17
    ("A", "B", b"d1:t2:xx1:y1:q1:q4:ping1:ad2:id20:" + ID_A + b"ee"),                           # 18 unsorted
    ("A", "B", b"d1:xi1ee"),                                                                   # 19 not KRPC
]


def write(path):
    addr = {"A": A, "B": B}
    frames = [udp_frame(addr[s], 6881, addr[d], 6881, p) for s, d, p in MESSAGES]
    write_pcap(path, frames)
