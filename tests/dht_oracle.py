"""Independent reader of DHT captures (stdlib only, no tshark): every UDP
datagram (not quoted in ICMP) that bdecodes whole as a KRPC message (BEP 5:
a dict with a string "t" and "y" one of q, r, e), and the pairing BEP 5
implies: an answer goes back between the same two endpoints with its
query's "t".  Written from BEP 5/32 with scripts/pcapread.py's layers; it
shares no code with the C dissector.
"""
import ipaddress
import struct

from pcapread import bdecode, ip_layer, read_pcap


# The prefixes Wireshark's built-in bt-dht claims whatever follows (a
# message without "t" among them): ours must claim them too (see
# plugins/dht/README.md, Detection).
BUILTIN_PREFIXES = (b"d1:ad", b"d1:rd", b"d2:ip", b"d1:el")


def udp_payloads(path):
    """(frame, src, sport, dst, dport, payload) of each UDP datagram."""
    for n, linktype, frame in read_pcap(path):
        ip = ip_layer(linktype, frame)
        if not ip or ip[0] == "frag" or ip[3] != 17 or len(ip[4]) < 8:
            continue
        _, src, dst, _, l4 = ip
        sport, dport, ulen = struct.unpack(">HHH", l4[:6])
        yield n, str(src), sport, str(dst), dport, l4[8:ulen]


def claimed(path):
    """Frames a DHT dissector must take: KRPC messages and the built-in's prefixes."""
    valid = {m["frame"] for m in krpc(path)}
    return sorted(valid | {n for n, *_, pl in udp_payloads(path) if pl[:5] in BUILTIN_PREFIXES})


def krpc(path):
    """[{frame, src, sport, dst, dport, msg}] for each KRPC datagram."""
    out = []
    for n, src, sport, dst, dport, pl in udp_payloads(path):
        if pl[:1] != b"d":
            continue
        try:
            msg, end = bdecode(pl)
        except (ValueError, IndexError):
            continue
        if end != len(pl) or not isinstance(msg, dict) or not isinstance(msg.get(b"t"), bytes) \
                or msg.get(b"y") not in (b"q", b"r", b"e"):
            continue
        out.append(dict(frame=n, src=src, sport=sport, dst=dst, dport=dport, msg=msg))
    return out


def pairs(msgs):
    """(answer frame -> query frame, query frame -> first answer frame, unanswered query frames)."""
    open_q, answer_of, first_answer = {}, {}, {}
    for m in msgs:
        y = m["msg"][b"y"]
        if y == b"q":
            open_q[(m["src"], m["sport"], m["dst"], m["dport"], m["msg"][b"t"])] = m["frame"]
            continue
        key = (m["dst"], m["dport"], m["src"], m["sport"], m["msg"][b"t"])
        q = open_q.get(key)
        if q is not None:
            answer_of[m["frame"]] = q
            first_answer.setdefault(q, m["frame"])
    queries = [m["frame"] for m in msgs if m["msg"][b"y"] == b"q"]
    return answer_of, first_answer, [q for q in queries if q not in first_answer]


def compact(b, ipv6):
    n = 16 if ipv6 else 4
    return str(ipaddress.ip_address(b[:n])), struct.unpack(">H", b[n:n + 2])[0]


def nodes(blob, ipv6=False):
    """[(id bytes, ip, port)] of a compact node list (26 or 38 bytes each)."""
    size = 38 if ipv6 else 26
    return [(blob[i:i + 20], *compact(blob[i + 20:i + size], ipv6)) for i in range(0, len(blob) - size + 1, size)]


def values(msg):
    """[(ip, port)] of an answer's "values"."""
    r = msg.get(b"r", {})
    return [compact(v, len(v) == 18) for v in r.get(b"values", []) if isinstance(v, bytes) and len(v) in (6, 18)]


def common_bits(a, b):
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return 160 - x.bit_length()
