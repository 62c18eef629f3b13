"""tshark tests of what a user reads in the uTP tree (issue 11): the short
selective-ACK expert reported once per connection, the tree header's
relative numbers, singular "byte", empty bencoded strings.

The vector below is built by hand here; what each frame must show follows
from how it is built (comments) and from BEP 29, not from the dissector.
"""
import struct

import pytest

from bttest import facts, field_by_frame, have_plugin
from pcapgen import udp_frame, write_pcap
from utp_vectors import ST_DATA, ST_STATE, ST_SYN, utp

A = ("10.0.1.1", 41000)
B = ("10.0.1.2", 51000)
C = ("10.0.1.3", 42000)
D = ("10.0.1.4", 52000)
SHORT = "Selective ACK length is not a multiple of 4"

HANDSHAKE = b"\x13BitTorrent protocol" + bytes(5) + b"\x10" + bytes(2) + bytes(range(20)) + b"-LT2080-" + b"A" * 12
# BEP 10 extended handshake: "v" is an empty string, "x" a list holding one
EXT_DICT = b"d1:md11:ut_metadatai1ee1:v0:1:xl0:ee"
EXT_MSG = struct.pack(">IBB", 2 + len(EXT_DICT), 20, 0) + EXT_DICT


def pkt(src, dst, *args, **kw):
    return udp_frame(src[0], src[1], dst[0], dst[1], utp(*args, **kw))


# frame -> what it is.  Connection 0: A (id 100 / 101) <-> B; connection 1: C <-> D.
FRAMES = [
    pkt(A, B, ST_SYN, 100, 10, 0),                                    # 1 SYN
    pkt(B, A, ST_STATE, 100, 500, 10),                                # 2
    pkt(A, B, ST_DATA, 101, 11, 499, HANDSHAKE + EXT_MSG),            # 3 seq rel 1
    pkt(B, A, ST_STATE, 100, 500, 11, exts=[(1, b"\x01")]),           # 4 first short SACK of conn 0
    pkt(B, A, ST_STATE, 100, 500, 11, exts=[(1, b"\x01")]),           # 5 short SACK again
    pkt(A, B, ST_STATE, 101, 12, 499, exts=[(1, b"\x00\x01")]),       # 6 short SACK, other side
    pkt(C, D, ST_SYN, 200, 7, 0),                                     # 7 SYN conn 1
    pkt(D, C, ST_STATE, 200, 900, 7, exts=[(1, b"\x00\x00\x00\x01")]),  # 8 4-byte SACK: no expert
    pkt(D, C, ST_STATE, 200, 900, 7, exts=[(1, b"\x01\x00\x00")]),    # 9 first short SACK of conn 1
    pkt(D, C, ST_STATE, 200, 900, 7, exts=[(1, b"\x01")]),            # 10 short SACK again
]


@pytest.fixture(scope="module")
def display_pcap(tshark):
    path = tshark.scratch("utp-display.pcap")
    write_pcap(path, FRAMES)
    path.chmod(0o644)
    return str(path)


def experts(tshark, path, text):
    rows = tshark.fields(path, ["frame.number", "_ws.expert.message"], "utp", separator="|")
    return [int(r[0]) for r in rows if text in r[1]]


def test_short_sack_expert_once_per_connection(tshark, display_pcap):
    assert experts(tshark, display_pcap, SHORT) == [4, 9]
    # the field itself stays on every packet carrying a mask
    masks = field_by_frame(tshark, display_pcap, "utp.ext.sack.bitmask")
    assert sorted(n for n, v in masks.items() if v) == [4, 5, 6, 8, 9, 10]
    # one-pass (as the GUI's first pass) reports the same frames
    rows = tshark.fields(display_pcap, ["frame.number", "_ws.expert.message"], "utp", two_pass=False,
                         separator="|")
    assert [int(r[0]) for r in rows if SHORT in r[1]] == [4, 9]


def test_short_sack_expert_real_capture(tshark):
    """utp-lossy: libtorrent's short masks; the capture script's own reader
    (utp_facts.py) counts the connections that sent one and the packets
    carrying a mask."""
    f = facts("utp-lossy")
    conns = [c for c in f["utp"]["connections"]
             if any(int(n) % 4 for d in ("initiator_to_acceptor", "acceptor_to_initiator")
                    for n in c[d]["sack_lengths"])]
    masks = sum(c[d]["sack_packets"] for c in f["utp"]["connections"]
                for d in ("initiator_to_acceptor", "acceptor_to_initiator"))
    cap = tshark.capture("utp-lossy.pcap")
    assert len(experts(tshark, cap, SHORT)) == len(conns) >= 1
    assert tshark.count(cap, "utp.ext.sack.bitmask") == masks > len(conns)


def test_tree_header_relative_numbers(tshark, display_pcap):
    def header(extra=()):
        out = tshark.run(["-n", "-2", "-r", display_pcap, "-Y", "frame.number == 3", "-O", "utp",
                          *extra]).stdout
        return next(l for l in out.splitlines() if l.startswith("Micro Transport Protocol"))
    # A's SYN was seq 10: DATA seq 11 is relative 1; B's first STATE said 500,
    # so A's ack 499 is relative 0 (the number before B's first)
    assert "Seq: 1, Ack: 0," in header()
    assert "Seq: 11, Ack: 499," in header(["-o", "utp.relative_sequence_numbers:FALSE"])


def test_singular_byte(tshark, display_pcap):
    out = tshark.run(["-n", "-2", "-r", display_pcap, "-Y", "frame.number == 4", "-O", "utp"]).stdout
    assert "Extension: Selective ACK (1), 1 byte\n" in out
    out = tshark.run(["-n", "-2", "-r", display_pcap, "-Y", "frame.number == 6", "-O", "utp"]).stdout
    assert "Extension: Selective ACK (1), 2 bytes\n" in out


@pytest.mark.skipif(not have_plugin("bt_handshake"), reason="bt_handshake.so not built")
def test_empty_bencoded_string(tshark, display_pcap):
    out = tshark.run(["-n", "-2", "-r", display_pcap, "-Y", "frame.number == 3", "-V"]).stdout
    lines = out.splitlines()
    key = next(i for i, l in enumerate(lines) if l.strip().startswith('Key: v: ""'))
    # no empty child line under the key: the next line is the next key
    assert lines[key + 1].strip().startswith("Key: x: list")
    # an empty string in a list is shown as ""
    assert lines[key + 3].strip() == 'String: ""', lines[key:key + 4]
    assert not any(l.rstrip().endswith("String:") for l in lines)
