"""tshark tests of the uTP plugin on hand-built vectors (tests/utp_vectors.py;
expected values derived from BEP 29 by hand in the comments there and
below), negative corpora (nothing claimed that is not uTP) and fuzzing.
"""
import random
import struct

import pytest

import bttest
import utp_vectors
from bttest import (CAPTURES, captures_with_utp, dissect_cleanly, editcap_mutation, facts, field_by_frame,
                    follow_raw as follow, g_columns)
from pcapgen import udp_frame, write_pcap

UTP_CAPTURES = captures_with_utp()


# ---------------------------------------------------------------- vectors

def test_vector_relative_numbers_across_wraparound(tshark, utp_vectors_pcap):
    seq = field_by_frame(tshark, utp_vectors_pcap, "utp.seq")
    raw = field_by_frame(tshark, utp_vectors_pcap, "utp.seq_raw")
    # A: SYN 65534 -> 0, 65535 -> 1, 0 -> 2, 1 -> 3, 2 -> 4, FIN 3 -> 5
    assert [raw[i] for i in (1, 3, 7, 5, 11, 16)] == ["65534", "65535", "0", "1", "2", "3"]
    assert [seq[i] for i in (1, 3, 7, 5, 11, 16)] == ["0", "1", "2", "3", "4", "5"]
    # B: first STATE carries the next number to send, 300 -> relative 1
    assert seq[2] == "1" and seq[9] == "1" and seq[13] == "2"
    ack = field_by_frame(tshark, utp_vectors_pcap, "utp.ack")
    assert ack[2] == "0" and ack[8] == "3" and ack[15] == "4"
    assert seq[20] == ""     # RESETs echo numbers: not made relative


def test_vector_analysis_flags(tshark, utp_vectors_pcap):
    def frames(f):
        return [int(r[0]) for r in tshark.fields(utp_vectors_pcap, ["frame.number"], f)]
    assert frames("utp.analysis.lost_segment == 1") == [5]
    assert frames("utp.analysis.out_of_order") == [7]
    assert frames("utp.analysis.retransmission") == [12]
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.analysis.retransmitted_frame")[12] == "11"
    dup = tshark.fields(utp_vectors_pcap, ["frame.number", "utp.analysis.duplicate_ack_num",
                                  "utp.analysis.duplicate_ack_frame"], "utp.analysis.duplicate_ack")
    assert dup == [["6", "1", "4"], ["13", "1", "8"], ["14", "2", "8"]]
    acks = field_by_frame(tshark, utp_vectors_pcap, "utp.analysis.acks_frame")
    assert acks[2] == "1"          # the SYN
    assert acks[8] == "5"          # cumulative up to seq 1, first sent in frame 5
    assert acks[15] == "11"
    rtt = field_by_frame(tshark, utp_vectors_pcap, "utp.analysis.ack_rtt")
    assert rtt[15] == ""           # Karn: frame 11 was retransmitted
    assert abs(float(rtt[2]) - 0.001) < 1e-6
    assert frames("utp.analysis.zero_window") == [19]
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.analysis.sacked")[6] == "1"
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.ext.sack.acked")[6] == "1"
    irtt = field_by_frame(tshark, utp_vectors_pcap, "utp.analysis.initial_rtt")
    assert irtt[1] == "" and all(abs(float(irtt[i]) - 0.001) < 1e-6 for i in range(2, 21))


def test_vector_ledbat_delays(tshark, utp_vectors_pcap):
    rows = {int(r[0]): r[1:] for r in tshark.fields(
        utp_vectors_pcap, ["frame.number", "utp.analysis.one_way_delay", "utp.analysis.base_delay",
                  "utp.analysis.queuing_delay"], "utp.analysis.one_way_delay")}
    assert rows[2] == ["5000", "5000", "0"]
    assert rows[8] == ["4000", "4000", "0"]
    assert rows[15] == ["7000", "4000", "3000"]
    assert [int(r[0]) for r in tshark.fields(utp_vectors_pcap, ["frame.number"], "utp.analysis.queuing_delay > 2000")] == [15]


def test_vector_reassembly_out_of_order(tshark, utp_vectors_pcap):
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.reassembled_in")[3] == "7"
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.delivered_in")[5] == "7"
    segs = field_by_frame(tshark, utp_vectors_pcap, "utp.segment")
    assert sorted(int(s) for s in segs[7].split(",")) == [3, 5, 7]
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.reassembled.length")[7] == "68"
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.payload_duplicate")[12] != ""
    a, b, node0 = follow(tshark, utp_vectors_pcap, 0)
    assert node0 == "10.0.0.1:40000"
    assert a == utp_vectors.STREAM_A
    assert b == utp_vectors.STREAM_B


