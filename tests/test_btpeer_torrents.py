"""Issue 10, items 1-4: torrent metadata (ut_metadata and .torrent files),
piece -> file, piece verification and Export Objects, on the real captures of
scripts/make-torrent-captures and scripts/make-captures and on the hand-built
vector of tests/vectors/make_torrent_vectors.py.

Oracles: the capture scripts' facts (files' SHA-256, each direction's whole,
good and bad pieces, the corrupted piece, the info hashes), the payload
generators of the capture scripts (scripts/capture/mkpayload.py and
tortorrent.py seed their random bytes with the file name and size), Python's
hashlib on the exported bytes.  Never the dissector's own output.
"""
import hashlib
import json
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from bttest import VECTORS, dissect_cleanly, editcap_mutation, facts, vector, with_facts as available, write_with

TORRENT_CAPS = available(["torrent-magnet-utp-loss", "torrent-transmission-tcp", "torrent-hybrid-magnet",
                          "torrent-corrupt-seed"])
MAGNET_CAPS = available(["magnet-tcp", "magnet-utp", "torrent-magnet-utp-loss", "torrent-hybrid-magnet"])
# captures whose transfer ran to the end: every file exported whole
COMPLETE_CAPS = available(["magnet-tcp", "magnet-utp", "torrent-magnet-utp-loss", "torrent-transmission-tcp",
                           "torrent-hybrid-magnet", "torrent-corrupt-seed"])
VERDICT = re.compile(r"piece (\d+) (verified|FAILED)")


def folder(tshark):
    """The .torrent files the capture script wrote, readable by tshark's user."""
    return tshark.captures / "torrents"


def prefs(tshark, cap, on=True):
    """The torrent folder preference, for captures whose leech started from a .torrent."""
    return ["-o", f"btpeer.torrent_folder:{folder(tshark)}"] if on else []


def export(tshark, cap, extra=(), two_pass=True, tag=""):
    out = tshark.scratch(f"eo-{Path(cap).stem}{tag}")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    out.chmod(0o777)
    args = ["-n", "-r", cap, "-q", "--export-objects", f"btpeer,{out}", *extra]
    if two_pass:
        args.append("-2")
    tshark.run(args)
    return {p.name: p.read_bytes() for p in out.iterdir()}


def true_files(name):
    """name -> bytes of every (non-padding) file, from the capture scripts' generators."""
    f = facts(name)
    t = f["torrent"]
    if "files" not in t:      # scripts/capture/mkpayload.py: one file
        return {t["name"]: random.Random(f"btcap:{t['name']}:{t['total_size']}").randbytes(t["total_size"])}
    out = {}
    for e in t["files"]:
        if e["pad"]:
            continue
        rel = e["path"].split("/", 1)[1]
        out[e["path"]] = random.Random(f"bttor:{rel}:{e['size']}").randbytes(e["size"])
    return out


def eo_name(path):
    """Export Objects names a file by its torrent path; tshark writes '/' as %2f."""
    return path.replace("/", "%2f")


def verdicts(tshark, cap, extra=(), two_pass=True):
    """(sender address, piece, verified) of every piece completed."""
    rows = tshark.fields(cap, ["ip.src", "ipv6.src", "_ws.col.Info"], "btpeer.piece.verified", extra=extra,
                         two_pass=two_pass)
    out = []
    for r in rows:
        for idx, v in VERDICT.findall(r[2]):
            out.append((r[0] or r[1], int(idx), v == "verified"))
    return out


def expected_verdicts(name):
    """The same from the capture facts: each direction's good and bad pieces, by sending address."""
    f = facts(name)
    out = []
    for transport, conns in (("tcp", f["tcp"]["connections"]), ("utp", f["utp"]["connections"])):
        for conn, pw in zip(conns, f["peer_wire"][transport]):
            for direction, d in pw.items():
                ep = conn.get("server") if direction == "server_to_client" else conn.get("client")
                if transport == "utp":
                    ep = conn["acceptor"] if direction == "acceptor_to_initiator" else conn["initiator"]
                ip = ep.rsplit(":", 1)[0].strip("[]")
                out += [(ip, i, True) for i in d["pieces_good"]] + [(ip, i, False) for i in d["pieces_bad"]]
    return out


