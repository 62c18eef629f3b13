"""tshark regression suite for the uTP plugin (BEP 29).

Real captures come from test-captures/ (made by scripts/make-captures with
real clients); their *.facts.json were computed by scripts/utp_facts.py, an
independent pure-Python reader that does not use our dissectors.  The
hand-built vectors (utp_vectors.py) cover edge cases; their expected values
are derived from BEP 29 by hand in the comments there and below.
"""
import hashlib

import pytest

from bttest import NOT_QUOTED, captures_with_utp, facts, follow_raw as follow

UTP_CAPTURES = captures_with_utp()


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


@pytest.mark.parametrize("extra", [["-o", "utp.reassemble:FALSE"], ["--disable-protocol", "btpeer"]],
                         ids=["reassembly-off", "btpeer-off"])
@pytest.mark.parametrize("name", UTP_CAPTURES)
def test_payload_handed_on_alike_on_every_pass(tshark, name, extra):
    """A DATA frame whose payload is handed on alone keeps no reassembly
    record, only how it was handed on: a later pass must hand every payload
    to the same dissector as the first pass did."""
    cap = tshark.capture(f"{name}.pcap")
    # what the payload became (forward links such as utp.reassembled_in are
    # known to a second pass only, so they are not compared)
    fields = ["frame.number", "frame.protocols", "data.len", "btpeer.msg_type", "_ws.col.Info"]
    dfilter = "utp.type == 0 && utp.len > 0"
    one = tshark.fields(cap, fields, dfilter, extra=extra, two_pass=False)
    two = tshark.fields(cap, fields, dfilter, extra=extra, two_pass=True)
    late = {r[0] for r in tshark.fields(cap, ["frame.number"], "utp.analysis.confirmed_in", extra=extra)}
    assert one == [r for r in two if r[0] not in late]
    # not vacuous: payloads were handed on past uTP
    assert any(":utp:" in r[1] for r in two)


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


def test_conversation_table_and_summary(tshark):
    cap = tshark.capture("utp-lossy.pcap")
    conv = tshark.run(["-n", "-r", cap, "-q", "-z", "conv,utp"]).stdout
    lines = [l for l in conv.splitlines() if "<->" in l]
    assert len(lines) == len(facts("utp-lossy")["utp"]["connections"])
    out = tshark.run(["-n", "-r", cap, "-q", "-z", "utp,summary"]).stdout
    retrans = [l for l in out.splitlines() if l.startswith("Retransmissions")]
    assert retrans and int(retrans[0].split("|")[1]) == 22 == sum(
        c[d]["repeated_seq_packets"] for c in facts("utp-lossy")["utp"]["connections"]
        for d in ("initiator_to_acceptor", "acceptor_to_initiator"))
