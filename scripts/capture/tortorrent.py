#!/usr/bin/python3
"""Payload, .torrent files and torrent facts for scripts/make-torrent-captures (issue 10).

The payload is a small multi-file torrent whose files cross piece boundaries, with a
1-byte file, a file smaller than one block and files in subfolders. Every file's bytes
come from a generator seeded with its path, so every run makes the same content, the
same .torrent files and the same info hashes.

  payload DIR NAME                write the files under DIR/NAME/
  v1 DIR NAME PIECE OUT.torrent   BitTorrent v1 (BEP 3) multi-file torrent of DIR/NAME,
                                  made here with a few lines of bencode (no creation date,
                                  no announce URL): prints the v1 info hash
  hybrid DIR NAME PIECE OUT.torrent
                                  v1+v2 hybrid (BEP 52) made by libtorrent's create_torrent
                                  (pad files, file tree, piece layers); its creation date is
                                  removed so the file is reproducible. Every v1 piece hash,
                                  v2 pieces root and piece layer is then recomputed here from
                                  the files and compared: prints "v1hex v2hex"
  facts TORRENT DIR [--corrupt FILE]
                                  the torrent's facts (JSON on stdout): info hashes, piece
                                  length, files (path, size, offset, SHA-256, v2 pieces root,
                                  pad or not), every piece's SHA-1 and byte range, and, with
                                  --corrupt (a JSON file written by `corrupt`), which piece of
                                  which copy was altered
  corrupt TORRENT SRC DST PIECE OUT.json
                                  copy SRC's payload to DST and flip 4 bytes inside piece
                                  PIECE of DST's copy (after the .torrent was made); OUT.json
                                  says where

The hashes computed here use hashlib only (never libtorrent), so the facts are an
independent oracle for the dissector's piece verification.
"""
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pcapread import bdecode  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mkpayload import bencode  # noqa: E402  (beside this file)

BLOCK = 16384                      # BEP 52 merkle leaf size
# (path inside the torrent, size): files cross 16 KiB and 32 KiB piece boundaries, a 1-byte
# file, a 100-byte file (smaller than one block), two levels of subfolders; 260102 bytes.
FILES = [
    ("a-first.bin", 40000),
    ("b-one-byte.txt", 1),
    ("c-middle.bin", 70001),
    ("sub/d-nested.bin", 90000),
    ("sub/deep/e-small.txt", 100),
    ("z-last.bin", 60000),
]


def payload(root: Path, name: str) -> None:
    for rel, size in FILES:
        p = root / name / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(random.Random(f"bttor:{rel}:{size}").randbytes(size))


def v1(root: Path, name: str, piece: int, out: Path) -> None:
    data = b"".join((root / name / rel).read_bytes() for rel, _ in FILES)
    pieces = b"".join(hashlib.sha1(data[i:i + piece]).digest() for i in range(0, len(data), piece))
    info = {"name": name, "piece length": piece, "pieces": pieces,
            "files": [{"length": size, "path": rel.split("/")} for rel, size in FILES]}
    out.write_bytes(bencode({"created by": "bttor tortorrent.py", "info": info}))
    print(hashlib.sha1(bencode(info)).hexdigest())


# ---------------------------------------------------------------- BEP 52 merkle trees
ZERO = bytes(32)


def merkle_root(leaves, count):
    """Root of a tree of `count` leaves (a power of two): leaves, then zero hashes."""
    layer = list(leaves) + [ZERO] * (count - len(leaves))
    while len(layer) > 1:
        layer = [hashlib.sha256(layer[i] + layer[i + 1]).digest() for i in range(0, len(layer), 2)]
    return layer[0]


def pow2(n):
    p = 1
    while p < n:
        p *= 2
    return p


def v2_file(data: bytes, piece: int):
    """(pieces root, piece layer) of one file; piece layer is b"" for files of one piece or less."""
    leaves = [hashlib.sha256(data[i:i + BLOCK]).digest() for i in range(0, len(data), BLOCK)]
    per_piece = piece // BLOCK
    # The tree is padded with zero leaf hashes to a power of two leaves (BEP 52); a file of
    # one piece or less is not padded to a whole piece.
    count = pow2(len(leaves))
    root = merkle_root(leaves, count)
    if len(data) <= piece:
        return root, b""
    layer = b"".join(merkle_root(leaves[i:i + per_piece], per_piece) for i in range(0, len(leaves), per_piece))
    return root, layer


def hybrid(root: Path, name: str, piece: int, out: Path) -> None:
    import libtorrent as lt   # capture-only dependency (python3-libtorrent)
    fs = lt.file_storage()
    lt.add_files(fs, str(root / name))
    ct = lt.create_torrent(fs, piece)   # no flag: libtorrent 2.0 makes a v1+v2 hybrid
    ct.set_creator("bttor tortorrent.py (libtorrent create_torrent)")
    lt.set_piece_hashes(ct, str(root))
    top = ct.generate()
    top.pop(b"creation date", None)
    raw = lt.bencode(top)
    out.write_bytes(raw)
    check_hybrid(raw, root)
    f = facts(out, root)
    print(f["info_hash_v1"], f["info_hash_v2"])


