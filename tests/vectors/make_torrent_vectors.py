#!/usr/bin/env python3
"""Writes the hand-built vectors of torrent metadata and piece verification
(issue 10) into btpeer/, with a .facts.json holding what this script knows.

  btpeer-torrent.pcap  a multi-file v1 torrent (a.bin 20000 bytes, sub/b.txt
      1 byte, a BEP 47 padding file up to the piece boundary, c.bin 9000
      bytes; 16 KiB pieces, 3 pieces) whose 2-piece info dictionary comes
      over ut_metadata on two connections, in the reverse order and in
      opposite directions (piece 1 seed -> leech on connection 1, piece 0
      leech -> seed on connection 2).  Then:
        connection 1: piece 0 as two blocks, the second one first, the
          first cut over several TCP segments and sent twice; piece 1 as its
          one block of file data (the rest is padding, never sent); piece 2
          as two blocks with one byte flipped (fails), then again intact
          (verifies), where one TCP segment ends the failed copy and starts
          the good one, and the segment ending the good copy also carries a
          resend of its first block with other bytes, after the piece was
          verified (Export Objects must take the verified copy's bytes
          only); a request, a have and a cancel;
        connection 2: piece 2 intact (verifies);
        connection 3 (another info hash): metadata that does not match its
          info hash, and a data message announcing a 100 MB total size.
  btpeer-torrent-folder/vec.torrent  the same torrent as a .torrent file.
  btpeer-torrent-v2.pcap  a v2-only torrent (BEP 52; 32 KiB pieces: big.bin
      70000 bytes over 3 pieces, small.txt 100 bytes in a piece of its own)
      whose info dictionary comes over ut_metadata (the handshake carries the
      SHA-256 info hash truncated to 20 bytes); a Hashes message with big.bin's
      piece layer (then one with a flipped byte); pieces 0, 1 (one flipped
      byte: fails), 2 (short: the file ends) and 3 (small.txt, checked against
      its pieces root).
  btpeer-torrent-folder/v2.torrent  that torrent with its piece layers.
  btpeer-hashes-short.pcap  BEP 52 Hashes messages whose proof stops below
      the pieces root, derived from the real hybrid capture
      (test-captures/torrent-hybrid-magnet.pcap: libtorrent's Hashes message
      with the piece layer of sub/d-nested.bin, read from the raw pcap bytes)
      and its .torrent (test-captures/torrents/bttor-hybrid.torrent: the info
      dictionary, sent over ut_metadata).  In order: h0,h1 without proof
      (nothing known above them yet: not verifiable), h0,h1 with the proof
      H(h2||h3) (reaches the root), h2,h3 without proof (the node above is
      that proof hash, now known), the same with h2 flipped (fails), h0,h1
      without proof again (their parent now follows from known piece-layer
      hashes), then the real message verbatim.
The merkle trees here are computed from the leaves up, padded with zero
leaves, independently of the plugin's piece-layer arithmetic.
"""
import hashlib
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_btpeer_vectors import OUT, Pcap, Tcp, bencode, ext, ip, msg, u32  # noqa: E402
# scripts/capture is on the path now (make_btpeer_vectors put it there for mkpayload):
# the BEP 52 merkle helpers of the capture facts, and scripts/pcapread's bdecode
from tortorrent import merkle_root as root_of_leaves, pow2  # noqa: E402
from pcapread import bdecode  # noqa: E402

PIECE = 16384
FILES = [("a.bin", 20000), ("sub/b.txt", 1), None, ("c.bin", 9000)]   # None: padding
PAD = 2 * PIECE - 20001
MD_ID = 3          # ut_metadata id both sides announce


def torrent():
    rnd = random.Random("btpeer-torrent-vector")
    data = {name: rnd.randbytes(size) for name, size in (f for f in FILES if f)}
    layout, files = b"", []
    for f in FILES:
        if f is None:
            layout += bytes(PAD)
            files.append({"attr": "p", "length": PAD, "path": [".pad", str(PAD)]})
        else:
            layout += data[f[0]]
            files.append({"length": f[1], "path": f[0].split("/")})
    pieces = [layout[i:i + PIECE] for i in range(0, len(layout), PIECE)]
    info = {"files": files, "name": "vec", "piece length": PIECE,
            "pieces": b"".join(hashlib.sha1(p).digest() for p in pieces),
            "x-filler": "f" * 20000}     # makes the info dictionary 2 metadata pieces long
    return data, layout, pieces, bencode(info)


def handshakes(t, ih, a_id, b_id):
    hs = b"\x13BitTorrent protocol" + bytes([0, 0, 0, 0, 0, 0x10, 0, 0x05]) + ih
    t.send(0, hs + a_id)
    t.send(1, hs + b_id)
    m = bencode({"m": {"ut_metadata": MD_ID}, "v": "vector"})
    t.send(0, ext(0, m))
    t.send(1, ext(0, m))


def md_piece(n, info):
    chunk = info[n * PIECE:(n + 1) * PIECE]
    return ext(MD_ID, bencode({"msg_type": 1, "piece": n, "total_size": len(info)}) + chunk)


