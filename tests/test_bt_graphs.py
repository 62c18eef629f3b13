"""scripts/bt-graphs: the CSV beside each figure holds what the raw bytes of
the capture say (tests/utp_raw_packets.py, the capture scripts' facts), and
every PNG exists and is a non-empty PNG.  Pixels are not compared."""
import csv
import os
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from bttest import ROOT, asan_runtime, facts
from utp_raw_packets import record_times, utp_packets

pytest.importorskip("matplotlib", reason="python3-matplotlib not installed (scripts/deps installs it)")


@pytest.fixture(scope="module")
def graphs(tshark):
    """name -> output folder of bt-graphs run (as tshark's user) on a capture."""
    script = tshark.scratch("bt-graphs")
    shutil.copy(ROOT / "scripts" / "bt-graphs", script)
    script.chmod(0o755)
    done = {}

    def run(name, *extra):
        if name not in done:
            out = tshark.scratch(f"graphs-{name}")
            out.mkdir()
            out.chmod(0o777)
            proc = bt_graphs(tshark, [tshark.capture(f"{name}.pcap"), "--out", out, *extra])
            assert "bt-graphs: reading packets" in proc.stderr     # the progress indicator
            done[name] = out
        return done[name]
    return run


def bt_graphs(tshark, args):
    """Runs the copied bt-graphs as tshark's user.  Under the sanitizer build
    only tshark gets the sanitizer runtime (through a wrapper given as
    --tshark): Python and capinfos preloaded with it hang (see bttest)."""
    extra, env = [], None
    if os.environ.get("BT_SANITIZE"):
        wrapper = tshark.scratch("tshark-asan")
        if not wrapper.exists():
            wrapper.write_text(f"#!/bin/sh\nexec env LD_PRELOAD={asan_runtime()} tshark \"$@\"\n")
            wrapper.chmod(0o755)
        extra, env = ["--tshark", str(wrapper)], {"LD_PRELOAD": ""}
    return tshark.run([*args, *extra], env=env, binary=str(tshark.scratch("bt-graphs")))


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def is_png(path):
    data = Path(path).read_bytes()
    return len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def oracle(tshark, name):
    f = facts(name)
    path = tshark.capture(f"{name}.pcap")
    conns, packets = utp_packets(path, f["peers"])
    t0 = record_times(path)[0]
    for p in packets:
        p["rel"] = p["time"] - t0
        p["d"] = "A>B" if p["dir"] == "i2a" else "B>A"
    return conns, packets


