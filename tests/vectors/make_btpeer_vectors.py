#!/usr/bin/env python3
"""Writes the hand-built btpeer test vectors (classic pcap, Ethernet/IPv4).

Each vector holds what the real clients never sent in our captures, or input
no well-behaved client sends.  Run from anywhere; writes next to this file in
btpeer/.  Deterministic: same bytes on every run.

  btpeer-all-messages.pcap  one TCP connection (port 50000, found by the
      heuristic) with every BEP 3 / 6 / 52 message, v2 and unknown reserved
      bits, Mainline and Azureus peer ids, extension handshakes on both sides,
      ut_pex (IPv4 + IPv6, flags), ut_holepunch, lt_donthave, upload_only,
      share_mode, ut_metadata request/data/reject, an unannounced extension id,
      an extension without decoder, an unknown message id, a Piece split over
      several TCP segments and a Request split across 3 segments.
  btpeer-malformed.pcap     on TCP port 6881: bencode nested 2000 deep,
      truncated bencode, wrong fixed lengths, malformed ut_pex and holepunch,
      extended message before any extension handshake, a 2 GiB length prefix.
  btpeer-utp-reordered.pcap a uTP connection whose 900-byte extension
      handshake is split over 3 DATA packets that arrive in the order 3, 1, 2.
  btpeer-not-bittorrent.pcap TCP traffic that must not be taken for
      BitTorrent: HTTP, one-sided random bytes, random bytes both ways but
      larger than an MSE key flight, a TLS ClientHello start.
"""
import os
import random
import struct
import sys

# The capture scripts' bencoder (sorted keys, BEP 3): one encoder for the project.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "capture"))
from mkpayload import bencode  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "btpeer")
INFO_HASH = bytes(range(0xA0, 0xB4))


# ---------------------------------------------------------------- pcap

class Pcap:
    def __init__(self):
        self.frames = []
        self.t = 1_700_000_000.0

    def add(self, frame, dt=0.001):
        self.t += dt
        self.frames.append((self.t, frame))

    def write(self, name):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for t, fr in self.frames:
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
                f.write(fr)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def ether(payload):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + payload


