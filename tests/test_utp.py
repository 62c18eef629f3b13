"""tshark regression suite for the uTP plugin (BEP 29).

Real captures come from test-captures/ (made by scripts/make-captures with
real clients); their *.facts.json were computed by scripts/utp_facts.py, an
independent pure-Python reader that does not use our dissectors.  The
hand-built vectors (utp_vectors.py) cover edge cases; their expected values
are derived from BEP 29 by hand in the comments there and below.
"""
import hashlib
import json
import random
import struct
import subprocess

import pytest

import utp_vectors
from conftest import CAPTURES, g_columns
from pcapgen import udp_frame, write_pcap

UTP_CAPTURES = sorted(p.stem for p in CAPTURES.glob("*.pcap")
                      if (CAPTURES / f"{p.stem}.facts.json").exists()
                      and json.load(open(CAPTURES / f"{p.stem}.facts.json")).get("utp", {}).get("connections"))

# Packets quoted inside ICMP errors are shown as uTP too, but are not uTP
# datagrams of the capture.
NOT_QUOTED = "!icmp && !icmpv6"


def facts(name):
    return json.load(open(CAPTURES / f"{name}.facts.json"))


def follow(tshark, capture, stream):
    """(bytes node0->node1, bytes node1->node0, node0 'ip:port') from -z follow,utp,raw."""
    out = tshark.run(["-n", "-2", "-r", capture, "-q", "-z", f"follow,utp,raw,{stream}"]).stdout
    a, b, node0, body = b"", b"", None, False
    for line in out.splitlines():
        if line.startswith("Node 0:"):
            node0 = line.split(":", 1)[1].strip()
        if line.startswith("Node 1:"):
            body = True
            continue
        if not body or line.startswith("====="):
            continue
        if line.startswith("\t"):
            b += bytes.fromhex(line.strip())
        elif line.strip():
            a += bytes.fromhex(line.strip())
    return a, b, node0


def test_real_captures_present():
    # the suite must not pass vacuously
    assert len(UTP_CAPTURES) >= 4, UTP_CAPTURES


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_every_utp_datagram_claimed(tshark, name):
    f = facts(name)
    cap = tshark.capture(f"{name}.pcap")
    assert tshark.count(cap, f"utp && {NOT_QUOTED}") == f["utp"]["packets"]
    assert tshark.count(cap, f"utp.ver == 0 && {NOT_QUOTED}") == f["utp"].get("v0_packets", 0)
    # nothing else in these captures took a uTP datagram (WireGuard, data, built-in bt-utp)
    assert tshark.count(cap, "wg || bt-utp") == 0


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_connections_and_types(tshark, name):
    f = facts(name)
    cap = tshark.capture(f"{name}.pcap")
    rows = tshark.fields(cap, ["utp.stream", "utp.type"], f"utp && {NOT_QUOTED} && utp.ver == 1")
    streams = sorted({int(r[0]) for r in rows})
    assert streams == list(range(len(f["utp"]["connections"])))
    names = {"DATA": 0, "FIN": 1, "STATE": 2, "RESET": 3, "SYN": 4}
    want = {}
    for c in f["utp"]["connections"]:
        for k, v in c["packets"].items():
            want[names[k]] = want.get(names[k], 0) + v
    got = {}
    for _, t in rows:
        got[int(t)] = got.get(int(t), 0) + 1
    assert got == {k: v for k, v in want.items() if v}


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_retransmissions_match_repeated_sequence_numbers(tshark, name):
    f = facts(name)
    repeated = sum(c[d]["repeated_seq_packets"] for c in f["utp"]["connections"]
                   for d in ("initiator_to_acceptor", "acceptor_to_initiator"))
    cap = tshark.capture(f"{name}.pcap")
    assert tshark.count(cap, f"utp.analysis.retransmission && {NOT_QUOTED}") == repeated
    sacks = sum(c[d]["sack_packets"] for c in f["utp"]["connections"]
                for d in ("initiator_to_acceptor", "acceptor_to_initiator"))
    assert tshark.count(cap, f"utp.ext.type == 1 && {NOT_QUOTED}") == sacks