def test_utp_lossy_figures_agree_with_raw_bytes(tshark, graphs):
    out = graphs("utp-lossy")
    conns, packets = oracle(tshark, "utp-lossy")
    assert len(conns) == 1 and conns[0].syn_seen
    mine = [p for p in packets if p["conn"] == 0]
    by_frame = {p["frame"]: p for p in mine}
    for kind in ("seq", "throughput", "rtt", "delay", "window", "pieces"):
        assert is_png(out / f"utp-0-{kind}.png"), kind
        assert (out / f"utp-0-{kind}.csv").stat().st_size > 0

    # time-sequence: every DATA packet once, its number, length and time; a
    # retransmission is a DATA whose number that side had already sent
    seq = rows(out / "utp-0-seq.csv")
    data = [r for r in seq if r["kind"] in ("data", "retransmission")]
    want = [p for p in mine if p["type"] == "DATA"]
    assert sorted((int(r["frame"]), r["direction"], int(r["seq_raw"]), int(r["payload_len"])) for r in data) == \
        sorted((p["frame"], p["d"], p["seq"], p["payload_len"]) for p in want)
    assert all(abs(float(r["time_s"]) - by_frame[int(r["frame"])]["rel"]) < 2e-6 for r in data)
    for d in ("A>B", "B>A"):
        assert len({(int(r["seq_rel"]) - int(r["seq_raw"])) % 65536 for r in data if r["direction"] == d}) <= 1
        sent, again = set(), []
        for p in want:
            if p["d"] == d:
                (again.append(p["frame"]) if p["seq"] in sent else sent.add(p["seq"]))
        assert sorted(int(r["frame"]) for r in data if r["direction"] == d and r["kind"] == "retransmission") \
            == again
    sacked = [r for r in seq if r["kind"] == "sacked"]
    assert sacked
    for r in sacked:    # named in a selective ACK sent by the other side, a number this side sent
        ack = by_frame[int(r["frame"])]
        assert ack["sack"] and ack["d"] != r["direction"]
        assert any(p["seq"] == int(r["seq_raw"]) and p["d"] == r["direction"] for p in want)

    # throughput: payload bytes per direction and per bin
    tp = rows(out / "utp-0-throughput.csv")
    width, start = float(tp[0]["bin_width_s"]), float(tp[0]["bin_start_s"])
    got = defaultdict(int)
    for r in tp:
        got[(round((float(r["bin_start_s"]) - start) / width), r["direction"])] += int(r["payload_bytes"])
    expect, edges = defaultdict(int), set()
    for p in want:
        x = (p["rel"] - start) / width
        expect[(int(x), p["d"])] += p["payload_len"]
        if abs(x - round(x)) * width < 2e-6:      # on a bin edge: either side will do
            edges |= {(round(x), p["d"]), (round(x) - 1, p["d"])}
    for d in ("A>B", "B>A"):
        assert sum(v for (i, dd), v in got.items() if dd == d) == sum(p["payload_len"] for p in want if p["d"] == d)
    assert all(got[k] == expect[k] for k in set(got) | set(expect) if k not in edges)

    # RTT samples: on ACKs sent by the side opposite to the data they time
    rtt = rows(out / "utp-0-rtt.csv")
    assert rtt and all(by_frame[int(r["frame"])]["d"] != r["data_direction"] and float(r["rtt_ms"]) >= 0
                       for r in rtt)

    # delays: the one-way delay is the packet's timestamp_difference_microseconds
    delay = rows(out / "utp-0-delay.csv")
    assert delay
    for r in delay:
        p = by_frame[int(r["frame"])]
        assert (r["direction"], int(r["one_way_delay_us"])) == (p["d"], p["ts_diff"])
        if r["base_delay_us"]:
            assert int(r["queuing_delay_us"]) == int(r["one_way_delay_us"]) - int(r["base_delay_us"]) >= 0

    # window: every version-1 packet's wnd_size
    win = rows(out / "utp-0-window.csv")
    assert sorted((int(r["frame"]), r["direction"], int(r["wnd_size"])) for r in win) == \
        sorted((p["frame"], p["d"], p["wnd"]) for p in mine if not p["v0"])

    # pieces: as many Piece messages per direction as the facts count
    pieces = rows(out / "utp-0-pieces.csv")
    f = facts("utp-lossy")["utp"]["connections"][0]
    for d, key in (("A>B", "initiator_to_acceptor"), ("B>A", "acceptor_to_initiator")):
        n = (f[key]["messages"] or {}).get("by_id", {}).get("7", 0)
        assert sum(1 for r in pieces if r["direction"] == d) == n

    index = (out / "index.html").read_text()
    assert "<td>upload_to_upload</td>" in index
    for kind in ("seq", "throughput", "rtt", "delay", "window", "pieces"):
        assert f"href='utp-0-{kind}.png'" in index and f"href='utp-0-{kind}.csv'" in index


def test_tcp_bittorrent_figures(tshark, graphs):
    out = graphs("tcp-qbittorrent")
    (conn,) = facts("tcp-qbittorrent")["tcp"]["connections"]
    s = next(p.name.split("-")[1] for p in out.glob("tcp-*-throughput.csv"))
    assert is_png(out / f"tcp-{s}-throughput.png") and is_png(out / f"tcp-{s}-pieces.png")
    tp = rows(out / f"tcp-{s}-throughput.csv")
    index = (out / "index.html").read_text()
    assert f"<td>{conn['client']}</td>" in index          # A: the side that sent the first data
    for d, key in (("A>B", "client_to_server"), ("B>A", "server_to_client")):
        assert conn[key]["missing_bytes"] == 0
        assert sum(int(r["payload_bytes"]) for r in tp if r["direction"] == d) == conn[key]["stream_bytes"]
        n = conn[key]["messages"]["by_id"].get("7", 0)
        assert sum(1 for r in rows(out / f"tcp-{s}-pieces.csv") if r["direction"] == d) == n


def test_foreign_capture_and_one_stream(tshark, graphs):
    """A public capture with connections older than the capture: figures for
    each stream; --stream keeps one."""
    out = graphs("public-ndpi-bittorrent-utp")
    streams = {p.name.split("-")[1] for p in out.glob("utp-*-seq.png")}
    assert streams and all(is_png(p) for p in out.glob("*.png"))
    one = tshark.scratch("graphs-one")
    one.mkdir()
    one.chmod(0o777)
    s = sorted(streams, key=int)[-1]
    bt_graphs(tshark, [tshark.capture("public-ndpi-bittorrent-utp.pcap"), "--stream", s, "--out", one])
    assert {p.name.split("-")[1] for p in one.glob("utp-*.png")} == {s}