def block(index, begin, data):
    return msg(7, u32(index, begin) + data)


def main():
    data, layout, pieces, info = torrent()
    ih = hashlib.sha1(info).digest()
    pc = Pcap()
    seed1, leech = (ip("10.0.4.2"), 6881), (ip("10.0.4.1"), 40000)
    c1 = Tcp(pc, leech, seed1)
    handshakes(c1, ih, b"-LT2080-aaaaaaaaaaaa", b"-TR3000-bbbbbbbbbbbb")
    c1.send(1, md_piece(1, info))
    seed2 = (ip("10.0.4.3"), 6881)
    c2 = Tcp(pc, (ip("10.0.4.1"), 40001), seed2)
    handshakes(c2, ih, b"-LT2080-cccccccccccc", b"-qB4520-dddddddddddd")
    c2.send(0, md_piece(0, info))                     # completes the metadata
    c1.send(0, msg(6, u32(0, 0, PIECE)) + msg(6, u32(0, 16000, PIECE - 16000)) + msg(8, u32(2, 0, 9000)))
    c1.send(1, block(0, 16000, pieces[0][16000:]))
    first = block(0, 0, pieces[0][:16000])
    c1.send(1, first, cuts=(5, 13, 600))
    c1.send(1, first)                                 # sent again: completes nothing new
    c1.send(1, block(1, 0, pieces[1][:20001 - PIECE]))
    bad = bytearray(pieces[2])
    bad[100] ^= 0xFF
    good, cut, big = pieces[2], 4000, 65000      # big: one TCP segment per send
    junk = bytes(b ^ 0x5A for b in good[:cut])
    c1.send(1, block(2, 0, bytes(bad[:cut])), mss=big)
    c1.send(1, block(2, cut, bytes(bad[cut:])) + block(2, 0, good[:cut]), mss=big)
    c1.send(1, block(2, cut, good[cut:]) + block(2, 0, junk), mss=big)
    c1.send(1, msg(4, u32(2)))                        # have 2
    c2.send(1, block(2, 0, pieces[2]))
    other = bytes(range(0x40, 0x54))
    c3 = Tcp(pc, (ip("10.0.4.1"), 40002), (ip("10.0.4.4"), 6881))
    handshakes(c3, other, b"-LT2080-eeeeeeeeeeee", b"-LT2080-ffffffffffff")
    c3.send(1, ext(MD_ID, bencode({"msg_type": 1, "piece": 0, "total_size": 100_000_000}) + b"x" * 16384))
    c3.send(1, ext(MD_ID, bencode({"msg_type": 1, "piece": 0, "total_size": 5}) + b"hello"))
    pc.write("btpeer-torrent.pcap")

    folder = os.path.join(OUT, "btpeer-torrent-folder")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vec.torrent"), "wb") as f:
        f.write(b"d4:info" + info + b"e")     # info is bencoded already
    facts = {
        "info_hash": ih.hex(),
        "name": "vec",
        "info_sha256": hashlib.sha256(info).hexdigest(),
        "files": [{"path": "vec/" + f[0], "size": f[1], "offset": layout.find(data[f[0]]),
                   "sha256": hashlib.sha256(data[f[0]]).hexdigest()} for f in FILES if f],
        "piece_length": PIECE,
        "failed": {"piece": 2, "sender": "10.0.4.2"},
        "verified": [{"piece": 0, "sender": "10.0.4.2"}, {"piece": 1, "sender": "10.0.4.2"},
                     {"piece": 2, "sender": "10.0.4.2"}, {"piece": 2, "sender": "10.0.4.3"}],
        "other_info_hash": other.hex(),
        "other_sender": "10.0.4.4",
    }
    with open(os.path.join(OUT, "btpeer-torrent.facts.json"), "w") as f:
        json.dump(facts, f, indent=1)


V2_PIECE = 32768
BLOCK = 16384


def sha256(b):
    return hashlib.sha256(b).digest()


def leaves_of(data):
    return [sha256(data[i:i + BLOCK]) for i in range(0, len(data), BLOCK)]