def test_lossy_capture_really_is_lossy(tshark):
    """The lossy capture must exercise the analysis, or the tests above prove little."""
    cap = tshark.capture("utp-lossy.pcap")
    assert tshark.count(cap, "utp.analysis.retransmission") >= 5
    assert tshark.count(cap, "utp.ext.sack.acked") >= 5
    assert tshark.count(cap, "utp.analysis.duplicate_ack") >= 5
    # every SACKed number is above the packet's ack_nr + 1 (BEP 29: bit i = ack + 2 + i)
    for ack, acked in tshark.fields(cap, ["utp.ack_raw", "utp.ext.sack.acked"], "utp.ext.sack.acked"):
        for s in acked.split(","):
            assert (int(s) - int(ack)) % 65536 >= 2


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_follow_stream_is_exactly_what_was_sent(tshark, name):
    f = facts(name)
    cap = tshark.capture(f"{name}.pcap")
    for i, c in enumerate(f["utp"]["connections"]):
        a, b, node0 = follow(tshark, cap, i)
        if node0 == c["initiator"]:
            sent_i, sent_a = a, b
        else:
            assert node0 == c["acceptor"]
            sent_i, sent_a = b, a
        for got, d in ((sent_i, "initiator_to_acceptor"), (sent_a, "acceptor_to_initiator")):
            assert len(got) == c[d]["stream_bytes"]
            assert hashlib.sha256(got).hexdigest() == c[d]["stream_sha256"]
        encrypted = "encrypted" in name
        # a connection whose SYN was not captured starts mid-way, not with a handshake
        if c["syn_conn_id"] is not None and c["initiator_to_acceptor"]["stream_bytes"] >= 68:
            assert sent_i.startswith(b"\x13BitTorrent protocol") != encrypted


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_clean_real_capture_has_no_errors(tshark, name):
    cap = tshark.capture(f"{name}.pcap")
    assert tshark.count(cap, "_ws.malformed") == 0
    # PI_ERROR = 0x00800000
    assert tshark.count(cap, "utp && _ws.expert.severity == 0x00800000") == 0


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_one_pass_equals_two_pass(tshark, name):
    """Backward-looking analysis must not depend on the number of passes."""
    cap = tshark.capture(f"{name}.pcap")
    fields = ["frame.number", "utp.stream", "utp.seq", "utp.ack", "utp.analysis.acks_frame",
              "utp.analysis.ack_rtt", "utp.analysis.retransmission", "utp.analysis.duplicate_ack_num",
              "utp.analysis.bytes_in_flight", "utp.analysis.queuing_delay", "utp.analysis.base_delay",
              "utp.analysis.initial_rtt", "utp.segment", "utp.reassembled.length", "utp.payload_duplicate"]
    one = tshark.fields(cap, fields, "utp", two_pass=False)
    two = tshark.fields(cap, fields, "utp", two_pass=True)
    # without a SYN, the packets held until the other direction confirmed the
    # connection are uTP only to a second pass (test_utp_midstream.py)
    late = {r[0] for r in tshark.fields(cap, ["frame.number"], "utp.analysis.confirmed_in")}
    assert len(late) <= 2 * 8 and (not late or all(c["syn_conn_id"] is None
                                                    for c in facts(name)["utp"]["connections"]))
    assert one == [r for r in two if r[0] not in late]


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_relative_numbers_and_rtt(tshark, name):
    f = facts(name)
    cap = tshark.capture(f"{name}.pcap")
    rows = tshark.fields(cap, ["utp.stream", "utp.type", "utp.seq", "utp.ack", "utp.analysis.initial_rtt"],
                         f"utp && {NOT_QUOTED} && utp.ver == 1")
    by_stream = {}
    for r in rows:
        by_stream.setdefault(r[0], []).append(r[1:])
    assert len(by_stream) == len(f["utp"]["connections"])
    for c, (stream, srows) in zip(f["utp"]["connections"], sorted(by_stream.items(), key=lambda kv: int(kv[0]))):
        if c["syn_conn_id"] is None:
            continue
        assert srows[0][:2] == ["4", "0"]                 # SYN is relative 0, no iRTT yet
        assert srows[0][3] == ""
        # the STATE answering the SYN acks relative 0; iRTT is known from then on
        assert srows[1][0] == "2" and srows[1][2] == "0"
        assert all(r[3] for r in srows[1:])
    assert tshark.count(cap, "utp.analysis.acks_frame") > 0
    assert tshark.count(cap, "utp.analysis.ack_rtt") > 0


def test_version0_reset_from_libutp(tshark):
    """Transmission's libutp answers libtorrent's FIN with a 23-byte v0 RESET."""
    cap = tshark.capture("utp-transmission.pcap")
    rows = tshark.fields(cap, ["utp.ver", "utp.type", "utp.stream", "utp.v0.connection_id"], "utp.ver == 0")
    assert len(rows) == facts("utp-transmission")["utp"]["v0_packets"] >= 1
    for ver, typ, stream, conn in rows:
        assert (ver, typ, stream) == ("0", "3", "0")
        # libutp echoes the id the RESET's receiver sends with (SYN id + 1, the initiator)
        syn = facts("utp-transmission")["utp"]["connections"][0]["syn_conn_id"]
        assert int(conn) & 0xFFFF == (syn + 1) & 0xFFFF