@pytest.mark.parametrize("cap", MAGNET_CAPS)
def test_metadata_from_ut_metadata(tshark, cap):
    f = facts(cap)
    path = tshark.capture(f"{cap}.pcap")
    rows = tshark.fields(path, ["frame.number", "btpeer.torrent.metadata_verified", "btpeer.torrent.name"],
                         "btpeer.torrent.metadata_verified")
    assert [r[1] for r in rows] == ["1"], rows            # exactly one frame completes it, verified
    assert rows[0][2] == f["torrent"]["name"]
    # every PDU after it names the torrent and its source
    later = tshark.fields(path, ["btpeer.torrent.source"], f"btpeer && frame.number > {rows[0][0]}")
    assert later and all(set(r[0].split(",")) == {"ut_metadata"} for r in later)
    # the exported .torrent holds the info dictionary that hashes to the info hash(es)
    objs = export(tshark, path)
    tor = objs[f"{f['torrent']['name']}.torrent"]
    assert tor.startswith(b"d4:info") and tor.endswith(b"e")
    info = tor[7:-1]
    assert hashlib.sha1(info).hexdigest() == f["torrent"]["info_hash"]
    if f["torrent"].get("info_hash_v2"):
        assert hashlib.sha256(info).hexdigest() == f["torrent"]["info_hash_v2"]


# Export Objects in both modes: one pass keeps each verified piece as it is
# verified; two passes (like the GUI) keep nothing on the first pass and copy
# the verified blocks back on the second.
MODES = [pytest.param(True, id="2pass"), pytest.param(False, id="1pass")]


@pytest.mark.parametrize("two_pass", MODES)
@pytest.mark.parametrize("cap", COMPLETE_CAPS)
def test_exported_files_identical(tshark, cap, two_pass):
    """Every file of a complete transfer exported byte for byte."""
    f = facts(cap)
    objs = export(tshark, tshark.capture(f"{cap}.pcap"), prefs(tshark, cap, "files" in f["torrent"]),
                  two_pass=two_pass, tag=f"-{two_pass}")
    truth = true_files(cap)
    for path, data in truth.items():
        got = objs.get(eo_name(path))
        assert got is not None, (path, sorted(objs))
        assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest(), path
        entry = next((e for e in f["torrent"].get("files", []) if e["path"] == path), None)
        if entry:   # the capture script's own hash of the file it wrote
            assert hashlib.sha256(got).hexdigest() == entry["sha256"]
    assert not [n for n in objs if "incomplete" in n]


@pytest.mark.parametrize("cap", TORRENT_CAPS)
def test_piece_verdicts_match_facts(tshark, cap):
    """Each direction verifies exactly the pieces the facts call good, and
    fails exactly the bad ones (the corrupted piece, once, from its seed)."""
    got = verdicts(tshark, tshark.capture(f"{cap}.pcap"), prefs(tshark, cap))
    assert Counter(got) == Counter(expected_verdicts(cap))


def test_corrupted_piece_is_the_only_failure(tshark):
    if "torrent-corrupt-seed" not in TORRENT_CAPS:
        pytest.skip("capture not committed")
    f = facts("torrent-corrupt-seed")
    path = tshark.capture("torrent-corrupt-seed.pcap")
    rows = tshark.fields(path, ["frame.number", "_ws.expert.message"], "btpeer.piece.verified == 0",
                         extra=prefs(tshark, "torrent-corrupt-seed"))
    assert len(rows) == 1
    seed = f["peers"][0]["ip"]    # the aria2 seed whose copy was corrupted
    assert f"Piece {f['torrent']['corrupted']['piece']} failed" in rows[0][1] and seed in rows[0][1]


def test_one_pass_equals_two_pass(tshark):
    cap = "torrent-magnet-utp-loss" if "torrent-magnet-utp-loss" in TORRENT_CAPS else "magnet-utp"
    path = tshark.capture(f"{cap}.pcap")
    fields = ["frame.number", "btpeer.piece.verified", "btpeer.piece.blocks_in", "btpeer.piece.file",
              "btpeer.piece.file_offset", "btpeer.torrent.name", "btpeer.torrent.metadata_verified"]
    assert tshark.fields(path, fields, "btpeer", two_pass=False) == tshark.fields(path, fields, "btpeer")
    # complete files are handed to Export Objects on the first pass too
    assert export(tshark, path, two_pass=False, tag="-1") == export(tshark, path)


