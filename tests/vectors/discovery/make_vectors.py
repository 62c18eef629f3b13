#!/usr/bin/env python3
"""Hand-built discovery vectors for the btlsd and bttracker tests.

Edge cases and malformed input that the real clients in test-captures/ do not
send.  Writes, next to this script:

  lsd-vectors.pcap          BEP 14 announces (see LSD below for frame by frame)
  tracker-udp-vectors.pcap  BEP 15 exchanges over IPv6 and IPv4
  tracker-http-vectors.pcap BEP 3/23/48 exchanges over TCP port 6969

Every payload below is written from the BEPs, not from our dissectors'
output; tests/test_btlsd.py and tests/test_bttracker.py state what each frame
must decode to.  Run: /usr/bin/python3 tests/vectors/discovery/make_vectors.py
"""
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
from pcapgen import udp_frame as _udp_frame, write_pcap  # noqa: E402


def udp_frame(src, sport, dst, dport, payload, ipv6=False):
    """pcapgen's frame, with the UDP checksum filled in for IPv6, where a
    zero checksum is illegal (RFC 8200) and Wireshark flags it."""
    fr = bytearray(_udp_frame(src, sport, dst, dport, payload, ipv6))
    if ipv6:
        udp = bytes(fr[54:])
        pseudo = fr[22:54] + struct.pack(">IxxxB", len(udp), 17)
        data = pseudo + udp + (b"\0" if len(udp) % 2 else b"")
        total = sum(struct.unpack(">%dH" % (len(data) // 2), data))
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
        fr[60:62] = struct.pack(">H", (~total & 0xFFFF) or 0xFFFF)
    return bytes(fr)

IH = [bytes.fromhex(h) for h in (
    "0123456789abcdef0123456789abcdef01234567",
    "89abcdef0123456789abcdef0123456789abcdef",
    "fedcba9876543210fedcba9876543210fedcba98",
)]

G4, G6 = "239.192.152.143", "ff15::efc0:988f"


def lsd(lines):
    return ("".join(l + "\r\n" for l in lines) + "\r\n").encode()


# --------------------------------------------------------------------- LSD
def lsd_frames():
    f = []
    # 1: three Infohash lines and a cookie (libtorrent style), IPv4 group.
    f.append(udp_frame("10.78.0.11", 6771, G4, 6771, lsd([
        "BT-SEARCH * HTTP/1.1", f"Host: {G4}:6771", "Port: 6881",
        f"Infohash: {IH[0].hex()}", f"Infohash: {IH[1].hex()}", f"Infohash: {IH[2].hex()}",
        "cookie: c00k1e"])))
    # 2: one bad infohash (39 digits), one good one, upper case; unknown header kept.
    f.append(udp_frame("10.78.0.12", 6771, G4, 6771, lsd([
        "BT-SEARCH * HTTP/1.1", f"Host: {G4}:6771", "Port: 51413",
        "Infohash: " + IH[0].hex()[:39], "Infohash: " + IH[1].hex().upper(),
        "X-Client: vectors"])))
    # 3: IPv6 group, Transmission style (no cookie).
    f.append(udp_frame("fd78::12", 6771, G6, 6771, lsd([
        "BT-SEARCH * HTTP/1.1", f"Host: [{G6}]:6771", "Port: 51413",
        "Infohash: " + IH[2].hex().upper()]), ipv6=True))
    # 4: a well-formed announce sent to an IPv6 address that is not the group.
    f.append(udp_frame("fd78::12", 6771, "fd78::99", 6771, lsd([
        "BT-SEARCH * HTTP/1.1", f"Host: [{G6}]:6771", "Port: 51413",
        "Infohash: " + IH[2].hex()]), ipv6=True))
    # 5: not LSD, on port 6771 (an SSDP-like search): must not be btlsd.
    f.append(udp_frame("10.78.0.13", 6771, G4, 6771,
                       b"M-SEARCH * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\n\r\n"))
    # 6: malformed line, bad Port, bare LF line end; the good lines still count.
    f.append(udp_frame("10.78.0.14", 6771, G4, 6771,
                       b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 99999\r\n"
                       b"this line has no colon\r\nInfohash: " + IH[1].hex().encode() +
                       b"\ncookie: lf-only\r\n\r\n"))
    # 7: truncated: the datagram ends inside the second Infohash line.
    f.append(udp_frame("10.78.0.15", 6771, G4, 6771,
                       b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6882\r\n"
                       b"Infohash: " + IH[0].hex().encode() + b"\r\nInfohash: 0123"))
    # 8: Host names the IPv4 group but the datagram went to the IPv6 group.
    f.append(udp_frame("fd78::15", 6771, G6, 6771, lsd([
        "BT-SEARCH * HTTP/1.1", f"Host: {G4}:6771", "Port: 6883",
        "Infohash: " + IH[0].hex()]), ipv6=True))
    # 9: random text on 6771 that starts like an HTTP request: not btlsd.
    f.append(udp_frame("10.78.0.16", 40000, "10.78.0.17", 6771, b"BT-SEARCH is a word\r\n"))
    return f


# ------------------------------------------------------------- UDP tracker
MAGIC = 0x41727101980
CID = 0x1122334455667788


def connect_req(tid):
    return struct.pack(">QII", MAGIC, 0, tid)


def connect_resp(tid, cid):
    return struct.pack(">IIQ", 0, tid, cid)


def announce_req(cid, tid, ih, event, port, options=b""):
    return struct.pack(">QII20s20sQQQIIIiH", cid, 1, tid, ih, b"-XX0001-vectorpeer01", 1000, 2000, 3000,
                       event, 0, 0xCAFEBABE, -1, port) + options


def udp_tracker_frames():
    c6, t6 = "fd78::21", "fd78::3"
    c4, t4 = "10.78.0.21", "10.78.0.3"
    f = []
    up = lambda p: udp_frame(c6, 40001, t6, 1337, p, ipv6=True)    # noqa: E731
    down = lambda p: udp_frame(t6, 1337, c6, 40001, p, ipv6=True)  # noqa: E731
    # 1, 2: connect over IPv6 (port 1337: found by the connect magic, not by port).
    f += [up(connect_req(0x0A0A0001)), down(connect_resp(0x0A0A0001, CID))]
    # 3: announce with BEP 41 options: NOP, URL data "/ann", unknown type 7 (2 bytes), END.
    opts = b"\x01" + b"\x02\x04/ann" + b"\x07\x02\xAA\xBB" + b"\x00"
    f.append(up(announce_req(CID, 0x0A0A0002, IH[0], 2, 6881, opts)))
    # 4: its answer, two IPv6 peers (18 bytes each).
    peers6 = (bytes.fromhex("fd780000000000000000000000000031") + struct.pack(">H", 6881) +
              bytes.fromhex("fd780000000000000000000000000032") + struct.pack(">H", 51413))
    f.append(down(struct.pack(">IIIII", 1, 0x0A0A0002, 1800, 1, 2) + peers6))
    # 5: scrape of three hashes; 6: its answer with three entries.
    f.append(up(struct.pack(">QII", CID, 2, 0x0A0A0003) + IH[0] + IH[1] + IH[2]))
    f.append(down(struct.pack(">II", 2, 0x0A0A0003) + struct.pack(">III", 5, 10, 1) +
                  struct.pack(">III", 0, 0, 0) + struct.pack(">III", 7, 8, 9)))
    # 7: announce with a connection id never issued; 8: error answer.
    f.append(up(announce_req(0xDEADBEEF, 0x0A0A0004, IH[1], 0, 6881)))
    f.append(down(struct.pack(">II", 3, 0x0A0A0004) + b"Connection ID missmatch."))
    # 9: an answer whose transaction id matches no request.
    f.append(down(struct.pack(">IIIII", 1, 0x0BADBAD0, 1800, 0, 0)))
    # 10: announce (completed event); 11: answered by a scrape-shaped answer (action mismatch).
    f.append(up(announce_req(CID, 0x0A0A0005, IH[2], 1, 6881)))
    f.append(down(struct.pack(">II", 2, 0x0A0A0005) + struct.pack(">III", 1, 2, 3)))
    # 12: announce (stopped); 13: truncated answer (15 bytes, fixed part is 20).
    f.append(up(announce_req(CID, 0x0A0A0006, IH[0], 3, 6881)))
    f.append(down(struct.pack(">IIIH", 1, 0x0A0A0006, 1800, 0)[:15].ljust(15, b"\0")))
    # 14: scrape of one hash; 15: answer with 5 trailing bytes after its entry.
    f.append(up(struct.pack(">QII", CID, 2, 0x0A0A0007) + IH[1]))
    f.append(down(struct.pack(">II", 2, 0x0A0A0007) + struct.pack(">III", 1, 1, 1) + b"\x01\x02\x03\x04\x05"))
    # IPv4 conversation: 16, 17 connect; 18 announce; 19 answer with 2 IPv4 peers and a stray byte.
    up4 = lambda p: udp_frame(c4, 40002, t4, 6969, p)    # noqa: E731
    down4 = lambda p: udp_frame(t4, 6969, c4, 40002, p)  # noqa: E731
    f += [up4(connect_req(0x0C0C0001)), down4(connect_resp(0x0C0C0001, CID + 1))]
    f.append(up4(announce_req(CID + 1, 0x0C0C0002, IH[1], 2, 6881)))
    f.append(down4(struct.pack(">IIIII", 1, 0x0C0C0002, 900, 0, 2) +
                   bytes([10, 78, 0, 41]) + struct.pack(">H", 6881) +
                   bytes([10, 78, 0, 42]) + struct.pack(">H", 6889) + b"\x99"))
    # 20: a 12-byte request (shorter than any request's 16 bytes) in the IPv4 conversation.
    f.append(up4(b"\x00" * 12))
    return f


# ------------------------------------------------------------ HTTP tracker
class Tcp:
    """One TCP connection's segments with consistent sequence numbers."""

    def __init__(self, cli, cport, srv, sport):
        self.ep = {True: (cli, cport), False: (srv, sport)}
        self.seq = {True: 1000, False: 5000}

    def seg(self, from_client, payload, flags=0x18):
        (src, sp), (dst, dp) = self.ep[from_client], self.ep[not from_client]
        tcp = struct.pack(">HHIIBBHHH", sp, dp, self.seq[from_client], self.seq[not from_client],
                          5 << 4, flags, 65535, 0, 0) + payload
        self.seq[from_client] += len(payload)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         bytes(int(x) for x in src.split(".")), bytes(int(x) for x in dst.split(".")))
        return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp


def pct(b):
    return "".join("%%%02x" % c for c in b)


def bstr(b):
    return str(len(b)).encode() + b":" + b


def get(path):
    return f"GET {path} HTTP/1.1\r\nHost: 10.78.0.3:6969\r\nUser-Agent: vectors\r\n\r\n".encode()


def ok(body, ctype="text/plain"):
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def http_tracker_frames():
    f = []
    # 1, 2: announce (event completed, numwant -1, '+' left unescaped in the
    # info_hash: its 6th byte is 0x2b) and a dictionary-form answer with an
    # IPv4, an IPv6 and a named peer, compact peers6, warning, tracker id.
    ih = bytes.fromhex("00112233442b66778899aabbccddeeff00112233")
    q = (f"/announce?info_hash={pct(ih[:5])}+{pct(ih[6:])}&peer_id=-XX0001-{pct(b'vectorpeer01')}"
         "&port=6881&uploaded=3000&downloaded=1000&left=2000&event=completed&numwant=-1&compact=0&key=ab12")
    t = Tcp("10.78.0.51", 50001, "10.78.0.3", 6969)
    f.append(t.seg(True, get(q)))
    body = (b"d8:intervali1800e12:min intervali60e5:peersl"
            b"d2:ip10:10.78.0.617:peer id20:-XX0001-peersixtyone4:porti6881ee"
            b"d2:ip8:fd78::624:porti6882ee"
            b"d2:ip11:example.net4:porti6883ee"
            b"e6:peers6" + bstr(bytes.fromhex("fd780000000000000000000000000063") + struct.pack(">H", 6884)) +
            b"10:tracker id3:t1d15:warning message8:be nice!e")
    f.append(t.seg(False, ok(body)))
    # 3, 4: scrape of two hashes (BEP 48) and its "files" answer.
    t = Tcp("10.78.0.51", 50002, "10.78.0.3", 6969)
    f.append(t.seg(True, get(f"/scrape?info_hash={pct(IH[0])}&info_hash={pct(IH[1])}")))
    body = (b"d5:filesd" + bstr(IH[0]) + b"d8:completei4e10:downloadedi7e10:incompletei2ee" +
            bstr(IH[1]) + b"d8:completei0e10:downloadedi0e10:incompletei1eeee")
    f.append(t.seg(False, ok(body)))
    # 5, 6: announce answered with a failure reason.
    t = Tcp("10.78.0.51", 50003, "10.78.0.3", 6969)
    f.append(t.seg(True, get(f"/announce?info_hash={pct(IH[2])}&port=6881&event=started")))
    f.append(t.seg(False, ok(b"d14:failure reason12:not allowed!e")))
    # 7, 8: answer cut short inside its compact peers string (Content-Length
    # agrees, so HTTP hands over the short body): interval still decoded.
    t = Tcp("10.78.0.51", 50004, "10.78.0.3", 6969)
    f.append(t.seg(True, get(f"/announce?info_hash={pct(IH[0])}&port=6881&compact=1")))
    f.append(t.seg(False, ok(b"d8:intervali1800e5:peers12:" + bytes([10, 78, 0, 71, 0x1a, 0xe1, 10, 78]))))
    # 9, 10: malformed query: 19-byte info_hash, port out of range, unknown
    # event, bad escape; answer with one compact IPv4 peer.
    t = Tcp("10.78.0.51", 50005, "10.78.0.3", 6969)
    f.append(t.seg(True, get(f"/announce.php?info_hash={pct(IH[0][:19])}&peer_id=%zz&port=99999&event=bogus")))
    f.append(t.seg(False, ok(b"d8:intervali60e5:peers6:" + bytes([10, 78, 0, 81, 0x1a, 0xe1]) + b"e")))
    # 11, 12: ordinary HTTP on the same port: must stay plain HTTP.
    t = Tcp("10.78.0.51", 50006, "10.78.0.3", 6969)
    f.append(t.seg(True, get("/index.html?lang=en")))
    f.append(t.seg(False, ok(b"d4:spam plain text, not a tracker\n")))
    # 13: a tracker answer whose request is not in the capture.
    t = Tcp("10.78.0.52", 50007, "10.78.0.3", 6969)
    t.seq[False] += 0
    f.append(t.seg(False, ok(b"d8:completei1e10:incompletei0e8:intervali900e5:peers6:" +
                             bytes([10, 78, 0, 91, 0x1a, 0xe1]) + b"e")))
    return f


def main():
    write_pcap(HERE / "lsd-vectors.pcap", lsd_frames())
    write_pcap(HERE / "tracker-udp-vectors.pcap", udp_tracker_frames())
    write_pcap(HERE / "tracker-http-vectors.pcap", http_tracker_frames())


if __name__ == "__main__":
    main()
