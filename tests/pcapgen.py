"""Tiny classic-pcap writer for hand-built test vectors (Ethernet/IPv4/IPv6, UDP/TCP).

Used to build edge cases and malformed input that real clients do not send;
real traffic comes from test-captures/.  Checksums are left zero (Wireshark
does not verify them by default).
"""
import struct


def _ip4(s):
    return bytes(int(x) for x in s.split("."))


def udp_frame(src, sport, dst, dport, payload, ipv6=False):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    if ipv6:
        import ipaddress
        ip = struct.pack(">IHBB", 0x60000000, len(udp), 17, 64) + \
            ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
        eth_type = 0x86DD
    else:
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         _ip4(src), _ip4(dst))
        eth_type = 0x0800
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + struct.pack(">H", eth_type)
    return eth + ip + udp


def write_pcap(path, frames, start=1700000000.0, step=0.001):
    """frames: list of bytes, or (time, bytes) tuples."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = start
        for fr in frames:
            if isinstance(fr, tuple):
                t, fr = fr
            else:
                t += step
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)
    return path
