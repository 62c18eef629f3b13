"""Raw-bytes oracles of tests/test_stock_parity.py: what really is on the
wire of a capture's uTP connections and TCP streams, read with
tests/btpeer_streams.py and scripts/pcapread.py (no dissector involved), used
to cap stock Wireshark's counts where stock reads bytes inside a message as
new messages (bt-utp does not reassemble; 4.4+ bittorrent after a TCP gap).
"""
import bisect
import ipaddress
import struct
from collections import Counter, defaultdict

import btpeer_streams as bs


def utp_truth(path):
    """Independent ceiling for uTP (tests/btpeer_streams.py, a raw-bytes reader):
    endpoint pair -> Counter of peer-wire message kinds, for each pair whose every
    uTP connection is fully readable (SYN captured, no sequence gap either way,
    plaintext handshake, ends on a message boundary); None for the other pairs.
    Stock's bt-utp does not reassemble a message split over packets and reads the
    next packet from a wrong boundary (swarm-pex.pcap frame 289: a Request shown
    as a Choke); such counts above the real ones are not a loss of ours."""
    syns, flows = {}, defaultdict(bs.UtpFlow)
    for _, linktype, frame in bs.read_pcap(path):
        ip = bs.ip_payload(frame, linktype)
        if not ip or ip[0] != 17 or len(ip[3]) < 8:
            continue
        _, src, dst, udp = ip
        sport, dport = struct.unpack("!HH", udp[:4])
        h = bs.utp_header(udp[8:])
        if not h:
            continue
        a = (str(ipaddress.ip_address(src)), str(sport))
        b = (str(ipaddress.ip_address(dst)), str(dport))
        ptype, conn_id, seq, data = h
        if ptype == 4:
            syns[(a, b, conn_id)] = True
        elif ptype == 0 and data:
            flows[(a, b, conn_id)].add(seq, data)
    truth = {}
    claimed = set()
    for (ini, acc, syn_id) in syns:
        pair = frozenset({ini, acc})
        keys = [(ini, acc, (syn_id + 1) & 0xFFFF), (acc, ini, syn_id)]
        claimed.update(keys)
        conn = bs.Connection("utp", ini, acc)
        ok = truth.get(pair, Counter()) is not None
        for d, k in enumerate(keys):
            f = flows.get(k)
            if f and sorted(f.packets) != list(range(min(f.packets), max(f.packets) + 1)):
                ok = False        # a sequence gap: the reader sees only a prefix
            conn.streams[d] = f.stream() if f else b""
        dirs = bs.walk(conn)
        if not all(d.complete and (d.handshake or not s) for d, s in zip(dirs, conn.streams)):
            ok = False
        if not ok:
            truth[pair] = None
            continue
        c = truth.setdefault(pair, Counter())
        for d in dirs:
            c["handshake"] += d.handshake is not None
            for t, n in d.types.items():
                c["keep-alive" if t == "keepalive" else f"type {t} ({bs.MSG_NAMES.get(t, 'unknown')})"] += n
    for k in flows:                # data of a connection whose SYN is not in the capture
        if k not in claimed:
            truth[frozenset({k[0], k[1]})] = None
    return truth


def tcp_directions(path):
    """Every TCP direction of a capture: {(src, dst): {"isn", "segments": {seq:
    (frame number, payload)}}} (first copy of a sequence number wins)."""
    flows = defaultdict(lambda: {"isn": None, "syns": set(), "segments": {}})
    for num, (_, linktype, frame) in enumerate(bs.read_pcap(path), 1):
        ip = bs.ip_payload(frame, linktype)
        if not ip or ip[0] != 6 or len(ip[3]) < 20:
            continue
        _, src, dst, tcp = ip
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        f = flows[((src, sport), (dst, dport))]
        if tcp[13] & 0x02:
            f["isn"] = seq
            f["syns"].add(seq)
        data = tcp[(tcp[12] >> 4) * 4:]
        if data:
            f["segments"].setdefault(seq, (num, data))
    return flows