def test_close_reason_from_libtorrent(tshark):
    cap = tshark.capture("utp-libtorrent.pcap")
    rows = tshark.fields(cap, ["utp.type", "utp.ext.close_reason"], "utp.ext.close_reason")
    # libtorrent puts it on its FIN (and on STATEs sent while closing)
    assert ["1", "6"] in rows and all(t in ("1", "2") for t, _ in rows)
    out = tshark.run(["-n", "-2", "-r", cap, "-Y", "utp.ext.close_reason", "-V"]).stdout
    assert "Close reason: upload_to_upload (6)" in out


def test_conversation_table_and_stats_tree(tshark):
    cap = tshark.capture("utp-lossy.pcap")
    conv = tshark.run(["-n", "-r", cap, "-q", "-z", "conv,utp"]).stdout
    lines = [l for l in conv.splitlines() if "<->" in l]
    assert len(lines) == len(facts("utp-lossy")["utp"]["connections"])
    tree = tshark.run(["-n", "-r", cap, "-q", "-z", "utp_conn,tree"]).stdout
    assert "Stream 0:" in tree
    retrans = [l for l in tree.splitlines() if l.strip().startswith("Retransmissions")]
    assert retrans and int(retrans[0].split()[1]) == 22 == sum(
        c[d]["repeated_seq_packets"] for c in facts("utp-lossy")["utp"]["connections"]
        for d in ("initiator_to_acceptor", "acceptor_to_initiator"))
    assert any(l.strip().startswith("RTT (us)") for l in tree.splitlines())


# ---------------------------------------------------------------- vectors

@pytest.fixture(scope="module")
def vectors(tshark):
    path = tshark.scratch("utp-vectors.pcap")
    utp_vectors.write(path)
    path.chmod(0o644)
    return str(path)


def field_by_frame(tshark, cap, field, extra=()):
    return {int(n): v for n, v in tshark.fields(cap, ["frame.number", field], "utp", extra)}


def test_vector_relative_numbers_across_wraparound(tshark, vectors):
    seq = field_by_frame(tshark, vectors, "utp.seq")
    raw = field_by_frame(tshark, vectors, "utp.seq_raw")
    # A: SYN 65534 -> 0, 65535 -> 1, 0 -> 2, 1 -> 3, 2 -> 4, FIN 3 -> 5
    assert [raw[i] for i in (1, 3, 7, 5, 11, 16)] == ["65534", "65535", "0", "1", "2", "3"]
    assert [seq[i] for i in (1, 3, 7, 5, 11, 16)] == ["0", "1", "2", "3", "4", "5"]
    # B: first STATE carries the next number to send, 300 -> relative 1
    assert seq[2] == "1" and seq[9] == "1" and seq[13] == "2"
    ack = field_by_frame(tshark, vectors, "utp.ack")
    assert ack[2] == "0" and ack[8] == "3" and ack[15] == "4"
    assert seq[20] == ""     # RESETs echo numbers: not made relative


def test_vector_analysis_flags(tshark, vectors):
    def frames(f):
        return [int(r[0]) for r in tshark.fields(vectors, ["frame.number"], f)]
    assert frames("utp.analysis.lost_segment == 1") == [5]
    assert frames("utp.analysis.out_of_order") == [7]
    assert frames("utp.analysis.retransmission") == [12]
    assert field_by_frame(tshark, vectors, "utp.analysis.retransmitted_frame")[12] == "11"
    dup = tshark.fields(vectors, ["frame.number", "utp.analysis.duplicate_ack_num",
                                  "utp.analysis.duplicate_ack_frame"], "utp.analysis.duplicate_ack")
    assert dup == [["6", "1", "4"], ["13", "1", "8"], ["14", "2", "8"]]
    acks = field_by_frame(tshark, vectors, "utp.analysis.acks_frame")
    assert acks[2] == "1"          # the SYN
    assert acks[8] == "5"          # cumulative up to seq 1, first sent in frame 5
    assert acks[15] == "11"
    rtt = field_by_frame(tshark, vectors, "utp.analysis.ack_rtt")
    assert rtt[15] == ""           # Karn: frame 11 was retransmitted
    assert abs(float(rtt[2]) - 0.001) < 1e-6
    assert frames("utp.analysis.zero_window") == [19]
    assert field_by_frame(tshark, vectors, "utp.analysis.sacked")[6] == "1"
    assert field_by_frame(tshark, vectors, "utp.ext.sack.acked")[6] == "1"
    irtt = field_by_frame(tshark, vectors, "utp.analysis.initial_rtt")
    assert irtt[1] == "" and all(abs(float(irtt[i]) - 0.001) < 1e-6 for i in range(2, 21))


