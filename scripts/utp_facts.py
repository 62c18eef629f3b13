#!/usr/bin/python3
"""Independent facts about a real BitTorrent capture, for the dissector tests.

Reads a classic libpcap file (Ethernet, IPv4/IPv6, UDP, TCP) with nothing but the
Python standard library - no tshark, no Wireshark, none of our dissectors - and
writes test-captures/<capture>.facts.json. The tests compare what our dissectors
show against these numbers, so this file must stay independent of them.

uTP (BEP 29), version 1: 20-byte header, byte 0 = type (high nibble) | version
(low nibble), byte 1 = first extension type, u16 connection_id at 2, u32
timestamp at 4, u32 timestamp difference at 8, u32 wnd_size at 12, u16 seq_nr at
16, u16 ack_nr at 18; then the extension chain (next type u8, len u8, len bytes,
type 0 ends it); the payload follows. Version 0 (the pre-BEP-29 layout that
libutp still uses for some ST_RESET): u32 connection id, u32 seconds, u32
microseconds, u32 reply microseconds, u8 window, u8 extension, u8 type, u16
seq_nr, u16 ack_nr = 23 bytes; these are listed separately.

Which UDP datagrams are uTP is known from the peers the capture script set up
(DHT is off everywhere): every UDP datagram to or from a peer endpoint given
with --peer. Connection pairing follows BEP 29: the SYN carries id X from the
initiator, the initiator's later packets carry X+1, the acceptor's carry X
(all mod 2^16); several connections may share one UDP port pair.

Per direction of a uTP connection: data_packets (DATA with payload), unique_seqs
(distinct seq_nr among DATA), repeated_seq_packets (DATA/FIN/SYN whose seq_nr was
already sent in that direction: retransmissions), stream_bytes / stream_sha256 /
stream_head_hex (payload of each seq_nr once, in seq order, 16-bit wraparound
unwrapped), sack_packets (packets with a selective-ACK extension) and sack_lengths
(their extension lengths), dup_ack_packets (ST_STATE whose ack_nr equals the ack_nr
of the previous packet sent in that direction), missing_data_seqs (holes between
the lowest and highest DATA seq_nr), retransmit_payload_mismatches, close_reasons
(libtorrent's close-reason extension, type 3), handshake (the BitTorrent handshake
if the stream starts with one), messages (BitTorrent messages counted by id and
extended messages by extension id, for plaintext streams). TCP directions: the byte stream reassembled by
sequence number (first copy of each byte wins), with missing_bytes for holes.

usage:
  utp_facts.py CAPTURE.pcap [--torrent FILE.torrent] --made-by "sentence"
               --peer "client|ip|port|peer_id_prefix" [--peer ...] [-o OUT.json]
  utp_facts.py CAPTURE.pcap --refresh OLD.facts.json [-o OUT.json]
      (recompute from the capture, keeping torrent, peers and made_by of OLD)
"""
import argparse
import hashlib
import ipaddress
import json
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pcapread import bdecode, ip_layer, read_pcap  # noqa: E402  (shared oracle layers)

UTP_TYPES = {0: "DATA", 1: "FIN", 2: "STATE", 3: "RESET", 4: "SYN"}
UTP_EXT_SACK = 1
UTP_EXT_CLOSE_REASON = 3
HEAD_BYTES = 68          # the BitTorrent handshake is 68 bytes
MAX_EXTENSIONS = 64      # a chain longer than this cannot fit a sane packet; stop there
BT_HANDSHAKE = b"\x13BitTorrent protocol"


# ---------------------------------------------------------------- bencode / torrent
def torrent_facts(path: Path) -> dict:
    raw = path.read_bytes()
    top, _ = bdecode(raw, positions=True)
    info, start, end = top[b"info"]
    if b"length" in info:
        total = info[b"length"][0]
    else:
        total = sum(f[b"length"][0] for f in info[b"files"][0])
    return {"name": info[b"name"][0].decode(), "total_size": total,
            "piece_length": info[b"piece length"][0],
            "info_hash": hashlib.sha1(raw[start:end]).hexdigest()}


# ---------------------------------------------------------------- pcap / packet layers
def ep(ip, port) -> str:
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


