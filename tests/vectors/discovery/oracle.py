"""Independent reader of the discovery captures (stdlib only, no tshark).

The tshark tests compare what our dissectors show with what this reader
finds by itself in the same pcap, written from BEP 14/15/3 and RFCs 791,
8200, 768 and 793 - it shares no code with the C dissectors.

Classic pcap, Ethernet link type only (what scripts/make-discovery-captures
and make_vectors.py write).
"""
import ipaddress
import re
import struct
from urllib.parse import unquote_to_bytes

TRACKER_PORT = 6969
LSD_PORT = 6771


def packets(path):
    """Yields (frame_number, src, dst, proto, sport, dport, tcp_flags, payload)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, "classic little-endian pcap expected"
    off, n = 24, 0
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        if len(frame) < 14:
            continue
        etype = struct.unpack(">H", frame[12:14])[0]
        p = frame[14:]
        if etype == 0x0800 and len(p) >= 20:
            ihl = (p[0] & 0x0F) * 4
            total = struct.unpack(">H", p[2:4])[0]
            proto = p[9]
            src, dst = str(ipaddress.IPv4Address(p[12:16])), str(ipaddress.IPv4Address(p[16:20]))
            l4 = p[ihl:total]
        elif etype == 0x86DD and len(p) >= 40:
            plen = struct.unpack(">H", p[4:6])[0]
            proto = p[6]
            src, dst = str(ipaddress.IPv6Address(p[8:24])), str(ipaddress.IPv6Address(p[24:40]))
            l4 = p[40:40 + plen]
        else:
            continue
        if proto == 17 and len(l4) >= 8:
            sport, dport, ulen = struct.unpack(">HHH", l4[:6])
            yield n, src, dst, "udp", sport, dport, 0, l4[8:ulen]
        elif proto == 6 and len(l4) >= 20:
            sport, dport = struct.unpack(">HH", l4[:4])
            doff = (l4[12] >> 4) * 4
            yield n, src, dst, "tcp", sport, dport, l4[13], l4[doff:]


def lsd_announces(path):
    """Every BEP 14 announce: frame, src, dst, port, infohashes (lower-case hex), cookie."""
    out = []
    for n, src, dst, proto, sport, dport, _, pl in packets(path):
        if proto != "udp" or not pl.startswith(b"BT-SEARCH * HTTP/1.1"):
            continue
        text = pl.decode("latin-1")
        hashes = [h.lower() for h in re.findall(r"(?im)^infohash:[ \t]*([0-9a-f]{40})[ \t]*\r?$", text)]
        port = re.search(r"(?im)^port:[ \t]*(\d+)", text)
        cookie = re.search(r"(?im)^cookie:[ \t]*(\S+)", text)
        out.append({"frame": n, "src": src, "dst": dst, "port": int(port.group(1)) if port else None,
                    "infohashes": hashes, "cookie": cookie.group(1) if cookie else None})
    return out


def _compact(b, ipv6):
    step = 18 if ipv6 else 6
    res = []
    for i in range(0, len(b) - len(b) % step, step):
        a = b[i:i + step - 2]
        addr = str(ipaddress.IPv6Address(a) if ipv6 else ipaddress.IPv4Address(a))
        res.append((addr, struct.unpack(">H", b[i + step - 2:i + step])[0]))
    return res


def udp_tracker(path, port=TRACKER_PORT):
    """BEP 15 messages to/from the tracker port, requests paired by (client, transaction id)."""
    msgs, pending = [], {}
    for n, src, dst, proto, sport, dport, _, pl in packets(path):
        if proto != "udp" or TRACKER_PORT not in (sport, dport) or len(pl) < 8:
            continue
        if dport == port:
            cid, action, tid = struct.unpack(">QII", pl[:16])
            m = {"frame": n, "request": True, "action": action, "tid": tid, "client": (src, sport)}
            if action == 1 and len(pl) >= 98:
                m["info_hash"] = pl[16:36].hex()
                m["event"], = struct.unpack(">I", pl[80:84])
                m["port"], = struct.unpack(">H", pl[96:98])
            pending[(src, sport, tid)] = n
        else:
            action, tid = struct.unpack(">II", pl[:8])
            m = {"frame": n, "request": False, "action": action, "tid": tid, "client": (dst, dport),
                 "request_frame": pending.get((dst, dport, tid))}
            if action == 1 and len(pl) >= 20:
                m["peers"] = _compact(pl[20:], ":" in src)
            if action == 3:
                m["error"] = pl[8:].decode("utf-8", "replace")
        msgs.append(m)
    return msgs


def bdecode(b, i=0):
    """Minimal bencode decoder: returns (value, next offset)."""
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c == b"l":
        i, res = i + 1, []
        while b[i:i + 1] != b"e":
            v, i = bdecode(b, i)
            res.append(v)
        return res, i + 1
    if c == b"d":
        i, res = i + 1, {}
        while b[i:i + 1] != b"e":
            k, i = bdecode(b, i)
            v, i = bdecode(b, i)
            res[k] = v
        return res, i + 1
    colon = b.index(b":", i)
    ln = int(b[i:colon])
    return b[colon + 1:colon + 1 + ln], colon + 1 + ln


def http_tracker(path, port=TRACKER_PORT):
    """GET requests to the tracker port and their answers (one request in
    flight per TCP connection, as libtorrent and opentracker do)."""
    msgs, last_req = [], {}
    for n, src, dst, proto, sport, dport, _, pl in packets(path):
        if proto != "tcp" or not pl:
            continue
        if dport == port and pl.startswith(b"GET "):
            uri = pl.split(b" ")[1].decode("latin-1")
            path_, _, query = uri.partition("?")
            params = {}
            for pair in query.split("&"):
                k, _, v = pair.partition("=")
                params.setdefault(k, []).append(unquote_to_bytes(v))
            msgs.append({"frame": n, "request": True, "path": path_, "params": params})
            last_req[(src, sport)] = n
        elif sport == port and pl.startswith(b"HTTP/1."):
            body = pl.split(b"\r\n\r\n", 1)[1]
            ans, _ = bdecode(body)
            m = {"frame": n, "request": False, "request_frame": last_req.get((dst, dport)), "answer": ans}
            if isinstance(ans.get(b"peers"), bytes):
                m["peers"] = _compact(ans[b"peers"], False)
            msgs.append(m)
    return msgs


def tcp_connections(path):
    """TCP connections opened in the capture: (SYN frame, src, sport, dst, dport)."""
    return [(n, src, sport, dst, dport) for n, src, dst, proto, sport, dport, flags, _ in packets(path)
            if proto == "tcp" and flags & 0x02 and not flags & 0x10]


def handshakes(path):
    """BitTorrent handshakes on TCP: (frame, src, sport, dst, dport, info_hash hex)."""
    out = []
    for n, src, dst, proto, sport, dport, _, pl in packets(path):
        if proto == "tcp" and len(pl) >= 68 and pl[:20] == b"\x13BitTorrent protocol":
            out.append((n, src, sport, dst, dport, pl[28:48].hex()))
    return out