def test_vector_extensions_and_experts(tshark, utp_vectors_pcap):
    out = tshark.run(["-n", "-2", "-r", utp_vectors_pcap, "-V"]).stdout
    assert "Close reason: upload_to_upload (6)" in out
    def frames(f):
        return [int(r[0]) for r in tshark.fields(utp_vectors_pcap, ["frame.number"], f)]
    assert frames("utp.ext.sack.len_not_multiple_of_4") == [6]
    assert frames("utp.ext.unknown") == [17]
    assert frames("utp.ext.truncated") == [18]
    assert frames("utp.ext.close_reason == 6") == [16]
    # the close reason is a connection property, shown on every packet (two-pass)
    assert len(frames("utp.analysis.close_reason == 6")) == 20
    assert field_by_frame(tshark, utp_vectors_pcap, "utp.completeness")[1] == "0x1f"


def test_reassembly_preference_off(tshark, utp_vectors_pcap):
    """With reassembly off each payload is handed on alone: no PDU spans frames."""
    out = tshark.fields(utp_vectors_pcap, ["frame.number", "utp.reassembled_in"], "utp",
                        extra=["-o", "utp.reassemble:FALSE"])
    assert all(r[1] == "" for r in out)
    # sequence analysis still works
    assert tshark.count(utp_vectors_pcap, "utp.analysis.retransmission", extra=["-o", "utp.reassemble:FALSE"]) == 1


def test_analysis_preference_off(tshark, utp_vectors_pcap):
    assert tshark.count(utp_vectors_pcap, "utp.seq", extra=["-o", "utp.analyze_sequence_numbers:FALSE"]) == 0
    assert tshark.count(utp_vectors_pcap, "utp", extra=["-o", "utp.analyze_sequence_numbers:FALSE"]) == 20


def test_decode_as(tshark, utp_vectors_pcap):
    # With the heuristic off, nothing is uTP...
    assert tshark.count(utp_vectors_pcap, "utp", extra=["--disable-heuristic", "utp_udp"]) == 0
    # ...until the port is decoded as uTP
    assert tshark.count(utp_vectors_pcap, "utp", extra=["--disable-heuristic", "utp_udp",
                                              "-d", "udp.port==50000,utp"]) == 20


def test_builtin_heuristic_left_alone(tshark):
    """We never disable the built-in bt_utp_udp; even when a user enables it, ours wins."""
    heur = g_columns(tshark, "heuristic-decodes")
    assert ("udp", "bt-utp", "F") in heur and ("udp", "utp", "T") in heur
    cap = tshark.capture("utp-libtorrent.pcap")
    n = facts("utp-libtorrent")["utp"]["packets"]
    assert tshark.count(cap, "utp", extra=["--enable-heuristic", "bt_utp_udp"]) == n