# ---------------------------------------------------------------- uTP
def parse_utp_v0(udp: bytes):
    if len(udp) >= 23 and udp[18] in UTP_TYPES:
        conn, = struct.unpack(">I", udp[:4])
        seq, ack = struct.unpack(">HH", udp[19:23])
        return {"version": 0, "type": UTP_TYPES[udp[18]], "conn": conn, "seq": seq,
                "ack": ack, "exts": [], "bad_ext": False, "payload": udp[23:]}
    return None


def parse_utp(udp: bytes):
    """Returns a dict for a version-1 or version-0 uTP datagram, or None.

    libutp answers a packet it takes for version 0 (old libutp treats any extension
    type >= 3, e.g. libtorrent's close reason, that way) with a 23-byte version-0
    ST_RESET that echoes the first 4 bytes of that packet as its connection id, so
    its first byte can look like a version-1 header (0x11 = FIN v1). Such a packet
    is taken as version 0 when, read as version 1, its extension chain does not fit
    or its timestamps and window are all zero (libutp's RESET leaves them zero; no
    real version-1 sender does), and byte 18 is a valid version-0 type.
    """
    v0 = parse_utp_v0(udp)
    if len(udp) >= 20 and (udp[0] & 0x0F) == 1 and (udp[0] >> 4) in UTP_TYPES:
        ptype, first_ext, conn, ts, tsd, wnd, seq, ack = struct.unpack(">BBHIIIHH", udp[:20])
        off, ext, exts, bad = 20, first_ext, [], False
        while ext != 0 and len(exts) < MAX_EXTENSIONS:
            if off + 2 > len(udp):
                bad = True
                break
            nxt, ln = udp[off], udp[off + 1]
            if off + 2 + ln > len(udp):
                bad = True
                break
            exts.append((ext, udp[off + 2:off + 2 + ln]))
            ext, off = nxt, off + 2 + ln
        if v0 is not None and len(udp) == 23 and (bad or ts == tsd == wnd == 0):
            return v0
        return {"version": 1, "type": UTP_TYPES[ptype >> 4], "conn": conn, "seq": seq,
                "ack": ack, "exts": exts, "bad_ext": bad, "payload": udp[off:]}
    return v0


class Direction:
    """What one side of a uTP connection sent."""

    def __init__(self):
        self.last_ext = None
        self.seqs_used = set()          # extended seq_nr of DATA, FIN, SYN
        self.data_seqs = set()
        self.payload = {}               # extended seq -> first payload seen
        self.data_packets = 0
        self.repeated = 0
        self.mismatch = 0
        self.sack_packets = 0
        self.sack_lengths = {}
        self.close_reasons = []
        self.last_ack = None
        self.dup_acks = 0

    def extend(self, seq: int) -> int:
        """16-bit seq_nr -> monotonic counter (nearest to the last one seen)."""
        if self.last_ext is None:
            self.last_ext = seq + 65536    # room below for retransmissions of older packets
            return self.last_ext
        diff = (seq - self.last_ext) & 0xFFFF
        if diff >= 0x8000:
            diff -= 0x10000
        value = self.last_ext + diff
        self.last_ext = max(self.last_ext, value)
        return value

    def add(self, p: dict) -> None:
        if p["type"] == "STATE" and p["ack"] == self.last_ack:
            self.dup_acks += 1
        self.last_ack = p["ack"]
        for etype, body in p["exts"]:
            if etype == UTP_EXT_SACK:
                self.sack_lengths[len(body)] = self.sack_lengths.get(len(body), 0) + 1
            if etype == UTP_EXT_CLOSE_REASON and len(body) >= 4:
                self.close_reasons.append(struct.unpack(">H", body[2:4])[0])
        if any(e == UTP_EXT_SACK for e, _ in p["exts"]):
            self.sack_packets += 1
        if p["type"] not in ("DATA", "FIN", "SYN"):
            return
        x = self.extend(p["seq"])
        if x in self.seqs_used:
            self.repeated += 1
        self.seqs_used.add(x)
        if p["type"] == "DATA":
            self.data_seqs.add(x)
            if p["payload"]:
                self.data_packets += 1
            if x in self.payload:
                if self.payload[x] != p["payload"]:
                    self.mismatch += 1
            else:
                self.payload[x] = p["payload"]

    def facts(self) -> dict:
        order = sorted(self.payload)
        stream = b"".join(self.payload[s] for s in order)
        missing = (order[-1] - order[0] + 1 - len(order)) if order else 0
        return {"data_packets": self.data_packets,
                "unique_seqs": len(self.data_seqs),
                "repeated_seq_packets": self.repeated,
                "stream_bytes": len(stream),
                "stream_sha256": hashlib.sha256(stream).hexdigest(),
                "stream_head_hex": stream[:HEAD_BYTES].hex(),
                "sack_packets": self.sack_packets,
                "dup_ack_packets": self.dup_acks,
                "sack_lengths": {str(k): v for k, v in sorted(self.sack_lengths.items())},
                "missing_data_seqs": missing,
                "retransmit_payload_mismatches": self.mismatch,
                "close_reasons": self.close_reasons,
                "handshake": handshake(stream),
                "messages": peer_messages(stream)}


