#!/usr/bin/python3
"""Deterministic payload and .torrent (BitTorrent v1, BEP 3) for the capture scripts.

The payload is pseudo-random bytes from a seeded generator, so every run of
scripts/make-captures transfers the same content and makes the same info-hash.
The .torrent has no announce URL and no creation date: peers are always added by
hand, and the file is byte-for-byte reproducible.

usage: mkpayload.py OUTDIR NAME SIZE PIECE_LENGTH   (prints the hex info-hash)
"""
import hashlib
import random
import sys
from pathlib import Path


def bencode(v) -> bytes:
    """Canonical bencoding (sorted dict keys); scripts/capture/tortorrent.py uses it too."""
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def main() -> None:
    outdir, name, size, piece = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    outdir.mkdir(parents=True, exist_ok=True)
    data = random.Random(f"btcap:{name}:{size}").randbytes(size)
    (outdir / name).write_bytes(data)
    pieces = b"".join(hashlib.sha1(data[i:i + piece]).digest() for i in range(0, size, piece))
    info = {"length": size, "name": name, "piece length": piece, "pieces": pieces}
    (outdir / f"{name}.torrent").write_bytes(bencode({"created by": "btcap mkpayload.py", "info": info}))
    print(hashlib.sha1(bencode(info)).hexdigest())


if __name__ == "__main__":
    main()