def check_hybrid(raw: bytes, root: Path) -> None:
    """Every hash libtorrent wrote, recomputed from the files."""
    f = facts_from_raw(raw, root)
    top = bdecode(raw)[0]
    layers = top.get(b"piece layers", {})
    for fi in f["files"]:
        if fi["pad"] or fi["size"] == 0:
            continue
        data = (root / fi["path"]).read_bytes()
        r, layer = v2_file(data, f["piece_length"])
        if r.hex() != fi["pieces_root"]:
            sys.exit(f"hybrid: pieces root of {fi['path']} differs from libtorrent's")
        if layer != layers.get(r, b""):
            sys.exit(f"hybrid: piece layer of {fi['path']} differs from libtorrent's")


def walk_tree(tree, prefix):
    for name in sorted(tree):
        node = tree[name]
        if b"" in node:
            yield prefix + [name.decode()], node[b""]
        else:
            yield from walk_tree(node, prefix + [name.decode()])


def facts_from_raw(raw: bytes, root: Path, corrupt=None) -> dict:
    top, _ = bdecode(raw, positions=True)
    info, start, end = top[b"info"]
    info = bdecode(raw[start:end])[0]
    name = info[b"name"].decode()
    piece = info[b"piece length"]
    files, offset = [], 0
    roots = {}
    if b"file tree" in info:
        for parts, leaf in walk_tree(info[b"file tree"], [name]):
            if b"pieces root" in leaf:
                roots["/".join(parts)] = leaf[b"pieces root"].hex()
    entries = info[b"files"] if b"files" in info else [{b"length": info[b"length"], b"path": []}]
    for e in entries:
        parts = [name] + [p.decode() for p in e[b"path"]]
        pad = b"p" in e.get(b"attr", b"")
        path = "/".join(parts)
        size = e[b"length"]
        data = bytes(size) if pad else (root / path).read_bytes()
        if len(data) != size:
            sys.exit(f"facts: {path} is {len(data)} bytes, the torrent says {size}")
        fi = {"path": path, "size": size, "offset": offset, "pad": pad,
              "sha256": hashlib.sha256(data).hexdigest()}
        if b"file tree" in info and not pad and size:
            fi["pieces_root"] = roots[path]
        files.append(fi)
        offset += size
    total = offset
    blob = b"".join(bytes(fi["size"]) if fi["pad"] else (root / fi["path"]).read_bytes() for fi in files)
    want = info[b"pieces"]
    pieces = []
    for i in range(0, total, piece):
        h = hashlib.sha1(blob[i:i + piece]).hexdigest()
        if want[i // piece * 20:i // piece * 20 + 20].hex() != h:
            sys.exit(f"facts: piece {i // piece} of the files does not match the torrent's hash")
        pieces.append({"index": i // piece, "offset": i, "length": min(piece, total - i), "sha1": h,
                       # the real files the piece touches (pad files left out)
                       "files": [fi["path"] for fi in files if fi["size"] and not fi["pad"]
                                 and fi["offset"] < i + piece and fi["offset"] + fi["size"] > i]})
    out = {"name": name, "total_size": total, "piece_length": piece, "piece_count": len(pieces),
           "info_hash": hashlib.sha1(raw[start:end]).hexdigest(),
           "info_hash_v1": hashlib.sha1(raw[start:end]).hexdigest(),
           "info_hash_v2": hashlib.sha256(raw[start:end]).hexdigest() if b"file tree" in info else None,
           "meta_version": info.get(b"meta version"),
           "info_size": end - start,
           "files": files, "pieces": pieces, "corrupted": corrupt}
    return out


def facts(torrent: Path, root: Path, corrupt=None) -> dict:
    return facts_from_raw(torrent.read_bytes(), root, corrupt)


def corrupt(torrent: Path, src: Path, dst: Path, index: int, out: Path) -> None:
    f = facts(torrent, src)
    p = f["pieces"][index]
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src / f["name"], dst / f["name"])
    # 4 bytes in the middle of the piece, in whichever file holds them.
    at = p["offset"] + p["length"] // 2
    fi = next(x for x in f["files"] if x["offset"] <= at < x["offset"] + x["size"])
    path = dst / fi["path"]
    data = bytearray(path.read_bytes())
    rel = at - fi["offset"]
    flipped = []
    for k in range(4):
        data[rel + k] ^= 0xFF
        flipped.append(at + k)
    path.write_bytes(bytes(data))
    blob = b"".join(bytes(x["size"]) if x["pad"] else (dst / x["path"]).read_bytes() for x in f["files"])
    bad = hashlib.sha1(blob[p["offset"]:p["offset"] + p["length"]]).hexdigest()
    out.write_text(json.dumps({"piece": index, "file": fi["path"], "file_offset": rel,
                               "torrent_offsets": flipped, "xor": "ff",
                               "sha1_of_corrupted_piece": bad, "sha1_expected": p["sha1"]}, indent=1) + "\n")


def main() -> None:
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "payload":
        payload(Path(a[0]), a[1])
    elif cmd == "v1":
        v1(Path(a[0]), a[1], int(a[2]), Path(a[3]))
    elif cmd == "hybrid":
        hybrid(Path(a[0]), a[1], int(a[2]), Path(a[3]))
    elif cmd == "facts":
        c = json.loads(Path(a[3]).read_text()) if len(a) > 3 and a[2] == "--corrupt" else None
        print(json.dumps(facts(Path(a[0]), Path(a[1]), c), indent=1))
    elif cmd == "corrupt":
        corrupt(Path(a[0]), Path(a[1]), Path(a[2]), int(a[3]), Path(a[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
