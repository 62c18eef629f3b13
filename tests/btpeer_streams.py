"""Independent peer-wire reader for the btpeer tests (stdlib only).

Reads a classic pcap (Ethernet or Linux cooked), reassembles every TCP
connection and every uTP connection (BEP 29: DATA packets ordered by seq_nr,
duplicates dropped) into one byte stream per direction, and walks the
BitTorrent peer wire in each stream: the 68-byte handshake, then
length-prefixed messages (BEP 3), decoding just enough of extended messages
(BEP 10) to name them.  It shares no code with the C dissector, so counts
that agree with tshark are two independent readings of the same bytes.
"""
import hashlib
import struct
from collections import Counter, defaultdict

from pcapread import bdecode, ip_layer, read_pcap  # scripts/: the shared oracle layers

PSTR = b"\x13BitTorrent protocol"


# ---------------------------------------------------------------- pcap / IP

def ip_payload(frame, linktype):
    """(proto, src, dst, payload) of an IPv4/IPv6 packet (addresses as bytes), or None."""
    r = ip_layer(linktype, frame)
    if not r or r[0] == "frag":
        return None
    _, src, dst, proto, l4 = r
    return proto, src.packed, dst.packed, l4


# ---------------------------------------------------------------- TCP

class TcpFlow:
    def __init__(self):
        self.isn = None
        self.segments = {}       # seq -> bytes (first copy wins)

    def stream(self):
        if not self.segments:
            return b""
        base = self.isn + 1 if self.isn is not None else min(self.segments)
        out = bytearray()
        pos = base
        for seq in sorted(self.segments, key=lambda s: (s - base) & 0xFFFFFFFF):
            data = self.segments[seq]
            rel = (seq - pos) & 0xFFFFFFFF
            if rel > 0x7FFFFFFF:          # starts before pos: overlap
                skip = (pos - seq) & 0xFFFFFFFF
                data = data[skip:]
                rel = 0
            if rel != 0:
                break                     # hole: stop at the first gap
            out += data
            pos = (pos + len(data)) & 0xFFFFFFFF
        return bytes(out)


# ---------------------------------------------------------------- uTP

def utp_header(udp_payload):
    """(type, conn_id, seq, payload) of a uTP v1 packet, or None."""
    if len(udp_payload) < 20 or udp_payload[0] & 0x0F != 1 or udp_payload[0] >> 4 > 4:
        return None
    ptype = udp_payload[0] >> 4
    ext = udp_payload[1]
    conn_id, = struct.unpack("!H", udp_payload[2:4])
    seq, = struct.unpack("!H", udp_payload[16:18])
    p = 20
    hops = 0
    while ext != 0:
        if p + 2 > len(udp_payload) or hops > 64:
            return None
        ext, elen = udp_payload[p], udp_payload[p + 1]
        p += 2 + elen
        hops += 1
    if p > len(udp_payload):
        return None
    return ptype, conn_id, seq, udp_payload[p:]


class UtpFlow:
    def __init__(self):
        self.packets = {}        # unwrapped seq -> payload
        self.last = None

    def add(self, seq, payload):
        if self.last is None:
            full = seq
        else:                    # unwrap relative to the last seq seen
            delta = (seq - (self.last & 0xFFFF)) & 0xFFFF
            full = self.last + delta if delta < 0x8000 else self.last - (0x10000 - delta)
        self.last = full if self.last is None else max(self.last, full)
        self.packets.setdefault(full, payload)

    def stream(self):
        out = bytearray()
        seqs = sorted(self.packets)
        for i, s in enumerate(seqs):
            if i and s != seqs[i - 1] + 1:
                break
            out += self.packets[s]
        return bytes(out)


# ---------------------------------------------------------------- streams

class Connection:
    def __init__(self, transport, a, b):
        self.transport = transport
        self.ends = (a, b)       # (ip bytes, port) of direction 0's sender and receiver
        self.streams = [b"", b""]


