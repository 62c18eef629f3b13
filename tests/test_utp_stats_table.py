"""Statistics → uTP → Connections / Summary (tshark -z utp,conns and
-z utp,summary, plugins/utp/utp-conn-table.c) against the raw-bytes reader
tests/utp_raw_packets.py and the capture scripts' facts."""
import pytest

from bttest import facts
from utp_raw_packets import utp_packets

CLOSE_NAMES = {6: "upload_to_upload", 7: "not_interested_upload_only"}


def table(tshark, cap, name, extra=()):
    """Rows (lists of cells) of a simple statistics table printed by tshark."""
    out = tshark.run(["-n", "-q", "-r", cap, "-z", name, *extra]).stdout
    lines = out.splitlines()
    head = next(i for i, l in enumerate(lines) if l.endswith(" |") and not l[0].isdigit())
    rows = []
    for l in lines[head + 2:]:
        if l.startswith("====="):
            break
        rows.append([c.strip() for c in l.split(" |")[:-1]])
    return [c.strip() for c in lines[head].split(" |")[:-1]], rows


@pytest.mark.parametrize("name", ["swarm-pex", "utp-lossy"])
def test_connections_table_against_raw_reader(tshark, name):
    f = facts(name)
    conns, packets = utp_packets(str(tshark.capture(f"{name}.pcap")), f["peers"])
    assert all(c.syn_seen for c in conns)     # roles known: A is the initiator
    header, rows = table(tshark, tshark.capture(f"{name}.pcap"), "utp,conns")
    col = {h: i for i, h in enumerate(header)}
    assert [int(r[col["Stream"]]) for r in rows] == list(range(len(conns)))   # stream order
    for r, c, i in zip(rows, conns, range(len(conns))):
        assert f"{r[col['Address A']]}:{r[col['Port A']]}" == c.initiator
        assert f"{r[col['Address B']]}:{r[col['Port B']]}" == c.acceptor
        for d, arrow in (("i2a", "A→B"), ("a2i", "B→A")):
            mine = [p for p in packets if p["conn"] == i and p["dir"] == d]
            assert int(r[col[f"Packets {arrow}"]]) == len(mine)
            assert int(r[col[f"Payload bytes {arrow}"]]) == sum(p["payload_len"] for p in mine)
            fd = f["utp"]["connections"][i]["initiator_to_acceptor" if d == "i2a" else "acceptor_to_initiator"]
            assert int(r[col[f"Retransmissions {arrow}"]]) == fd["repeated_seq_packets"]
        reasons = {CLOSE_NAMES.get(x, str(x)) for d in ("initiator_to_acceptor", "acceptor_to_initiator")
                   for x in f["utp"]["connections"][i][d]["close_reasons"]}
        shown = r[col["Close reason"]] if len(r) > col["Close reason"] else ""
        assert (shown in reasons) if reasons else shown == ""


def test_connections_table_delays_summarise_the_fields(tshark):
    """RTT and queuing-delay min/avg/max are those of the per-packet fields
    of each stream (the table adds them up; the fields are tested elsewhere)."""
    cap = tshark.capture("swarm-pex.pcap")
    header, rows = table(tshark, cap, "utp,conns")
    col = {h: i for i, h in enumerate(header)}
    fields = tshark.fields(cap, ["utp.stream", "utp.analysis.ack_rtt", "utp.analysis.queuing_delay"], "utp")
    for r in rows:
        s = r[col["Stream"]]
        rtt = [float(x) * 1000 for st, x, _ in fields if st == s and x]
        qd = [int(x) / 1000 for st, _, x in fields if st == s and x]
        for name, vals in (("RTT", rtt), ("Queuing delay", qd)):
            shown = [float(r[col[f"{name} {k} (ms)"]]) for k in ("min", "avg", "max")]
            want = [min(vals), sum(vals) / len(vals), max(vals)]
            assert all(abs(a - b) < 0.0015 for a, b in zip(shown, want)), (s, name, shown, want)


def test_connections_table_filter_and_blank_delays(tshark, utp_vectors_pcap):
    # the hand-built vector: one connection; a filter keeps only its SYN,
    # which has no RTT or delay sample: those cells are blank, not 0
    header, rows = table(tshark, utp_vectors_pcap, "utp,conns,frame.number==1")
    col = {h: i for i, h in enumerate(header)}
    assert len(rows) == 1 and rows[0][col["Packets A→B"]] == "1" and rows[0][col["Packets B→A"]] == "0"
    assert rows[0][col["RTT min (ms)"]] == "" and rows[0][col["Queuing delay max (ms)"]] == ""


def test_summary_against_facts(tshark):
    f = facts("swarm-pex")
    conns = f["utp"]["connections"]
    _, rows = table(tshark, tshark.capture("swarm-pex.pcap"), "utp,summary")
    got = {r[0]: int(r[1]) for r in rows}
    dirs = [c[d] for c in conns for d in ("initiator_to_acceptor", "acceptor_to_initiator")]
    assert got["Connections"] == len(conns)
    assert got["Packets"] == f["utp"]["packets"]
    assert got["Retransmissions"] == sum(d["repeated_seq_packets"] for d in dirs)
    assert got["RESET packets"] == sum(c["packets"]["RESET"] for c in conns) + f["utp"]["v0_packets"]
    assert got["Connections with a close reason"] == sum(
        1 for c in conns if c["initiator_to_acceptor"]["close_reasons"] or c["acceptor_to_initiator"]["close_reasons"])
    _, packets = utp_packets(str(tshark.capture("swarm-pex.pcap")), f["peers"])
    assert got["Payload bytes"] == sum(p["payload_len"] for p in packets)