def test_vector_peer_learned_from_lsd(tshark):
    """An LSD announce (BEP 14) from B naming its port, then A opens a uTP
    connection to it: the connection says where A could have learned of B.
    Needs the discovery plugins (btlsd feeds, bttracker keeps the store)."""
    plugins = {p.name for p in tshark.plugin_dir.glob("*/epan/*.so")}
    if not {"btlsd.so", "bttracker.so"} <= plugins:
        pytest.skip("discovery plugins not built")
    lsd = (b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: %d\r\n"
           b"Infohash: 000102030405060708090a0b0c0d0e0f10111213\r\n\r\n\r\n" % utp_vectors.B[1])
    frames = [udp_frame(utp_vectors.B[0], 6771, "239.192.152.143", 6771, lsd)] + utp_vectors.FRAMES
    path = tshark.scratch("utp-after-lsd.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    for two_pass in (False, True):
        rows = tshark.fields(str(path), ["frame.number", "utp.analysis.peer_discovered_in",
                                         "utp.analysis.peer_discovered_by"], "utp", two_pass=two_pass)
        assert rows[0] == ["2", "1", "LSD"]                  # the SYN
        assert all(r[1:] == ["1", "LSD"] for r in rows)      # and every later packet
    # without the announce there is no link
    write_pcap(path, utp_vectors.FRAMES)
    assert tshark.count(str(path), "utp.analysis.peer_discovered_in") == 0


def test_reassembly_gives_up_on_a_packet_never_captured(tshark):
    """One DATA packet of a connection is missing from the capture and more
    packets arrive behind it than the out-of-order buffer holds (4096): the
    reassembly says it gave up, and the stream goes on from the held packets,
    each byte still delivered once and in order."""
    from utp_vectors import a2b, b2a, utp, ST_SYN, ST_STATE, ST_DATA, SYN_ID
    n_after = 4200
    frames = [a2b(utp(ST_SYN, SYN_ID, 10, 0)), b2a(utp(ST_STATE, SYN_ID, 500, 10))]
    frames.append(a2b(utp(ST_DATA, SYN_ID + 1, 11, 499, b"A" * 10)))
    # seq 12 is never captured
    for i in range(n_after):
        frames.append(a2b(utp(ST_DATA, SYN_ID + 1, (13 + i) % 65536, 499, b"%08d" % i)))
    path = tshark.scratch("utp-gap.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    off = ["--disable-protocol", "btpeer", "--disable-protocol", "bittorrent"]
    skipped = tshark.fields(str(path), ["frame.number", "_ws.expert.message"], "utp.reassembly.skipped.expert",
                            extra=off)
    assert len(skipped) == 1 and "gave up on 1 missing packet" in skipped[0][1]
    a, b, _ = follow(tshark, str(path), 0)
    assert b == b""
    assert a == b"A" * 10 + b"".join(b"%08d" % i for i in range(n_after))


def test_vector_remaining_fields_and_experts(tshark):
    """Fields and expert infos the first vector set does not reach, each from
    a packet built for it (expected values follow from BEP 29 by hand)."""
    from utp_vectors import a2b, b2a, utp, ST_SYN, ST_STATE, ST_DATA, SYN_ID
    frames = [
        a2b(utp(ST_SYN, SYN_ID, 100, 0, ts=123456)),                          # 1
        b2a(utp(ST_STATE, SYN_ID, 500, 100, wnd=150)),                        # 2 B's window: 150 bytes
        a2b(utp(ST_DATA, SYN_ID + 1, 101, 499, b"x" * 100)),                  # 3 100 in flight
        a2b(utp(ST_DATA, SYN_ID + 1, 102, 499, b"y" * 100)),                  # 4 200 >= 150: window full
        b2a(utp(ST_STATE, SYN_ID, 500, 102, wnd=150)),                        # 5 acks both
        a2b(utp(ST_DATA, SYN_ID + 1, 101, 499, b"x" * 100)),                  # 6 spurious retransmission
        b2a(utp(ST_STATE, SYN_ID, 500, 110)),                                 # 7 acks 110: never sent
        b2a(utp(ST_STATE, SYN_ID, 500, 102, exts=[(2, bytes(8))])),           # 8 extension bits, 8 bytes
        b2a(utp(ST_STATE, SYN_ID, 500, 102, exts=[(2, bytes(4))])),           # 9 extension bits, 4 bytes
        b2a(utp(ST_STATE, SYN_ID, 500, 102, exts=[(2, bytes(8))] * 20)),      # 10 chain of 20
    ]
    path = tshark.scratch("utp-vectors2.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    cap = str(path)

    def frames_of(f, extra=()):
        return [int(r[0]) for r in tshark.fields(cap, ["frame.number"], f, extra=extra)]
    assert frames_of("utp") == list(range(1, 11))
    assert frames_of("utp.analysis.window_full") == [4]
    assert field_by_frame(tshark, cap, "utp.analysis.bytes_in_flight")[4] == "200"
    assert frames_of("utp.analysis.spurious_retransmission") == [6]
    assert field_by_frame(tshark, cap, "utp.analysis.retransmitted_frame")[6] == ""
    assert frames_of("utp.analysis.ack_lost_segment") == [7]
    assert frames_of("utp.ext.bits") == [8, 9, 10]         # shown even when its length is wrong
    assert frames_of("utp.ext.len.invalid") == [9]
    assert frames_of("utp.ext.too_many") == [10]
    assert field_by_frame(tshark, cap, "utp.timestamp_us")[1] == "123456"
    assert field_by_frame(tshark, cap, "utp.wnd_size")[2] == "150"
    rel = field_by_frame(tshark, cap, "utp.time_relative")
    delta = field_by_frame(tshark, cap, "utp.time_delta")
    assert abs(float(rel[10]) - 0.009) < 1e-6          # pcapgen: one frame per millisecond
    assert abs(float(delta[10]) - 0.001) < 1e-6 and float(delta[1]) == 0.0


def test_decode_as_shows_what_the_heuristic_refuses(tshark):
    """A STATE with payload and a runt datagram are not taken by the heuristic;
    decoded as uTP on the user's word they get expert infos instead."""
    from utp_vectors import a2b, utp, ST_STATE, SYN_ID
    frames = [a2b(utp(ST_STATE, SYN_ID, 1, 1, b"payload")),
              udp_frame("10.0.0.1", 40000, "10.0.0.2", 50000, b"\x21\x00\x01")]
    path = tshark.scratch("utp-forced.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    cap = str(path)
    assert tshark.count(cap, "utp") == 0
    forced = ["-d", "udp.port==50000,utp"]
    assert [r[0] for r in tshark.fields(cap, ["frame.number"], "utp.len.unexpected", extra=forced)] == ["1"]
    assert [r[0] for r in tshark.fields(cap, ["frame.number"], "utp.malformed", extra=forced)] == ["2"]


# ---------------------------------------------------------------- negative corpus

from udp_corpora import negative_corpus  # noqa: E402

def test_negative_corpus_claims_nothing(tshark):
    path = tshark.scratch("negative.pcap")
    negative_corpus(path)
    path.chmod(0o644)
    assert tshark.count(str(path), "utp") == 0
    # the corpus is not empty and other dissectors still see their traffic
    assert tshark.count(str(path), "dns") == 10
    assert tshark.count(str(path), "udp") == 3065


# Public captures made by others that do carry uTP (no facts.json: tested in
# tests/test_utp_real_world.py and test_utp_ledbat.py)
PUBLIC_UTP_CAPTURES = {"public-ndpi-bittorrent-utp"}
# Ours without a facts file (its reader cannot read a stream with holes):
# tested in tests/test_utp_capture_loss.py against the complete original
LOSSY_UTP_CAPTURES = {"magnet-utp-capture-loss"}
NON_UTP_CAPTURES = sorted(p.stem for p in CAPTURES.glob("*.pcap")
                          if p.stem not in {*UTP_CAPTURES, *PUBLIC_UTP_CAPTURES, *LOSSY_UTP_CAPTURES})


def test_real_captures_without_utp_claim_nothing(tshark):
    """TCP-only, LSD and tracker captures (DNS-free, but with LSD multicast, UDP
    tracker traffic, ICMP): not one packet is uTP."""
    assert len(NON_UTP_CAPTURES) >= 4, NON_UTP_CAPTURES
    for name in NON_UTP_CAPTURES:
        cap = tshark.capture(f"{name}.pcap")
        assert tshark.count(cap, "utp") == 0, name
    # and the UDP there is really there to be refused
    assert tshark.count(tshark.capture("tracker-udp-libtorrent.pcap"), "udp") > 0


def test_negative_randpkt_claims_nothing(tshark):
    path = bttest.randpkt(tshark, "randpkt-udp.pcap", "udp", 5000, 1500)
    assert tshark.count(path, "utp") == 0


# ---------------------------------------------------------------- fuzz smoke

@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_fuzz_editcap(tshark, name):
    src = tshark.capture(f"{name}.pcap")
    for seed in (1, 2):
        out = editcap_mutation(tshark, src, f"fuzz-{name}-{seed}.pcap", 0.02, seed)
        dissect_cleanly(tshark, out, ("-2", "-V", "-d", "udp.port==6881,utp"))


def test_fuzz_vectors_and_random(tshark, utp_vectors_pcap):
    rnd = random.Random(7)
    frames = []
    for fr in utp_vectors.FRAMES:
        for _ in range(20):
            b = bytearray(fr)
            for _ in range(rnd.randrange(1, 6)):
                i = rnd.randrange(42, len(b))      # mutate only the UDP payload
                b[i] = rnd.randrange(256)
            frames.append(bytes(b[:rnd.randrange(42, len(b) + 1)]))
    path = tshark.scratch("fuzz-vectors.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    for extra in ([], ["-d", "udp.port==50000,utp"]):
        dissect_cleanly(tshark, path, ("-2", "-V", *extra))


def test_hostile_sequence_jumps_and_sacks(tshark):
    """A connection whose numbers jump by half the sequence space at every
    packet, with 255-byte SACK masks and a length prefix of 4 GiB: every
    loop in the analysis and reassembly is bounded, so this stays fast and
    the packets are all still decoded."""
    from utp_vectors import a2b, b2a, utp, ST_SYN, ST_STATE, ST_DATA, SYN_ID
    frames = [a2b(utp(ST_SYN, SYN_ID, 100, 0)), b2a(utp(ST_STATE, SYN_ID, 500, 100))]
    frames.append(a2b(utp(ST_DATA, SYN_ID + 1, 101, 499, b"\xff\xff\xff\xff\x07" + bytes(1000))))
    for i in range(1500):
        seq = (102 + i * 32767) % 65536
        frames.append(a2b(utp(ST_DATA, SYN_ID + 1, seq, 499, bytes(1000))))
        frames.append(b2a(utp(ST_STATE, SYN_ID, 500, (seq + 30000) % 65536, exts=[(1, b"\xff" * 255)])))
    path = tshark.scratch("hostile.pcap")
    write_pcap(path, frames)
    path.chmod(0o644)
    proc = tshark.run(["-n", "-2", "-r", str(path), "-T", "fields", "-e", "utp.stream"],
                      env=bttest.FUZZ_ENV, timeout=300)
    assert proc.stdout.split() == ["0"] * len(frames)