def handshake(stream: bytes):
    if len(stream) >= 68 and stream.startswith(BT_HANDSHAKE):
        pid = stream[48:68]
        return {"reserved_hex": stream[20:28].hex(), "info_hash": stream[28:48].hex(),
                "peer_id_hex": pid.hex(), "peer_id_prefix": pid[:8].decode("latin-1")}
    return None


def peer_messages(stream: bytes):
    """Counts the BitTorrent messages (BEP 3, BEP 6, BEP 10) of a plaintext stream that
    starts with the handshake: {"by_id": {id: n}, "keepalives": n, "extended": {ext id: n},
    "trailing_bytes": bytes of an incomplete last message}, or None."""
    if handshake(stream) is None:
        return None
    by_id, ext, keepalives, off = {}, {}, 0, 68
    while off + 4 <= len(stream):
        n = struct.unpack(">I", stream[off:off + 4])[0]
        if off + 4 + n > len(stream):
            break
        if n == 0:
            keepalives += 1
        else:
            mid = stream[off + 4]
            by_id[str(mid)] = by_id.get(str(mid), 0) + 1
            if mid == 20 and n >= 2:
                e = str(stream[off + 5])
                ext[e] = ext.get(e, 0) + 1
        off += 4 + n
    return {"by_id": dict(sorted(by_id.items(), key=lambda kv: int(kv[0]))), "keepalives": keepalives,
            "extended": dict(sorted(ext.items(), key=lambda kv: int(kv[0]))),
            "trailing_bytes": len(stream) - off}


class UtpConnection:
    def __init__(self, initiator, acceptor, base, syn_seen, frame):
        self.initiator, self.acceptor, self.base = initiator, acceptor, base
        self.syn_seen = syn_seen
        self.counts = {t: 0 for t in ("DATA", "FIN", "STATE", "RESET", "SYN")}
        self.i2a, self.a2i = Direction(), Direction()
        self.first_frame = self.last_frame = frame
        self.v0 = 0

    def facts(self) -> dict:
        return {"initiator": self.initiator, "acceptor": self.acceptor,
                "syn_conn_id": self.base if self.syn_seen else None,
                "roles_known": self.syn_seen,
                "first_frame": self.first_frame, "last_frame": self.last_frame,
                "packets": self.counts, "v0_packets": self.v0,
                "initiator_to_acceptor": self.i2a.facts(),
                "acceptor_to_initiator": self.a2i.facts()}


