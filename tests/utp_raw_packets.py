"""Every uTP packet of a capture, read from the raw bytes (no tshark, none of
our dissectors): the independent oracle of the statistics-table and
bt-graphs tests.

The layers are scripts/pcapread.py's; which datagrams are uTP and which
connection and direction each belongs to is decided by scripts/utp_facts.py's
tracker (BEP 29 pairing: the SYN sender's later packets carry id + 1), given
the peers the capture script set up (the capture's .facts.json).  Header
fields are unpacked here from BEP 29's layout: type/version, extension,
connection_id, timestamp_microseconds, timestamp_difference_microseconds,
wnd_size, seq_nr, ack_nr.
"""
import ipaddress
import struct

from pcapread import ip_layer, read_pcap
from utp_facts import UtpTracker, ep, parse_utp


def record_times(path):
    """Timestamps (seconds, float) of a classic pcap's records, in order."""
    with open(path, "rb") as f:
        data = f.read()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    off, times = 24, []
    while off + 16 <= len(data):
        sec, frac, incl = struct.unpack(end + "III", data[off:off + 12])
        times.append(sec + frac / (1e9 if nano else 1e6))
        off += 16 + incl
    return times


def utp_packets(path, peers):
    """(connections, packets): connections as utp_facts' tracker made them
    (list of UtpConnection, in order of their first packet); packets as dicts
    with frame, time, conn (index), dir ("i2a" / "a2i"), type, seq, ack, wnd,
    ts, ts_diff, payload_len, sack (has a selective-ACK extension), v0 (a
    version-0 packet: no ts, ts_diff, wnd)."""
    endpoints = {ep(ipaddress.ip_address(p["ip"]), p["port"]) for p in peers}
    times = record_times(path)
    tracker, packets = UtpTracker(), []
    for frame, linktype, data in read_pcap(path):
        ipl = ip_layer(linktype, data)
        if ipl is None or ipl[0] == "frag" or ipl[3] != 17 or len(ipl[4]) < 8:
            continue
        _, sip, dip, _, l4 = ipl
        sport, dport, ulen = struct.unpack(">HHH", l4[:6])
        src, dst = ep(sip, sport), ep(dip, dport)
        if src not in endpoints and dst not in endpoints:
            continue
        udp = l4[8:ulen]
        before, v0_before = tracker.total, len(tracker.v0)
        tracker.add(frame, src, dst, udp)
        if tracker.total == before:
            continue          # not uTP
        match = [i for i in range(len(tracker.conns)) if tracker.conns[i].last_frame == frame]
        if not match:
            continue          # a version-0 packet of no known connection
        idx = match[-1]
        c = tracker.conns[idx]
        p = parse_utp(udp)
        rec = {"frame": frame, "time": times[frame - 1], "conn": idx,
               "dir": "i2a" if src == c.initiator else "a2i", "type": p["type"],
               "v0": len(tracker.v0) > v0_before, "seq": p["seq"], "ack": p["ack"],
               "payload_len": len(p["payload"]) if p["type"] == "DATA" else 0,
               "sack": any(e == 1 for e, _ in p.get("exts", ()))}
        if not rec["v0"]:
            _, _, _, rec["ts"], rec["ts_diff"], rec["wnd"], _, _ = struct.unpack(">BBHIIIHH", udp[:20])
        packets.append(rec)
    return tracker.conns, packets