def test_vector_ledbat_delays(tshark, vectors):
    rows = {int(r[0]): r[1:] for r in tshark.fields(
        vectors, ["frame.number", "utp.analysis.one_way_delay", "utp.analysis.base_delay",
                  "utp.analysis.queuing_delay"], "utp.analysis.one_way_delay")}
    assert rows[2] == ["5000", "5000", "0"]
    assert rows[8] == ["4000", "4000", "0"]
    assert rows[15] == ["7000", "4000", "3000"]
    assert [int(r[0]) for r in tshark.fields(vectors, ["frame.number"], "utp.analysis.queuing_delay > 2000")] == [15]


def test_vector_reassembly_out_of_order(tshark, vectors):
    assert field_by_frame(tshark, vectors, "utp.reassembled_in")[3] == "7"
    assert field_by_frame(tshark, vectors, "utp.delivered_in")[5] == "7"
    segs = field_by_frame(tshark, vectors, "utp.segment")
    assert sorted(int(s) for s in segs[7].split(",")) == [3, 5, 7]
    assert field_by_frame(tshark, vectors, "utp.reassembled.length")[7] == "68"
    assert field_by_frame(tshark, vectors, "utp.payload_duplicate")[12] != ""
    a, b, node0 = follow(tshark, vectors, 0)
    assert node0 == "10.0.0.1:40000"
    assert a == utp_vectors.STREAM_A
    assert b == utp_vectors.STREAM_B


def test_vector_extensions_and_experts(tshark, vectors):
    out = tshark.run(["-n", "-2", "-r", vectors, "-V"]).stdout
    assert "Close reason: upload_to_upload (6)" in out
    def frames(f):
        return [int(r[0]) for r in tshark.fields(vectors, ["frame.number"], f)]
    assert frames("utp.ext.sack.len_not_multiple_of_4") == [6]
    assert frames("utp.ext.unknown") == [17]
    assert frames("utp.ext.truncated") == [18]
    assert frames("utp.ext.close_reason == 6") == [16]
    # the close reason is a connection property, shown on every packet (two-pass)
    assert len(frames("utp.analysis.close_reason == 6")) == 20
    assert field_by_frame(tshark, vectors, "utp.completeness")[1] == "0x1f"


def test_reassembly_preference_off(tshark, vectors):
    """With reassembly off each payload is handed on alone: no PDU spans frames."""
    out = tshark.fields(vectors, ["frame.number", "utp.reassembled_in"], "utp",
                        extra=["-o", "utp.reassemble:FALSE"])
    assert all(r[1] == "" for r in out)
    # sequence analysis still works
    assert tshark.count(vectors, "utp.analysis.retransmission", extra=["-o", "utp.reassemble:FALSE"]) == 1


def test_analysis_preference_off(tshark, vectors):
    assert tshark.count(vectors, "utp.seq", extra=["-o", "utp.analyze_sequence_numbers:FALSE"]) == 0
    assert tshark.count(vectors, "utp", extra=["-o", "utp.analyze_sequence_numbers:FALSE"]) == 20


def test_decode_as(tshark, vectors):
    # With the heuristic off, nothing is uTP...
    assert tshark.count(vectors, "utp", extra=["--disable-heuristic", "utp_udp"]) == 0
    # ...until the port is decoded as uTP
    assert tshark.count(vectors, "utp", extra=["--disable-heuristic", "utp_udp",
                                              "-d", "udp.port==50000,utp"]) == 20


def test_builtin_heuristic_left_alone(tshark):
    """We never disable the built-in bt_utp_udp; even when a user enables it, ours wins."""
    heur = g_columns(tshark, "heuristic-decodes")
    assert ("udp", "bt-utp", "F") in heur and ("udp", "utp", "T") in heur
    cap = tshark.capture("utp-libtorrent.pcap")
    n = facts("utp-libtorrent")["utp"]["packets"]
    assert tshark.count(cap, "utp", extra=["--enable-heuristic", "bt_utp_udp"]) == n


# ---------------------------------------------------------------- negative corpus