def v2():
    rnd = random.Random("btpeer-torrent-v2-vector")
    big, small = rnd.randbytes(70000), rnd.randbytes(100)
    big_root = root_of_leaves(leaves_of(big), pow2(len(leaves_of(big))))
    small_root = root_of_leaves(leaves_of(small), 1)
    per_piece = V2_PIECE // BLOCK
    layer = [root_of_leaves(leaves_of(big[i:i + V2_PIECE]), per_piece) for i in range(0, len(big), V2_PIECE)]
    pad = root_of_leaves([], per_piece)              # a piece of zero leaves
    layer4 = layer + [pad]
    assert root_of_leaves(layer4, 4) == big_root     # the piece layer leads to the same root
    info = bencode({"file tree": {"big.bin": {"": {"length": len(big), "pieces root": big_root}},
                                  "small.txt": {"": {"length": len(small), "pieces root": small_root}}},
                    "meta version": 2, "name": "v2vec", "piece length": V2_PIECE})
    ih = sha256(info)[:20]
    pc = Pcap()
    c = Tcp(pc, (ip("10.0.5.1"), 40000), (ip("10.0.5.2"), 6881))
    handshakes(c, ih, b"-LT2080-gggggggggggg", b"-LT2080-hhhhhhhhhhhh")
    c.send(1, md_piece(0, info))
    hdr = big_root + u32(1, 0, 4, 0)
    c.send(1, msg(22, hdr + b"".join(layer4)))
    bad_layer = bytearray(b"".join(layer4))
    bad_layer[40] ^= 1
    c.send(1, msg(22, hdr + bytes(bad_layer)))
    c.send(1, block(0, 0, big[:BLOCK]) + block(0, BLOCK, big[BLOCK:V2_PIECE]))
    bad = bytearray(big[V2_PIECE:2 * V2_PIECE])
    bad[7] ^= 0x80
    c.send(1, block(1, 0, bytes(bad[:BLOCK])) + block(1, BLOCK, bytes(bad[BLOCK:])))
    c.send(1, block(2, 0, big[2 * V2_PIECE:]))
    c.send(1, block(3, 0, small))
    pc.write("btpeer-torrent-v2.pcap")
    folder = os.path.join(OUT, "btpeer-torrent-folder")
    with open(os.path.join(folder, "v2.torrent"), "wb") as f:
        f.write(b"d4:info" + info + b"12:piece layers" + bencode({big_root: b"".join(layer)}) + b"e")
    facts = {"name": "v2vec", "info_sha256": hashlib.sha256(info).hexdigest(),
             "roots": {"v2vec/big.bin": big_root.hex(), "v2vec/small.txt": small_root.hex()},
             "hashes_verified": [True, False],
             "verdicts": [[0, True], [1, False], [2, True], [3, True]],
             "files": {"v2vec/big.bin": hashlib.sha256(big).hexdigest(),
                       "v2vec/small.txt": hashlib.sha256(small).hexdigest()}}
    with open(os.path.join(OUT, "btpeer-torrent-v2.facts.json"), "w") as f:
        json.dump(facts, f, indent=1)


def short_proofs():
    root_dir = os.path.join(HERE, "..", "..")
    tor = open(os.path.join(root_dir, "test-captures", "torrents", "bttor-hybrid.torrent"), "rb").read()
    start = tor.index(b"4:info") + 6
    info = tor[start:bdecode(tor, start)[1]]
    facts = json.load(open(os.path.join(root_dir, "test-captures", "torrent-hybrid-magnet.facts.json")))
    entry = next(e for e in facts["torrent"]["files"] if e["path"].endswith("sub/d-nested.bin"))
    root = bytes.fromhex(entry["pieces_root"])
    # the real Hashes message (id 22) for that file: length prefix, id, root, 4 fields, hashes
    cap = open(os.path.join(root_dir, "test-captures", "torrent-hybrid-magnet.pcap"), "rb").read()
    k = cap.index(b"\x16" + root)
    mlen = struct.unpack(">I", cap[k - 4:k])[0]
    real = cap[k:k + mlen]
    base, index, length, proof = struct.unpack(">4I", real[33:49])
    h = [real[49 + 32 * i:81 + 32 * i] for i in range(length)]
    # 90000 bytes: 6 blocks (tree of 8, root at layer 3), 32 KiB pieces: the
    # piece layer is layer 1, 3 pieces and one padding node
    assert (base, index, length, len(real)) == (1, 0, 4, 49 + 4 * 32), (base, index, length, len(real))
    left, right = sha256(h[0] + h[1]), sha256(h[2] + h[3])
    assert sha256(left + right) == root
    bad2 = bytearray(h[2])
    bad2[0] ^= 1

    def hashes(idx, n, proofs, body):
        return msg(22, root + u32(1, idx, n, proofs) + body)
    msgs = [(hashes(0, 2, 0, h[0] + h[1]), None),
            (hashes(0, 2, 1, h[0] + h[1] + right), True),
            (hashes(2, 2, 0, h[2] + h[3]), True),
            (hashes(2, 2, 0, bytes(bad2) + h[3]), False),
            (hashes(0, 2, 0, h[0] + h[1]), True),
            (u32(mlen) + real, True)]
    pc = Pcap()
    c = Tcp(pc, (ip("10.0.6.1"), 40000), (ip("10.0.6.2"), 6881))
    handshakes(c, hashlib.sha1(info).digest(), b"-LT2080-iiiiiiiiiiii", b"-LT2080-jjjjjjjjjjjj")
    c.send(1, md_piece(0, info))
    for m, _ in msgs:
        c.send(1, m)
    pc.write("btpeer-hashes-short.pcap")
    out = {"info_hash_v1": hashlib.sha1(info).hexdigest(), "pieces_root": root.hex(),
           # per Hashes message: True verified, False fails, None not verifiable;
           # with the .torrent (its piece layers) the first is verifiable too
           "verdicts": [v for _, v in msgs],
           "verdicts_with_torrent": [True] + [v for _, v in msgs[1:]]}
    with open(os.path.join(OUT, "btpeer-hashes-short.facts.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    main()
    v2()
    short_proofs()
