"""uTP retransmission links and reused sequence numbers (issue 7, item 8).

A retransmission is the same packet again: same sequence number, type and
payload (BEP 29 resends a packet unchanged); its link names the latest earlier
transmission.  libtorrent has been seen sending a DATA with the number of its
own FIN: a different packet, which is its own expert (utp.analysis.seq_reused),
not a retransmission.  Expected frames are worked out by hand below.
"""
from pcapgen import write_pcap
from utp_vectors import a2b, b2a, utp, ST_SYN, ST_STATE, ST_DATA, ST_FIN, SYN_ID


def rows(tshark, cap, *fields):
    return {int(r[0]): r[1:] for r in tshark.fields(cap, ["frame.number", *fields], "utp")}


def test_data_reusing_the_number_of_a_fin_is_not_its_retransmission(tshark):
    frames = [
        a2b(utp(ST_SYN, SYN_ID, 100, 0)),                          # 1
        b2a(utp(ST_STATE, SYN_ID, 500, 100)),                      # 2
        a2b(utp(ST_DATA, SYN_ID + 1, 101, 499, b"hello")),         # 3
        a2b(utp(ST_FIN, SYN_ID + 1, 102, 499)),                    # 4 FIN 102
        a2b(utp(ST_DATA, SYN_ID + 1, 102, 499, b"late data")),     # 5 DATA reusing 102: seq_reused of 4
        a2b(utp(ST_DATA, SYN_ID + 1, 102, 499, b"late data")),     # 6 retransmission of 5 (not of 4)
        a2b(utp(ST_DATA, SYN_ID + 1, 101, 499, b"hello")),         # 7 retransmission of 3
        a2b(utp(ST_DATA, SYN_ID + 1, 101, 499, b"hello")),         # 8 retransmission of 7: the latest
        b2a(utp(ST_STATE, SYN_ID, 500, 102)),                      # 9 acks everything
        a2b(utp(ST_FIN, SYN_ID + 1, 102, 499)),                    # 10 FIN 102 again, after the ACK:
                                                                   #    the acked number stands for DATA 5/6
    ]
    cap = str(write_pcap(tshark.scratch("utp-seq-reuse.pcap"), frames))
    r = rows(tshark, cap, "utp.analysis.retransmission", "utp.analysis.retransmitted_frame",
             "utp.analysis.seq_reused", "utp.analysis.seq_reused_frame")
    retrans = {n: v[1] for n, v in r.items() if v[0]}
    reused = {n: v[3] for n, v in r.items() if v[2]}
    assert retrans == {6: "5", 7: "3", 8: "7"}
    assert reused == {5: "4", 10: "6"}
    # an expert of its own, a Note, and one pass agrees with two
    exp = tshark.run(["-n", "-r", cap, "-q", "-z", "expert,note"]).stdout
    assert "reused by a different packet" in exp
    one = tshark.fields(cap, ["frame.number", "utp.analysis.seq_reused_frame",
                              "utp.analysis.retransmitted_frame"], "utp", two_pass=False)
    two = tshark.fields(cap, ["frame.number", "utp.analysis.seq_reused_frame",
                              "utp.analysis.retransmitted_frame"], "utp")
    assert one == two
