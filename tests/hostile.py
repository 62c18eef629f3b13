"""Shared measuring helper for the hostile-input tests (issue 7, item 11).

A hostile capture is one whose dissection cost could grow far faster than its
size (hash collisions, N^2 searches, per-connection allocations).  Each
hostile capture is paired with a *control*: the same number of packets of
about the same size, with ordinary values.  The tests assert a ratio measured
in the same run, never an absolute time (these machines are noisy):

    cost(hostile) / cost(control) <= factor

where cost is the CPU time (user + system) tshark spends beyond its start-up,
which is measured on a capture of one packet in the same run and subtracted,
so that plugin loading does not dilute the ratio.  Each cost is the best of a
few runs.
"""
import os
import resource

from pcapgen import write_pcap


def _cpu_of(tshark, capture, args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = tshark.run(["-n", "-r", capture, *args], check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, proc


def assert_no_dissector_bug(proc, what):
    """tshark runs with WIRESHARK_ABORT_ON_DISSECTOR_BUG=1: a bug is a non-zero exit."""
    assert proc.returncode == 0, f"{what}: tshark exited {proc.returncode}\n{proc.stderr[-2000:]}"
    assert "Dissector bug" not in proc.stdout + proc.stderr, f"{what}: dissector bug reported"


def cost(tshark, capture, args=("-2", "-V"), runs=3):
    """Best CPU seconds of `runs` dissections of capture; also checks each run is clean."""
    best = None
    for _ in range(runs):
        cpu, proc = _cpu_of(tshark, capture, args)
        assert_no_dissector_bug(proc, capture)
        best = cpu if best is None else min(best, cpu)
    return best


def startup_capture(tshark, frame):
    """A one-packet capture (the first frame of the hostile case) to measure start-up."""
    return write_pcap(tshark.scratch(f"hostile-startup-{os.getpid()}.pcap"), [frame])


def cost_ratio(tshark, hostile, control, startup, args=("-2", "-V"), runs=3):
    """(hostile cost - start-up) / (control cost - start-up), each the best of `runs`.

    The control's cost is floored at 100 ms so that a control that is all
    start-up cannot turn scheduler noise on a loaded machine into a huge
    ratio (seen: 0.09 s against 0.02 s); the costs these tests guard against
    are seconds against fractions of one.
    """
    base = cost(tshark, startup, args, runs)
    h = max(cost(tshark, hostile, args, runs) - base, 0.0)
    c = max(cost(tshark, control, args, runs) - base, 0.1)
    return h / c, h, c