class SparseStream:
    """One TCP direction as captured, by offset from a reference sequence
    number: contiguous runs of bytes, capture gaps left as holes."""

    def __init__(self, ref, segments):
        self.frames = []                  # (offset, length, frame number)
        runs = []
        for seq, (num, data) in segments.items():
            off = (seq - ref + 0x80000000) & 0xFFFFFFFF
            self.frames.append((off, len(data), num))
            runs.append((off, data))
        self.runs = []                    # [offset, bytearray], disjoint, sorted
        for off, data in sorted(runs, key=lambda r: r[0]):
            if self.runs and off <= self.runs[-1][0] + len(self.runs[-1][1]):
                start, buf = self.runs[-1]
                buf += data[start + len(buf) - off:]
            else:
                self.runs.append([off, bytearray(data)])
        self.starts = [r[0] for r in self.runs]

    def read(self, pos, n):
        """n bytes at pos, or None when any of them was not captured."""
        i = bisect.bisect_right(self.starts, pos) - 1
        if i < 0:
            return None
        start, buf = self.runs[i]
        return bytes(buf[pos - start:pos - start + n]) if pos + n <= start + len(buf) else None

    def header(self, pos):
        """(length, kind) of a BEP 3 message starting at pos, or None."""
        head = self.read(pos, 4)
        if head is None:
            return None
        n, = struct.unpack("!I", head)
        if n == 0:
            return 0, "keep-alive"
        t = self.read(pos + 4, 1)
        return None if t is None else (n, f"type {t[0]} ({bs.MSG_NAMES.get(t[0], 'unknown')})")


PIECE_MAX = 9 + (1 << 17)   # BEP 3: blocks of at most 128 KiB in practice (16 KiB usual)


def anchors(st):
    """Offsets where a message boundary is certain without the stream's start:
    a Piece header (length 10..PIECE_MAX) followed, exactly its length later,
    by the header of a known message type in captured bytes (two consecutive
    length prefixes agreeing by chance is vanishingly unlikely)."""
    out = []
    for start, buf in st.runs:
        for i in range(len(buf) - 4):
            if buf[i + 4] != 7 or buf[i] or buf[i + 1] > 2:
                continue
            n, = struct.unpack("!I", bytes(buf[i:i + 4]))
            nxt = st.header(start + i + 4 + n) if 9 < n <= PIECE_MAX else None
            if nxt and nxt[0] and int(nxt[1].split()[1]) in bs.MSG_NAMES and nxt[0] <= PIECE_MAX:
                out.append(start + i)
    return out


def tcp_frame_truth(path):
    """Independent ceiling for TCP after capture gaps (a raw-bytes reader):
    frame number -> Counter of the message kinds whose bytes overlap the
    frame's payload, for frames whose every message boundary is known: walked
    from the direction's start (ISN + 1, or a first segment that opens with
    the handshake) or from an anchor, by length prefixes, up to the first
    boundary that falls in a gap.  Any reader, reassembling or not, shows a
    message in a frame holding some of its bytes, so no more than this.
    Stock's bittorrent (4.4+) reads bytes inside a block after a gap as
    messages (public-ndpi-bittorrent.pcap frame 129: 356 zero bytes of a
    block shown as 89 keep-alives); counts above these are not a loss of ours."""
    truth = {}
    for f in tcp_directions(path).values():
        if len(f["syns"]) > 1 or not f["segments"]:
            continue                      # port reused: two connections in one flow
        first = min(f["segments"].values())[0]
        ref = next(q for q, v in f["segments"].items() if v[0] == first)
        st = SparseStream(ref, f["segments"])
        walks = anchors(st)
        if f["isn"] is not None:
            base = (f["isn"] + 1 - ref + 0x80000000) & 0xFFFFFFFF
        else:
            base = min(o for o, _, _ in st.frames)
        if st.read(base, 20) == bs.PSTR:
            walks.append(("handshake", base))
        known = []                        # (from, to, [(start, end, kind)])
        for w in walks:
            pos, msgs = (w[1] + 68, [(w[1], w[1] + 68, "handshake")]) if isinstance(w, tuple) else (w, [])
            start = msgs[0][0] if msgs else pos
            end = max(o + n for o, n, _ in st.frames)
            while pos < end and (h := st.header(pos)):
                msgs.append((pos, pos + 4 + h[0], h[1]))
                pos += 4 + h[0]
            known.append((start, pos if pos < end else float("inf"), msgs))
        for off, n, num in st.frames:
            for a, b, msgs in known:
                if a <= off and off + n <= b:
                    truth[num] = Counter(k for s, e, k in msgs if s < off + n and e > off)
                    break
    return truth