def l4_checksum(src, dst, proto, seg):
    pseudo = bytes(src) + bytes(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return checksum(pseudo + seg)


class Tcp:
    """One TCP connection; send() cuts data into segments as told."""
    def __init__(self, pcap, a, b):
        self.pcap = pcap
        self.ends = [a, b]            # ((ip tuple), port)
        self.seq = [1000, 500000]
        self.segment(0, b"", 0x02)    # SYN
        self.seq[0] += 1
        self.segment(1, b"", 0x12)    # SYN/ACK
        self.seq[1] += 1
        self.segment(0, b"", 0x10)    # ACK

    def segment(self, d, data, flags=0x18):
        (sip, sport), (dip, dport) = self.ends[d], self.ends[1 - d]
        hdr = struct.pack("!HHIIBBHHH", sport, dport, self.seq[d], self.seq[1 - d], 5 << 4, flags,
                          65535, 0, 0)
        seg = hdr + data
        seg = seg[:16] + struct.pack("!H", l4_checksum(sip, dip, 6, seg)) + seg[18:]
        self.pcap.add(ether(ipv4(sip, dip, 6, seg)))
        self.seq[d] += len(data)

    def send(self, d, data, cuts=(), mss=1400):
        """Sends data from side d; cuts lists offsets where segments must end."""
        points = sorted(set([c for c in cuts if 0 < c < len(data)]))
        pieces, start = [], 0
        for p in points + [len(data)]:
            while p - start > mss:
                pieces.append(data[start:start + mss])
                start += mss
            pieces.append(data[start:p])
            start = p
        for piece in pieces:
            self.segment(d, piece)


# ---------------------------------------------------------------- peer wire

def handshake(reserved, peer_id):
    return b"\x13BitTorrent protocol" + bytes(reserved) + INFO_HASH + peer_id


def msg(mid, payload=b""):
    return struct.pack("!IB", 1 + len(payload), mid) + payload


def ext(eid, payload):
    return msg(20, bytes([eid]) + payload)


def u32(*v):
    return b"".join(struct.pack("!I", x) for x in v)


def ip(s):
    return bytes(int(x) for x in s.split("."))


# A: qBittorrent 4.5.2 on 10.0.0.1; B: BitTorrent Mainline 7.10.2 on 10.0.0.2.
A_IDS = {"ut_pex": 1, "ut_metadata": 3, "ut_holepunch": 4, "lt_donthave": 7, "upload_only": 8,
         "share_mode": 9, "lt_tex": 11}
B_IDS = {"ut_metadata": 2, "ut_pex": 5, "ut_holepunch": 6, "lt_donthave": 10, "upload_only": 12}
IPV6_A = bytes.fromhex("fd000000000000000000000000000001")
IPV6_B = bytes.fromhex("fd000000000000000000000000000002")


def all_messages():
    pc = Pcap()
    a, b = (ip("10.0.0.1"), 40000), (ip("10.0.0.2"), 50000)
    t = Tcp(pc, a, b)
    # A: ext + dht + fast + v2, and an unallocated bit (byte 1, 0x01)
    t.send(0, handshake([0, 0x01, 0, 0, 0, 0x10, 0, 0x15], b"-qB4520-" + b"abcdefghijkl"))
    # B: azureus + ext + nat traversal + fast
    t.send(1, handshake([0x80, 0, 0, 0, 0, 0x10, 0, 0x0C], b"M7-10-2-" + b"mnopqrstuvwx"))
    t.send(0, ext(0, bencode({"m": A_IDS, "v": "qBittorrent/4.5.2", "p": 6881, "yourip": ip("10.0.0.2"),
                              "reqq": 500, "metadata_size": 5, "upload_only": 0})))
    t.send(1, ext(0, bencode({"m": B_IDS, "v": "Mainline 7.10.2", "yourip": IPV6_A, "ipv4": ip("10.0.0.2"),
                              "ipv6": IPV6_B})))
    # A -> B: BEP 3 and BEP 6 messages of a downloader
    t.send(0, struct.pack("!I", 0) + msg(2) + msg(3) + msg(2)
           + msg(5, bytes([0xFF, 0x0F, 0x00])) + msg(4, u32(5)))
    # a Request cut into 3 segments (after 2 and after 9 of its 17 bytes)
    t.send(0, msg(6, u32(1, 0, 16384)), cuts=(2, 9))
    t.send(0, msg(6, u32(1, 16384, 16384)) + msg(6, u32(2, 0, 16384)) + msg(6, u32(3, 0, 16384)))
    t.send(0, msg(8, u32(1, 16384, 16384)) + msg(9, struct.pack("!H", 6881)) + msg(13, u32(6)))
    t.send(0, msg(21, bytes(range(32)) + u32(0, 0, 2, 1)))
    t.send(0, ext(B_IDS["ut_metadata"], bencode({"msg_type": 0, "piece": 0})))
    # B -> A: uploader's messages
    t.send(1, msg(0) + msg(1) + msg(14) + msg(15) + msg(17, u32(7)) + msg(13, u32(4)))
    block = bytes((i * 7) & 0xFF for i in range(16384))
    t.send(1, msg(7, u32(1, 0) + block))                      # 12 segments
    t.send(1, msg(16, u32(2, 0, 16384)))                      # reject
    t.send(1, msg(22, bytes(range(32)) + u32(0, 0, 2, 0) + b"\x11" * 32 + b"\x22" * 32))
    t.send(1, msg(23, bytes(range(32)) + u32(0, 2, 2, 0)))
    pex = {"added": ip("10.0.0.5") + struct.pack("!H", 6881) + ip("10.0.0.6") + struct.pack("!H", 51413),
           "added.f": bytes([0x01 | 0x04, 0x02 | 0x10]),
           "added6": IPV6_B + struct.pack("!H", 6882), "added6.f": bytes([0x08]),
           "dropped": ip("10.0.0.7") + struct.pack("!H", 6883)}
    t.send(1, ext(A_IDS["ut_pex"], bencode(pex)))
    t.send(1, ext(A_IDS["ut_holepunch"], bytes([1, 0]) + ip("10.0.0.9") + struct.pack("!HI", 7000, 0)))
    t.send(1, ext(A_IDS["ut_holepunch"], bytes([2, 1]) + IPV6_A + struct.pack("!HI", 7001, 2)))
    t.send(1, ext(A_IDS["lt_donthave"], u32(9)) + ext(A_IDS["upload_only"], b"\x01")
           + ext(A_IDS["share_mode"], b"\x00"))
    t.send(1, ext(A_IDS["ut_metadata"], bencode({"msg_type": 1, "piece": 0, "total_size": 5}) + b"hello"))
    t.send(1, ext(A_IDS["ut_metadata"], bencode({"msg_type": 2, "piece": 1})))
    t.send(1, ext(99, b"\x01\x02\x03"))                       # id A never announced
    t.send(1, ext(A_IDS["lt_tex"], bencode({"added": "x"})))   # announced, no decoder
    t.send(1, msg(42, b"\xde\xad"))                           # unknown message id
    pc.write("btpeer-all-messages.pcap")


def malformed():
    pc = Pcap()
    a, b = (ip("10.0.1.1"), 40001), (ip("10.0.1.2"), 6881)
    t = Tcp(pc, a, b)
    t.send(0, handshake([0, 0, 0, 0, 0, 0x10, 0, 0x05], b"\0" * 20))     # unknown client
    t.send(1, handshake([0, 0, 0, 0, 0, 0x10, 0, 0x05], b"-TR3000-" + b"q" * 12))
    t.send(0, ext(1, b"d1:xi1ee"))                            # before any extension handshake
    deep = b"d1:m" + b"l" * 2000 + b"e" * 2000 + b"e"
    t.send(0, ext(0, deep))                                   # nesting far above the limit
    t.send(1, ext(0, b"d1:md6:ut_pexi1e12:ut_holepunchi2e3:bad"))  # truncated bencode
    t.send(1, ext(0, bencode({"m": {"ut_pex": 1, "ut_holepunch": 2, "huge": 300}})))
    t.send(0, struct.pack("!IB", 3, 4) + b"\0\0")             # Have with 2 bytes
    t.send(0, struct.pack("!IB", 5, 7) + u32(1))              # Piece shorter than its header
    t.send(0, msg(0, b"extra"))                                # Choke with a payload
    t.send(0, msg(22, bytes(32) + u32(0, 0, 1, 0) + b"\x33" * 37))  # hashes + 5 stray bytes
    t.send(0, ext(1, bencode({"added": b"\x0a\0\0\x05\x1a", "added.f": b"\x01\x02"})))  # 5-byte peer
    t.send(0, ext(2, b"\x01\x00\x0a"))                        # truncated holepunch
    t.send(0, ext(1, b"i42e"))                                # ut_pex that is not a dict
    t.send(0, struct.pack("!I", 0x7FFFFFF0) + b"\xAB" * 40)   # length that cannot fit
    pc.write("btpeer-malformed.pcap")


def utp_packet(ptype, conn_id, seq, ack, payload=b"", ts=0):
    return struct.pack("!BBHIIIHH", (ptype << 4) | 1, 0, conn_id, ts, 0, 1 << 20, seq, ack) + payload


def udp(pc, src, dst, payload, dt=0.001):
    (sip, sport), (dip, dport) = src, dst
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    seg = seg[:6] + struct.pack("!H", l4_checksum(sip, dip, 17, seg)) + seg[8:]
    pc.add(ether(ipv4(sip, dip, 17, seg)), dt)


def utp_reordered():
    pc = Pcap()
    a, b = (ip("10.0.2.1"), 6881), (ip("10.0.2.2"), 6881)
    syn_id, a_seq, b_seq = 0x1234, 30000, 42000
    udp(pc, a, b, utp_packet(4, syn_id, a_seq, 0))                              # SYN
    udp(pc, b, a, utp_packet(2, syn_id, b_seq, a_seq))                          # STATE
    udp(pc, a, b, utp_packet(0, syn_id + 1, a_seq + 1, b_seq - 1,
                             handshake([0, 0, 0, 0, 0, 0x10, 0, 0x05], b"-LT2080-" + b"r" * 12)))
    udp(pc, b, a, utp_packet(0, syn_id, b_seq, a_seq + 1,
                             handshake([0, 0, 0, 0, 0, 0x10, 0, 0x05], b"-TR3000-" + b"s" * 12)))
    big = ext(0, bencode({"m": {"ut_pex": 1, "ut_metadata": 2}, "v": "x" * 850, "reqq": 250}))
    parts = [big[:300], big[300:600], big[600:]]
    seqs = [a_seq + 2, a_seq + 3, a_seq + 4]
    for i in (2, 0, 1):                                                         # arrival order 3, 1, 2
        udp(pc, a, b, utp_packet(0, syn_id + 1, seqs[i], b_seq, parts[i]))
    udp(pc, b, a, utp_packet(2, syn_id, b_seq + 1, a_seq + 4))
    udp(pc, a, b, utp_packet(0, syn_id + 1, a_seq + 5, b_seq, msg(2)))          # Interested after it
    pc.write("btpeer-utp-reordered.pcap")
    return len(big)


def not_bittorrent():
    pc = Pcap()
    rnd = random.Random(7)
    t = Tcp(pc, (ip("10.0.3.1"), 40100), (ip("10.0.3.2"), 8080))
    t.send(0, b"GET /announce?info_hash=%A0%A1 HTTP/1.1\r\nHost: example\r\n\r\n" + b"x" * 60)
    t.send(1, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    t = Tcp(pc, (ip("10.0.3.1"), 40101), (ip("10.0.3.3"), 9000))
    t.send(0, bytes(rnd.randrange(256) for _ in range(200)))  # random one way only
    t.send(1, b"OK\r\n" * 30)
    t = Tcp(pc, (ip("10.0.3.1"), 40102), (ip("10.0.3.4"), 9001))
    t.send(0, bytes(rnd.randrange(256) for _ in range(1200)))  # random, too big for a DH flight
    t.send(1, bytes(rnd.randrange(256) for _ in range(1300)))
    t = Tcp(pc, (ip("10.0.3.1"), 40103), (ip("10.0.3.5"), 9443))
    hello = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + bytes(rnd.randrange(256) for _ in range(32))
    t.send(0, hello + bytes(160))
    t.send(1, b"\x16\x03\x03\x00\x10" + bytes(16))
    pc.write("btpeer-not-bittorrent.pcap")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    all_messages()
    malformed()
    utp_reordered()
    not_bittorrent()
