"""Shared layers of the independent Python readers (stdlib only).

scripts/utp_facts.py, tests/btpeer_streams.py and
tests/discovery_oracle.py are the test oracles: they read the
captures without tshark and without our C dissectors.  They share these
bottom layers with each other (classic pcap records, IPv4/IPv6 headers,
bencode), written from the pcap format, RFC 791/8200 and BEP 3.
"""
import ipaddress
import struct

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
# bencode nesting real clients never exceed; deeper input is refused
BENCODE_MAX_DEPTH = 32


def read_pcap(path):
    """Yields (frame_number, linktype, bytes) for each record of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file (pcapng is not supported)")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        n += 1
        yield n, linktype, data[off + 16:off + 16 + incl]
        off += 16 + incl


def ip_layer(linktype, frame):
    """(version, src, dst, proto, l4 bytes) with ipaddress objects; ("frag", ...)
    for fragments; None for what is not IPv4/IPv6."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        etype, off = struct.unpack(">H", frame[12:14])[0], 14
        while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:   # VLAN tags
            etype, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
        pkt = frame[off:]
    elif linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        etype, pkt = struct.unpack(">H", frame[14:16])[0], frame[16:]
    elif linktype == LINKTYPE_RAW:
        pkt = frame
        etype = 0x0800 if pkt[:1] and pkt[0] >> 4 == 4 else 0x86DD
    else:
        raise ValueError(f"unsupported link type {linktype}")
    if etype == 0x0800 and len(pkt) >= 20:
        ihl = (pkt[0] & 0x0F) * 4
        total = struct.unpack(">H", pkt[2:4])[0]
        frag = struct.unpack(">H", pkt[6:8])[0]
        if frag & 0x3FFF:                  # fragments: none expected on a 1500-byte MTU bridge
            return ("frag", None, None, None, None)
        return (4, ipaddress.ip_address(pkt[12:16]), ipaddress.ip_address(pkt[16:20]),
                pkt[9], pkt[ihl:total])
    if etype == 0x86DD and len(pkt) >= 40:
        plen = struct.unpack(">H", pkt[4:6])[0]
        nh, off = pkt[6], 40
        body_end = 40 + plen
        for _ in range(8):                 # a bounded walk over extension headers
            if nh in (0, 43, 60):
                nh, off = pkt[off], off + (pkt[off + 1] + 1) * 8
            elif nh == 44:
                return ("frag", None, None, None, None)
            else:
                break
        return (6, ipaddress.ip_address(pkt[8:24]), ipaddress.ip_address(pkt[24:40]),
                nh, pkt[off:body_end])
    return None


def bdecode(buf, i=0, depth=0, positions=False):
    """Decodes one bencoded value at buf[i:]; returns (value, end).
    With positions, dict values are (value, start, end) so the caller can
    hash a sub-dictionary (the info dict of a .torrent)."""
    if depth > BENCODE_MAX_DEPTH:
        raise ValueError("bencode nesting too deep")
    c = buf[i:i + 1]
    if c == b"i":
        j = buf.index(b"e", i)
        return int(buf[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while buf[i:i + 1] != b"e":
            v, i = bdecode(buf, i, depth + 1, positions)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while buf[i:i + 1] != b"e":
            k, i = bdecode(buf, i, depth + 1, positions)
            start = i
            v, i = bdecode(buf, i, depth + 1, positions)
            out[k] = (v, start, i) if positions else v
        return out, i + 1
    if c.isdigit():
        j = buf.index(b":", i)
        n = int(buf[i:j])
        return buf[j + 1:j + 1 + n], j + 1 + n
    raise ValueError(f"bad bencode at {i}")