def negative_corpus(path):
    """UDP that is not uTP, on arbitrary ports: DNS, DHT, LSD, QUIC, WireGuard,
    NTP, RTP, syslog, and seeded random payloads."""
    rnd = random.Random(29)
    dns_q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01"
    dns_r = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01" + \
        b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22"
    dht = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"
    dht_r = b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"
    lsd = (b"BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
           b"Infohash: " + b"a" * 40 + b"\r\n\r\n\r\n")
    quic_long = bytes([0xC3, 0, 0, 0, 1, 8]) + bytes(rnd.randrange(256) for _ in range(1194))
    quic_short = bytes([0x41]) + bytes(rnd.randrange(256) for _ in range(60))
    wg_init = b"\x01\x00\x00\x00" + bytes(rnd.randrange(256) for _ in range(144))
    wg_resp = b"\x02\x00\x00\x00" + bytes(rnd.randrange(256) for _ in range(88))
    wg_data = b"\x04\x00\x00\x00" + bytes(rnd.randrange(256) for _ in range(60))
    ntp = bytes([0x23]) + bytes(47)
    rtp = bytes([0x80, 0x00]) + bytes(rnd.randrange(256) for _ in range(170))
    syslog = b"<34>Oct 11 22:14:15 host su: 'su root' failed"
    frames = []
    fixed = [dns_q, dns_r, dht, dht_r, lsd, quic_long, quic_short, wg_init, wg_resp, wg_data, ntp, rtp, syslog]
    for i, p in enumerate(fixed * 5):
        frames.append(udp_frame("192.0.2.1", 20000 + i, "192.0.2.2", 30000 + i % 7, p))
    for i in range(3000):
        n = rnd.choice([rnd.randrange(1, 40), rnd.randrange(1, 1472)])
        p = bytes(rnd.randrange(256) for _ in range(n))
        frames.append(udp_frame("198.51.100.1", rnd.randrange(1024, 65536), "198.51.100.2",
                                rnd.randrange(1024, 65536), p))
    write_pcap(path, frames)


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
    path = tshark.scratch("randpkt-udp.pcap")
    subprocess.run(["randpkt", "-b", "1500", "-c", "5000", "-t", "udp", str(path)], check=True)
    path.chmod(0o644)
    assert tshark.count(str(path), "utp") == 0


# ---------------------------------------------------------------- fuzz smoke

FUZZ_ENV = {"WIRESHARK_DEBUG_WMEM_OVERRIDE": "strict"}


@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_fuzz_editcap(tshark, name):
    src = tshark.capture(f"{name}.pcap")
    for seed in (1, 2):
        out = tshark.scratch(f"fuzz-{name}-{seed}.pcap")
        subprocess.run(["editcap", "-E", "0.02", "--seed", str(seed), src, str(out)], check=True,
                       capture_output=True)
        out.chmod(0o644)
        proc = tshark.run(["-n", "-2", "-V", "-r", str(out), "-d", "udp.port==6881,utp"], env=FUZZ_ENV,
                          check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]


def test_fuzz_vectors_and_random(tshark, vectors):
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
        proc = tshark.run(["-n", "-2", "-V", "-r", str(path), *extra], env=FUZZ_ENV, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]


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
                      env=FUZZ_ENV, timeout=300)
    assert proc.stdout.split() == ["0"] * len(frames)


# ---------------------------------------------------------------- golden outputs
# Reviewed by hand against BEP 29 before being committed (see the commit that
# added each file).  Payload dissectors are switched off so the Info column is
# uTP's own.  BT_UPDATE_GOLDEN=1 rewrites them; review the diff before committing.

GOLDEN_FIELDS = ["frame.number", "utp.stream", "utp.type", "utp.seq", "utp.ack", "utp.analysis.acks_frame",
                 "utp.analysis.bytes_in_flight", "utp.analysis.sacked", "utp.analysis.queuing_delay",
                 "_ws.col.Info"]
GOLDEN_OFF = ["--disable-protocol", "btpeer", "--disable-protocol", "bittorrent"]


def check_golden(tshark, capture, name, dfilter):
    import os
    rows = tshark.fields(capture, GOLDEN_FIELDS, dfilter, extra=GOLDEN_OFF)
    text = "\n".join("\t".join(r) for r in rows) + "\n"
    path = CAPTURES.parent / "tests" / "golden" / name
    if os.environ.get("BT_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_golden_vectors(tshark, vectors):
    check_golden(tshark, vectors, "utp-vectors.txt", "utp")


def test_golden_lossy_head(tshark):
    check_golden(tshark, tshark.capture("utp-lossy.pcap"), "utp-lossy-head.txt", "utp && frame.number <= 60")


def test_golden_transmission_tail(tshark):
    check_golden(tshark, tshark.capture("utp-transmission.pcap"), "utp-transmission-tail.txt",
                 "utp && frame.number >= 505")


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