def connections(path):
    """All TCP and uTP connections of a capture with their two streams."""
    tcp = {}
    utp_syn = {}                 # (initiator, acceptor, syn id) from SYN packets
    utp_flows = defaultdict(UtpFlow)
    for _, linktype, frame in read_pcap(path):
        ip = ip_payload(frame, linktype)
        if not ip:
            continue
        proto, src, dst, payload = ip
        if proto == 6 and len(payload) >= 20:
            sport, dport, seq = struct.unpack("!HHI", payload[:8])
            doff = (payload[12] >> 4) * 4
            flags = payload[13]
            key = ((src, sport), (dst, dport))
            flow = tcp.setdefault(key, TcpFlow())
            if flags & 0x02:
                flow.isn = seq
            data = payload[doff:]
            if data:
                flow.segments.setdefault(seq, data)
        elif proto == 17 and len(payload) >= 8:
            sport, dport = struct.unpack("!HH", payload[:4])
            h = utp_header(payload[8:])
            if not h:
                continue
            ptype, conn_id, seq, data = h
            if ptype == 4:       # SYN
                utp_syn[((src, sport), (dst, dport), conn_id)] = True
            elif ptype == 0 and data:
                utp_flows[((src, sport), (dst, dport), conn_id)].add(seq, data)
    out = []
    seen = set()
    for (a, b), flow in tcp.items():
        if (a, b) in seen:
            continue
        seen.add((a, b))
        seen.add((b, a))
        c = Connection("tcp", a, b)
        c.streams[0] = flow.stream()
        c.streams[1] = tcp[(b, a)].stream() if (b, a) in tcp else b""
        if c.streams[0] or c.streams[1]:
            out.append(c)
    # uTP: the initiator sends with SYN id + 1, the acceptor with the SYN id.
    for (ini, acc, syn_id) in utp_syn:
        c = Connection("utp", ini, acc)
        c.syn_id = syn_id
        f0 = utp_flows.get((ini, acc, (syn_id + 1) & 0xFFFF))
        f1 = utp_flows.get((acc, ini, syn_id))
        c.streams[0] = f0.stream() if f0 else b""
        c.streams[1] = f1.stream() if f1 else b""
        out.append(c)
    return out


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- peer wire

MSG_NAMES = {0: "choke", 1: "unchoke", 2: "interested", 3: "not_interested", 4: "have",
             5: "bitfield", 6: "request", 7: "piece", 8: "cancel", 9: "port", 13: "suggest",
             14: "have_all", 15: "have_none", 16: "reject", 17: "allowed_fast", 20: "extended",
             21: "hash_request", 22: "hashes", 23: "hash_reject"}


class Direction:
    """What one direction's stream holds."""
    def __init__(self):
        self.handshake = None    # the 68 bytes
        self.types = Counter()   # message id -> count ("keepalive" for length 0)
        self.piece_bytes = 0
        self.ext_announced = {}  # name -> id from this side's extension handshake
        self.ext_sent = Counter()  # extension name (per the receiver's ids) -> count
        self.complete = True     # stream ended on a message boundary
        self.messages = 0
        # the message the stream ends inside (dissectors show it in part,
        # as stock Wireshark does): (type, declared body length) or None
        self.partial = None


def walk(conn):
    """Parses both directions; extended ids are named with the receiver's m dict,
    as announced before the message in stream order of the receiver's side
    (both sides send their extension handshake before using an id)."""
    dirs = [Direction(), Direction()]
    parsed = []
    for d, data in enumerate(conn.streams):
        msgs = []
        i = 0
        if data.startswith(PSTR) and len(data) >= 68:
            dirs[d].handshake = data[:68]
            i = 68
        elif data:
            dirs[d].complete = False   # not plaintext BitTorrent
            parsed.append(msgs)
            continue
        while i + 4 <= len(data):
            n, = struct.unpack("!I", data[i:i + 4])
            if i + 4 + n > len(data):
                break
            msgs.append(data[i + 4:i + 4 + n])
            i += 4 + n
        dirs[d].complete = i == len(data)
        if i + 5 <= len(data):
            dirs[d].partial = (data[i + 4], struct.unpack("!I", data[i:i + 4])[0])
        parsed.append(msgs)
    for d, msgs in enumerate(parsed):
        for body in msgs:
            dirs[d].messages += 1
            if not body:
                dirs[d].types["keepalive"] += 1
                continue
            mid = body[0]
            dirs[d].types[mid] += 1
            if mid == 7:
                dirs[d].piece_bytes += len(body) - 9
            elif mid == 20 and len(body) >= 2 and body[1] == 0:
                hs, _ = bdecode(body, 2)
                for name, eid in hs.get(b"m", {}).items():
                    dirs[d].ext_announced[name.decode()] = eid
    for d, msgs in enumerate(parsed):
        ids = {v: k for k, v in dirs[1 - d].ext_announced.items() if v}
        for body in msgs:
            if len(body) >= 2 and body[0] == 20 and body[1] != 0:
                dirs[d].ext_sent[ids.get(body[1], f"id{body[1]}")] += 1
    return dirs
