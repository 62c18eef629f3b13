"""Independent reader of the discovery captures (stdlib only, no tshark).

The tshark tests compare what our dissectors show with what this reader
finds by itself in the same pcap, written from BEP 14/15/3 and RFCs 791,
8200, 768 and 793 - it shares no code with the C dissectors.

Classic pcap, Ethernet link type only (what scripts/make-discovery-captures
and make_vectors.py write).
"""
import gzip
import ipaddress
import re
import struct
from urllib.parse import unquote_to_bytes

from pcapread import bdecode, ip_layer, read_pcap  # scripts/: the shared oracle layers

TRACKER_PORT = 6969
LSD_PORT = 6771


def packets(path):
    """Yields (frame_number, src, dst, proto, sport, dport, tcp_flags, payload)."""
    for n, linktype, frame in read_pcap(path):
        ip = ip_layer(linktype, frame)
        if not ip or ip[0] == "frag":
            continue
        _, src, dst, proto, l4 = ip
        src, dst = str(src), str(dst)
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
            head, body = pl.split(b"\r\n\r\n", 1)
            if b"\r\ncontent-encoding: gzip" in head.lower():    # Deluge's tracker (zeek capture)
                body = gzip.decompress(body)
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
