"""Hostile discovery captures and their controls, generated at test time
(issue 7, items 10 and 11) for tests/test_discovery_hostile.py and
tests/test_discovery_memory.py.

Each generator returns a list of frames for pcapgen.write_pcap; `hostile`
selects the crafted values, otherwise the control: the same number of frames
of the same sizes with ordinary (random or repeated) values.  Layouts come
from the BEPs (15: UDP tracker, 3/23: HTTP tracker, 14: LSD), as in
make_vectors.py.
"""
import gzip
import random
import struct

from make_vectors import CID, Tcp, announce_req, bstr, connect_req, connect_resp, get, pct, udp_frame

CLI, TRK = "10.79.0.2", "10.79.0.3"


def _up(p):
    return udp_frame(CLI, 40001, TRK, 6969, p)


def _down(p):
    return udp_frame(TRK, 6969, CLI, 40001, p)


def udp_announces(n, hostile, seed=1):
    """A connect, then n announce requests.  Hostile: every infohash shares
    its first 4 bytes (what the old store hashed); control: random ones."""
    rnd = random.Random(seed)
    f = [_up(connect_req(1)), _down(connect_resp(1, CID))]
    for i in range(n):
        ih = (b"\xab\xcd\xef\x01" + rnd.randbytes(16)) if hostile else rnd.randbytes(20)
        f.append(_up(announce_req(CID, 0x100000 + i, ih, 2, 6881)))
    return f


def udp_connects(n, hostile, seed=2):
    """n connect exchanges on one conversation.  Hostile: the issued
    connection ids share their low 32 bits (all g_int64_hash looks at);
    control: random ids."""
    rnd = random.Random(seed)
    f = []
    for i in range(n):
        cid = ((i + 1) << 32 | 0x5EED5EED) if hostile else rnd.getrandbits(64)
        f += [_up(connect_req(0x200000 + i)), _down(connect_resp(0x200000 + i, cid))]
    return f


def peers_blob(n, distinct, start=0):
    """n compact IPv4 peers (BEP 23): distinct endpoints numbered from
    `start` (100.x.y.z, port 1024 + ...), or n copies of 100.80.0.1:6881.
    Few 0x0a bytes: HTTP shows a text/plain body line by line, and a
    newline in every entry would make that (stock) tree the large one."""
    if not distinct:
        return (bytes([100, 80, 0, 1]) + struct.pack(">H", 6881)) * n
    out = bytearray()
    for k in range(start, start + n):
        out += struct.pack(">BBHH", 100, 128 | (k >> 22 & 0x7f), k >> 6 & 0xffff, 1024 + (k & 63))
    return bytes(out)


def udp_announce_answers(n_answers, per_answer, distinct, first_tid=0x300000, same_peers=False):
    """A connect, then n_answers announce exchanges whose answers carry
    per_answer compact peers each: all distinct endpoints (or, with
    same_peers, the same per_answer distinct ones in every answer), or one
    endpoint repeated (the control)."""
    f = [_up(connect_req(1)), _down(connect_resp(1, CID))]
    ih = bytes(range(20))
    for i in range(n_answers):
        tid = first_tid + i
        f.append(_up(announce_req(CID, tid, ih, 0, 6881)))
        f.append(_down(struct.pack(">IIIII", 1, tid, 1800, 0, per_answer) +
                       peers_blob(per_answer, distinct, 0 if same_peers else i * per_answer)))
    return f


def udp_scrape(n_hashes, hostile, seed=3):
    """A scrape request of n_hashes and its answer of n_hashes entries in
    one (large) datagram; the control is the same size as an announce
    answer carrying peers (12 bytes = two peers per entry)."""
    rnd = random.Random(seed)
    f = [_up(connect_req(1)), _down(connect_resp(1, CID))]
    if hostile:
        f.append(_up(struct.pack(">QII", CID, 2, 7) + rnd.randbytes(20 * n_hashes)))
        f.append(_down(struct.pack(">II", 2, 7) + rnd.randbytes(12 * n_hashes)))
    else:
        f.append(_up(announce_req(CID, 7, rnd.randbytes(20), 0, 6881) + bytes(20 * n_hashes - 82)))
        f.append(_down(struct.pack(">IIIII", 1, 7, 1800, 0, 1) + bytes(12 * n_hashes - 12)))
    return f


def _http_answer(t, body, extra_headers=b""):
    """The answer's segments: header and body split at 60,000 bytes (under
    the 65,535-byte IPv4 limit)."""
    msg = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extra_headers +
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return [t.seg(False, msg[i:i + 60000]) for i in range(0, len(msg), 60000)]


def http_exchange(body, port, gzipped=False):
    """One announce over HTTP and its answer with this bencoded body
    (gzip-compressed with Content-Encoding: gzip when asked)."""
    t = Tcp("10.79.0.5", port, TRK, 6969)
    f = [t.seg(True, get(f"/announce?info_hash={pct(bytes(range(20)))}&port=6881&compact=1"))]
    if gzipped:
        f += _http_answer(t, gzip.compress(body, 9), b"Content-Encoding: gzip\r\n")
    else:
        f += _http_answer(t, body)
    return f


def http_peers_body(n, hostile):
    """n compact peers: distinct endpoints, or (control) one repeated."""
    return b"d8:intervali1800e5:peers" + bstr(peers_blob(n, hostile)) + b"e"


def http_gzip_bomb(size, hostile):
    """A body of `size` bytes that gzip shrinks about 1000:1.  Hostile: all
    compact peers (one repeated endpoint); control: the same bytes under a
    key that is not a tracker's (one item), so that the work stock HTTP does
    (inflating, showing the text) is the same in both."""
    blob = bstr(peers_blob(size // 6, False))
    return b"d8:intervali1800e" + (b"5:peers" if hostile else b"5:xpadx") + blob + b"e"


def lsd_announce(n_hashes, hostile, seed=6):
    """One LSD announce in one large datagram of n_hashes lines.  Hostile:
    that many Infohash lines; control: one Infohash line and the rest
    other headers of the same length."""
    rnd = random.Random(seed)
    head = b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
    lines = [b"Infohash: " + rnd.randbytes(20).hex().encode() + b"\r\n" for _ in range(n_hashes)]
    if not hostile:
        lines = lines[:1] + [b"X-Paddin" + ln[8:] for ln in lines[1:]]
    return udp_frame("10.79.0.7", 6771, "239.192.152.143", 6771, head + b"".join(lines) + b"\r\n")
