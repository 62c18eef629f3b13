"""Corpora of UDP datagrams that are not uTP (and, but for two DHT ones,
not DHT either), shared by the heuristic tests of the uTP and DHT plugins:
near-miss uTP headers (issue 7, item 9) and foreign protocols plus seeded
random payloads."""
import random
import struct

from pcapgen import udp_frame, write_pcap

def near_miss(rnd):
    typ = rnd.choice([1, 2, 3, 4])            # FIN, STATE, RESET, SYN
    bad = rnd.choice(["sack0", "bits", "close", "many"])
    if bad == "sack0":
        exts = [(1, b"")]
    elif bad == "bits":
        exts = [(2, bytes(rnd.choice([n for n in range(0, 40) if n != 8])))]
    elif bad == "close":
        exts = [(3, bytes(rnd.choice([n for n in range(0, 40) if n != 4])))]
    else:
        exts = [(1, b"\x01")] * rnd.randrange(4, 8)
    if rnd.random() < 0.3 and bad != "many":
        exts = [(1, bytes([rnd.randrange(1, 256)]))] + exts    # a valid SACK first
    first = exts[0][0]
    hdr = struct.pack(">BBHIIIHH", (typ << 4) | 1, first, rnd.randrange(65536),
                      rnd.randrange(1 << 32), rnd.randrange(1 << 32), rnd.randrange(1 << 21),
                      rnd.randrange(65536), rnd.randrange(65536))
    chain = b""
    for i, (t, data) in enumerate(exts):
        nxt = exts[i + 1][0] if i + 1 < len(exts) else 0
        chain += struct.pack(">BB", nxt, len(data)) + data
    return hdr + chain



def negative_corpus(path):
    """UDP that is not uTP, on arbitrary ports: DNS, DHT, LSD, QUIC, WireGuard,
    NTP, RTP, syslog, and seeded random payloads."""
    rnd = random.Random(29)
    dns_q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01"
    dns_r = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01" + \
        b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22"
    dht = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"
    dht_r = b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"
    lsd = (b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
           b"Infohash: " + b"a" * 40 + b"\r\n\r\n\r\n")
    quic_long = bytes([0xC3, 0, 0, 0, 1, 8]) + bytes(rnd.randrange(256) for _ in range(1194))
    quic_short = bytes([0x41]) + bytes(rnd.randrange(256) for _ in range(60))
    wg_init = b"\x01\x00\x00\x00" + bytes(rnd.randrange(256) for _ in range(144))
    wg_resp = b"\x02\x00\x00\x00" + bytes(rnd.randrange(256) for _ in range(88))
    wg_data = b"\x04\x00\x00\x00" + bytes(rnd.randrange(256) for _ in range(60))
    ntp = bytes([0x23]) + bytes(47)
    rtp = bytes([0x80, 0x00]) + bytes(rnd.randrange(256) for _ in range(170))
    syslog = b"<34>Oct 11 22:14:15 host su: 'su root' failed"
    frames = []
    fixed = [dns_q, dns_r, dht, dht_r, lsd, quic_long, quic_short, wg_init, wg_resp, wg_data, ntp, rtp, syslog]
    for i, p in enumerate(fixed * 5):
        frames.append(udp_frame("192.0.2.1", 20000 + i, "192.0.2.2", 30000 + i % 7, p))
    for i in range(3000):
        n = rnd.choice([rnd.randrange(1, 40), rnd.randrange(1, 1472)])
        p = bytes(rnd.randrange(256) for _ in range(n))
        frames.append(udp_frame("198.51.100.1", rnd.randrange(1024, 65536), "198.51.100.2",
                                rnd.randrange(1024, 65536), p))
    write_pcap(path, frames)