class UtpTracker:
    def __init__(self):
        self.conns = []
        self.v0 = []
        self.total = 0
        self.not_utp = 0
        self.bad_ext = 0

    def find(self, src, dst, cid):
        # Latest connection first: ids may in principle be reused on one port pair.
        for c in reversed(self.conns):
            if c.initiator == src and c.acceptor == dst and (c.base + 1) & 0xFFFF == cid:
                return c, c.i2a
            if c.acceptor == src and c.initiator == dst and c.base == cid:
                return c, c.a2i
        return None, None

    def add(self, frame, src, dst, udp):
        p = parse_utp(udp)
        if p is None:
            self.not_utp += 1
            return
        self.total += 1
        if p["bad_ext"]:
            self.bad_ext += 1
        if p["version"] == 0:
            self.v0.append({"frame": frame, "src": src, "dst": dst, "type": p["type"],
                            "conn_id": p["conn"], "seq": p["seq"], "ack": p["ack"]})
            # A version-0 RESET echoes the id of the packet it answers: X or X+1.
            low = p["conn"] & 0xFFFF
            c = next((c for c in reversed(self.conns) if {c.initiator, c.acceptor} == {src, dst}
                      and low in (c.base, (c.base + 1) & 0xFFFF)), None)
            if c:
                c.v0 += 1
                c.last_frame = frame
            return
        cid = p["conn"]
        if p["type"] == "SYN":
            c = next((c for c in reversed(self.conns) if c.initiator == src and c.acceptor == dst
                      and c.base == cid and c.syn_seen), None)
            if c is None:
                c = UtpConnection(src, dst, cid, True, frame)
                self.conns.append(c)
            d = c.i2a
        else:
            c, d = self.find(src, dst, cid)
            if c is None and p["type"] == "RESET":
                # libutp resets an unknown or closed connection with the id it received,
                # so a RESET may carry the id its sender would receive on.
                c = next((c for c in reversed(self.conns) if {c.initiator, c.acceptor} == {src, dst}
                          and cid in (c.base, (c.base + 1) & 0xFFFF)), None)
                d = None if c is None else (c.i2a if c.initiator == src else c.a2i)
            if c is None:
                # No SYN seen (connection older than the capture): take the sender as the
                # acceptor of connection `cid`; roles_known is false for such connections.
                # The capture script always starts capturing before the clients.
                c = UtpConnection(dst, src, cid, False, frame)
                self.conns.append(c)
                d = c.a2i
        c.counts[p["type"]] += 1
        c.last_frame = frame
        d.add(p)

    def facts(self) -> dict:
        return {"packets": self.total, "v0_packets": len(self.v0),
                "malformed_extension_packets": self.bad_ext,
                "connections": [c.facts() for c in self.conns],
                "v0": self.v0}


# ---------------------------------------------------------------- TCP
class TcpDirection:
    def __init__(self):
        self.isn = None
        self.segments = {}

    def facts(self) -> dict:
        base = self.isn + 1 if self.isn is not None else (min(self.segments) if self.segments else 0)
        buf, missing, pos = bytearray(), 0, 0
        for seq in sorted(self.segments, key=lambda s: (s - base) & 0xFFFFFFFF):
            rel = (seq - base) & 0xFFFFFFFF
            data = self.segments[seq]
            if rel > pos:
                missing += rel - pos
                buf += b"\0" * (rel - pos)
                pos = rel
            if rel + len(data) > pos:
                buf += data[pos - rel:]
                pos = rel + len(data)
        stream = bytes(buf)
        return {"stream_bytes": len(stream), "stream_sha256": hashlib.sha256(stream).hexdigest(),
                "stream_head_hex": stream[:HEAD_BYTES].hex(), "missing_bytes": missing,
                "handshake": handshake(stream),
                "messages": peer_messages(stream)}


class TcpConnection:
    def __init__(self, client, server, frame):
        self.client, self.server = client, server
        self.c2s, self.s2c = TcpDirection(), TcpDirection()
        self.first_frame = self.last_frame = frame
        self.packets = 0
        self.rst = 0

    def facts(self) -> dict:
        return {"client": self.client, "server": self.server, "first_frame": self.first_frame,
                "last_frame": self.last_frame, "packets": self.packets, "rst_packets": self.rst,
                "client_to_server": self.c2s.facts(), "server_to_client": self.s2c.facts()}