def test_export_refill_bounded_by_read_filter(tshark):
    """Two passes with a read filter that drops some piece frames on the
    second pass: the pieces whose blocks were not copied back are not taken
    for whole; their files are named incomplete, never exported with zeros
    as if complete."""
    if "torrent-transmission-tcp" not in TORRENT_CAPS:
        pytest.skip("capture not committed")
    src = tshark.capture("torrent-transmission-tcp.pcap")
    # a frame carrying a Piece message in the middle of the transfer, dropped
    # by its TCP sequence number (-R renumbers frames: frame.number would
    # drop every later frame too); the first pass still verifies its piece
    rows = tshark.fields(src, ["tcp.seq_raw"], "btpeer.msg_type == 7", extra=prefs(tshark, "torrent-transmission-tcp"))
    seq = rows[len(rows) // 2][0]
    objs = export(tshark, src, prefs(tshark, "torrent-transmission-tcp") + ["-R", f"!(tcp.seq_raw == {seq})"],
                  tag="-rf")
    truth = true_files("torrent-transmission-tcp")
    whole = [p for p in truth if eo_name(p) in objs]
    assert all(objs[eo_name(p)] == truth[p] for p in whole)
    assert len(whole) < len(truth), sorted(objs)
    assert [n for n in objs if ".incomplete missing " in n], sorted(objs)


def test_verify_pieces_off(tshark):
    path = tshark.capture("magnet-tcp.pcap")
    assert tshark.count(path, "btpeer.piece.verified") > 0
    assert tshark.count(path, "btpeer.piece.verified", extra=["-o", "btpeer.verify_pieces:FALSE"]) == 0
    # the file names stay
    assert tshark.count(path, "btpeer.piece.file", extra=["-o", "btpeer.verify_pieces:FALSE"]) > 0


def expected_files(t, index, begin, length):
    """Files and offsets a block touches, from the facts' file list."""
    pos = index * t["piece_length"] + begin
    end = min(pos + length, t["total_size"])
    out = []
    for e in t["files"]:
        lo, hi = e["offset"], e["offset"] + e["size"]
        if not e["pad"] and lo < end and pos < hi and e["size"]:
            out.append((e["path"], max(pos, lo) - lo))
    return out


def test_piece_to_file_mapping(tshark):
    """Piece, request and have messages of the multi-file torrent (files
    crossing piece boundaries, a 1-byte file, subfolders) name the files the
    facts' layout puts under them."""
    if "torrent-transmission-tcp" not in TORRENT_CAPS:
        pytest.skip("capture not committed")
    t = facts("torrent-transmission-tcp")["torrent"]
    path = tshark.capture("torrent-transmission-tcp.pcap")
    rows = tshark.fields(path, ["btpeer.msg_type", "btpeer.piece.index", "btpeer.piece.begin", "btpeer.piece.length",
                                "btpeer.request.index", "btpeer.request.begin", "btpeer.request.length",
                                "btpeer.piece.file", "btpeer.piece.file_offset"],
                         "btpeer.piece.file", extra=prefs(tshark, "torrent-transmission-tcp"))
    checked = Counter()
    for r in rows:
        types = r[0].split(",")
        if len(types) != 1:
            continue            # several messages in the frame: the fields interleave
        kind = types[0]
        if kind == "7":
            index, begin, length = int(r[1]), int(r[2]), int(r[3])
        elif kind in ("6", "8", "16"):
            index, begin, length = int(r[4]), int(r[5]), int(r[6])
        elif kind in ("4", "13", "17"):     # Have, Suggest, Allowed Fast: btpeer.piece.index too
            index, begin, length = int(r[1]), 0, t["piece_length"]
        else:
            continue
        got = list(zip(r[7].split(","), (int(x) for x in r[8].split(","))))
        assert got == expected_files(t, index, begin, length), r
        checked[kind] += 1
    assert checked["7"] >= 8 and sum(checked.values()) >= 16, checked


@pytest.mark.parametrize("two_pass", MODES)
def test_incomplete_export_is_labelled(tshark, two_pass):
    """A capture cut in the middle of the transfer: the files whose pieces all
    came are whole, the others are named .incomplete with the missing ranges,
    and every byte outside those ranges is the file's."""
    if "torrent-transmission-tcp" not in TORRENT_CAPS:
        pytest.skip("capture not committed")
    src = tshark.capture("torrent-transmission-tcp.pcap")
    cut = write_with(["editcap", "-r", src, tshark.scratch("tt-cut.pcap"), "1-95"], tshark.scratch("tt-cut.pcap"))
    objs = export(tshark, cut, prefs(tshark, "torrent-transmission-tcp"), two_pass=two_pass, tag=f"-{two_pass}")
    truth = true_files("torrent-transmission-tcp")
    whole = incomplete = 0
    if not two_pass:
        # one pass: tshark writes the objects right after the last packet;
        # only the files whose pieces all came (see btpeer-export.c)
        assert not [n for n in objs if ".incomplete" in n]
        assert objs and all(objs[eo_name(p)] == d for p, d in truth.items() if eo_name(p) in objs)
        return
    for path, data in truth.items():
        if eo_name(path) in objs:
            assert objs[eo_name(path)] == data
            whole += 1
            continue
        names = [n for n in objs if n.startswith(eo_name(path) + ".incomplete")]
        assert len(names) == 1, (path, sorted(objs))
        m = re.search(r"missing ([0-9,-]+)", names[0])
        assert m, names[0]
        got = objs[names[0]]
        missing = [tuple(map(int, rg.split("-"))) for rg in m.group(1).split(",")]
        for i in range(len(got)):
            if not any(lo <= i <= hi for lo, hi in missing):
                assert got[i] == data[i], (path, i)
        assert len(got) < len(data) or missing
        incomplete += 1
    assert whole and incomplete, sorted(objs)


# ------------------------------------------------------------ hand-built vector

@pytest.fixture(scope="module")
def vec(tshark):
    facts_ = json.loads((VECTORS / "btpeer" / "btpeer-torrent.facts.json").read_text())
    dst = tshark.scratch("vec-torrent-folder")
    if not dst.exists():
        shutil.copytree(VECTORS / "btpeer" / "btpeer-torrent-folder", dst)
        for p in [dst, *dst.iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    return vector(tshark, "btpeer/btpeer-torrent.pcap"), facts_, dst


def test_vector_metadata_any_order_and_direction(tshark, vec):
    path, f, _ = vec
    rows = tshark.fields(path, ["btpeer.torrent.metadata_verified", "btpeer.torrent.metadata_piece_in",
                                "btpeer.torrent.file", "ip.src"],
                         "btpeer.torrent.metadata_verified")
    verified = [r for r in rows if r[0] == "1"]
    assert len(verified) == 1 and len(verified[0][1].split(",")) == 2
    assert verified[0][2].split(",") == [e["path"] for e in f["files"]]
    # the other torrent's metadata does not hash to its info hash
    failed = [r for r in rows if r[0] == "0"]
    assert len(failed) == 1 and failed[0][3] == f["other_sender"]
    msgs = [r[0] for r in tshark.fields(path, ["_ws.expert.message"], "_ws.expert")]
    assert any("100000000" in m and "not used" in m for m in msgs)


@pytest.mark.parametrize("two_pass", MODES)
def test_vector_pieces(tshark, vec, two_pass):
    """Blocks out of order, one cut over segments and resent, padding never
    sent, a flipped byte, a segment ending a failed copy and starting the
    next, a resend after the piece verified: the verdicts and senders the
    script built, and files exported whole in one and in two passes."""
    path, f, _ = vec
    got = verdicts(tshark, path)
    exp = [(v["sender"], v["piece"], True) for v in f["verified"]] + [(f["failed"]["sender"], f["failed"]["piece"], False)]
    assert sorted(got) == sorted(exp)
    blocks = tshark.fields(path, ["btpeer.piece.blocks_in"], "btpeer.piece.verified && btpeer.piece.index == 0")
    assert len(blocks) == 1 and len(blocks[0][0].split(",")) == 2     # two frames carried piece 0
    # the objects: every file whole, the .torrent
    objs = export(tshark, path, two_pass=two_pass, tag=f"-{two_pass}")
    assert hashlib.sha256(objs["vec.torrent"][7:-1]).hexdigest() == f["info_sha256"]
    for e in f["files"]:
        assert hashlib.sha256(objs[eo_name(e["path"])]).hexdigest() == e["sha256"]


def test_vector_torrent_folder(tshark, vec):
    """From the .torrent file the torrent is known from the first handshake."""
    path, f, folder_ = vec
    extra = ["-o", f"btpeer.torrent_folder:{folder_}"]
    rows = tshark.fields(path, ["frame.number", "btpeer.torrent.name", "btpeer.torrent.source"],
                         "btpeer.info_hash", extra=extra)
    ours = [r for r in rows if r[1]]
    assert ours and all(r[1] == f["name"] and r[2] == "file" for r in ours)
    first = tshark.fields(path, ["frame.number"], "btpeer.info_hash")[0][0]
    assert ours[0][0] == first
    # piece 1 = end of a.bin, the 1-byte file, then padding (not named)
    rows = tshark.fields(path, ["btpeer.piece.file", "btpeer.piece.file_offset"],
                         "btpeer.msg_type == 7 && btpeer.piece.index == 1", extra=extra)
    assert rows == [["vec/a.bin,vec/sub/b.txt", "16384,0"]]


def test_hybrid_hashes_verified(tshark):
    """BEP 52 Hashes messages of the hybrid capture lead to the pieces roots
    of the files the capture script's .torrent lists."""
    if "torrent-hybrid-magnet" not in TORRENT_CAPS:
        pytest.skip("capture not committed")
    roots = {e["pieces_root"] for e in facts("torrent-hybrid-magnet")["torrent"]["files"] if e.get("pieces_root")}
    rows = tshark.fields(tshark.capture("torrent-hybrid-magnet.pcap"),
                         ["btpeer.hash.pieces_root", "btpeer.hash.verified"], "btpeer.msg_type == 22")
    assert rows
    for root, ok in rows:
        assert root.replace(":", "") in roots and ok == "1", (root, ok)


@pytest.mark.parametrize("from_folder", [False, True])
def test_vector_hashes_short_proofs(tshark, from_folder):
    """BEP 52 Hashes whose proof stops below the pieces root (hand-built from the
    real hybrid capture's message, tests/vectors/make_torrent_vectors.py): judged
    against the node the proof stops at when an earlier verified message or the
    .torrent's piece layers give it, else marked as not verifiable (a Chat note,
    not a failure)."""
    f = json.loads((VECTORS / "btpeer" / "btpeer-hashes-short.facts.json").read_text())
    path = vector(tshark, "btpeer/btpeer-hashes-short.pcap")
    extra = ["-o", f"btpeer.torrent_folder:{tshark.captures / 'torrents'}"] if from_folder else []
    rows = tshark.fields(path, ["btpeer.hash.verified", "_ws.expert.message", "_ws.expert.severity"],
                         "btpeer.msg_type == 22", extra=extra)
    got = []
    for ok, message, severity in rows:
        if ok:
            got.append(ok in ("1", "True"))
        else:
            assert "not verified" in message and "stops" in message, message
            got.append(None)
    assert got == f["verdicts_with_torrent" if from_folder else "verdicts"]
    unverifiable = tshark.fields(path, ["frame.number"], "btpeer.hash.unverifiable", extra=extra)
    assert len(unverifiable) == got.count(None)


@pytest.mark.parametrize("from_folder", [False, True])
def test_vector_v2(tshark, vec, from_folder):
    """A v2-only torrent: metadata checked with SHA-256, Hashes checked up to
    the pieces root (a flipped byte fails), pieces checked as merkle roots of
    their blocks, from the Hashes message or from the .torrent's piece layers."""
    _, _, folder_ = vec
    f = json.loads((VECTORS / "btpeer" / "btpeer-torrent-v2.facts.json").read_text())
    path = vector(tshark, "btpeer/btpeer-torrent-v2.pcap")
    extra = ["-o", f"btpeer.torrent_folder:{folder_}"] if from_folder else []
    rows = tshark.fields(path, ["btpeer.hash.verified"], "btpeer.msg_type == 22", extra=extra)
    assert [r[0] == "1" for r in rows] == f["hashes_verified"]
    if not from_folder:
        assert tshark.fields(path, ["btpeer.torrent.metadata_verified"], "btpeer.torrent.metadata_verified") == [["1"]]
    got = sorted([i, ok] for _, i, ok in verdicts(tshark, path, extra))
    assert got == f["verdicts"]
    objs = export(tshark, path, extra, tag=f"-{from_folder}")
    assert hashlib.sha256(objs[eo_name("v2vec/small.txt")]).hexdigest() == f["files"]["v2vec/small.txt"]
    big = [n for n in objs if n.startswith(eo_name("v2vec/big.bin"))]
    assert len(big) == 1 and "failed 32768-65535" in big[0]


@pytest.mark.parametrize("name", ["btpeer-torrent.pcap", "btpeer-torrent-v2.pcap"])
def test_fuzzed_vectors_and_torrent_files(tshark, vec, name):
    """Mutated vectors, and a folder of mutated .torrent files: dissected and
    exported without a crash or a dissector bug."""
    _, _, folder_ = vec
    bad = tshark.scratch("bad-torrents")
    if not bad.exists():
        bad.mkdir()
        rnd = random.Random(10)
        for src in sorted(folder_.iterdir()):
            data = src.read_bytes()
            for k in range(20):
                b = bytearray(data)
                for _ in range(1 + k % 4):
                    b[rnd.randrange(len(b))] = rnd.randrange(256)
                cut = b[:rnd.randrange(len(b))] if k % 5 == 0 else b
                (bad / f"{src.stem}-{k}.torrent").write_bytes(bytes(cut))
        for p in [bad, *bad.iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    src = vector(tshark, f"btpeer/{name}")
    mutated = editcap_mutation(tshark, src, f"fuzz-{name}", 0.02, 3)
    for cap in (src, mutated):
        dissect_cleanly(tshark, cap, ("-2", "-V", "-o", f"btpeer.torrent_folder:{bad}"))
        export(tshark, cap, ["-o", f"btpeer.torrent_folder:{folder_}"], tag="-fuzz")
