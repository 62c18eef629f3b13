"""Golden outputs of the uTP plugin: whole Info columns and trees of real
captures and vectors, reviewed by hand against BEP 29 before being
committed (BT_UPDATE_GOLDEN=1 rewrites them; review the diff).
"""
import os

from bttest import CAPTURES


# Reviewed against BEP 29 in the commit that added each file.  Payload
# dissectors are switched off so the Info column is uTP's own.

GOLDEN_FIELDS = ["frame.number", "utp.stream", "utp.type", "utp.seq", "utp.ack", "utp.analysis.acks_frame",
                 "utp.analysis.bytes_in_flight", "utp.analysis.sacked", "utp.analysis.queuing_delay",
                 "_ws.col.Info"]
GOLDEN_OFF = ["--disable-protocol", "btpeer", "--disable-protocol", "bittorrent"]


def check_golden(tshark, capture, name, dfilter):
    rows = tshark.fields(capture, GOLDEN_FIELDS, dfilter, extra=GOLDEN_OFF)
    text = "\n".join("\t".join(r) for r in rows) + "\n"
    path = CAPTURES.parent / "tests" / "golden" / name
    if os.environ.get("BT_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_golden_vectors(tshark, utp_vectors_pcap):
    check_golden(tshark, utp_vectors_pcap, "utp-vectors.txt", "utp")


def test_golden_lossy_head(tshark):
    check_golden(tshark, tshark.capture("utp-lossy.pcap"), "utp-lossy-head.txt", "utp && frame.number <= 60")


def test_golden_transmission_tail(tshark):
    check_golden(tshark, tshark.capture("utp-transmission.pcap"), "utp-transmission-tail.txt",
                 "utp && frame.number >= 505")