class TcpTracker:
    def __init__(self):
        self.conns = []

    def add(self, frame, src, dst, seg: bytes):
        if len(seg) < 20:
            return
        seq = struct.unpack(">I", seg[4:8])[0]
        flags = seg[13]
        syn, ack, rst = flags & 0x02, flags & 0x10, flags & 0x04
        payload = seg[(seg[12] >> 4) * 4:]
        c = next((c for c in reversed(self.conns)
                  if {c.client, c.server} == {src, dst}), None)
        if syn and not ack and (c is None or c.client != src
                                or (c.c2s.isn is not None and c.c2s.isn != seq)):
            c = TcpConnection(src, dst, frame)
            self.conns.append(c)
        elif c is None:
            # Connection started before the capture: the lower port is taken as the server.
            s_port, d_port = int(src.rsplit(":", 1)[1]), int(dst.rsplit(":", 1)[1])
            c = TcpConnection(dst, src, frame) if s_port < d_port else TcpConnection(src, dst, frame)
            self.conns.append(c)
        d = c.c2s if src == c.client else c.s2c
        c.packets += 1
        c.last_frame = frame
        c.rst += 1 if rst else 0
        if syn:
            d.isn = seq
            seq = (seq + 1) & 0xFFFFFFFF
        if payload and seq not in d.segments:
            d.segments[seq] = payload
        elif payload and len(payload) > len(d.segments[seq]):
            d.segments[seq] = payload

    def facts(self) -> dict:
        return {"connections": [c.facts() for c in self.conns]}


# ---------------------------------------------------------------- main
def parse_peers(specs) -> list:
    """--peer "client|ip|port|peer_id_prefix" options as the facts' peers list."""
    peers = []
    for spec in specs:
        client, ip, port, prefix = spec.split("|")
        peers.append({"client": client, "ip": str(ipaddress.ip_address(ip)), "port": int(port),
                      "peer_id_prefix": prefix})
    return peers


def track(capture: Path, peers: list):
    """Feeds every frame of the capture to a UtpTracker (UDP to or from a peer) and a
    TcpTracker; returns (counts, utp, tcp). scripts/capture/torfacts.py uses it too."""
    endpoints = {ep(ipaddress.ip_address(p["ip"]), p["port"]) for p in peers}
    utp, tcp = UtpTracker(), TcpTracker()
    counts = {"frames": 0, "udp_between_peers": 0, "udp_other": 0, "tcp": 0, "ip_fragments": 0}
    for frame, linktype, data in read_pcap(capture):
        counts["frames"] += 1
        ipl = ip_layer(linktype, data)
        if ipl is None:
            continue
        ver, sip, dip, proto, l4 = ipl
        if ver == "frag":
            counts["ip_fragments"] += 1
            continue
        if proto == 17 and len(l4) >= 8:
            sport, dport, ulen = struct.unpack(">HHH", l4[:6])
            src, dst = ep(sip, sport), ep(dip, dport)
            if src in endpoints or dst in endpoints:
                counts["udp_between_peers"] += 1
                utp.add(frame, src, dst, l4[8:ulen])
            else:
                counts["udp_other"] += 1
        elif proto == 6 and len(l4) >= 20:
            sport, dport = struct.unpack(">HH", l4[:4])
            counts["tcp"] += 1
            tcp.add(frame, ep(sip, sport), ep(dip, dport), l4)
    return counts, utp, tcp


def write_facts(facts: dict, output) -> None:
    """The facts as indented JSON to output (a Path), or to stdout when None."""
    text = json.dumps(facts, indent=1) + "\n"
    if output:
        output.write_text(text)
    else:
        sys.stdout.write(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture", type=Path)
    ap.add_argument("--torrent", type=Path)
    ap.add_argument("--made-by")
    ap.add_argument("--peer", action="append", default=[], help="client|ip|port|peer_id_prefix")
    ap.add_argument("--refresh", type=Path, help="take torrent, peers and made_by from this facts file")
    ap.add_argument("-o", "--output", type=Path)
    args = ap.parse_args()

    if args.refresh:
        old = json.loads(args.refresh.read_text())
        torrent, peers, made_by = old["torrent"], old["peers"], old["made_by"]
    else:
        if not (args.made_by and args.peer):
            ap.error("--made-by and --peer are required without --refresh")
        # no --torrent: the capture carries something other than BitTorrent (torrent: null)
        torrent, made_by = (torrent_facts(args.torrent) if args.torrent else None), args.made_by
        peers = parse_peers(args.peer)
    counts, utp, tcp = track(args.capture, peers)

    utp_facts = utp.facts()
    utp_facts["udp_not_utp"] = utp.not_utp
    facts = {"capture": args.capture.stem, "made_by": made_by,
             "torrent": torrent, "peers": peers,
             "counts": counts, "utp": utp_facts, "tcp": tcp.facts()}
    write_facts(facts, args.output)


if __name__ == "__main__":
    main()
