#!/usr/bin/python3
"""Facts of a torrent capture (issue 10), for the tests of the torrent, swarm and timeline views.

Writes what scripts/utp_facts.py writes (every uTP and TCP connection, per direction the
reassembled stream's length / SHA-256 / handshake / message counts), read from the pcap
with the Python standard library only (no tshark, none of our dissectors), plus:

  torrent        the facts of scripts/capture/tortorrent.py: v1 and v2 info hashes, piece
                 length, files (path, size, offset, SHA-256, v2 pieces root, pad), every
                 piece's SHA-1, byte range and files, and `corrupted` (which piece of which
                 peer's copy had 4 bytes flipped after the .torrent was made), or null
  transport      "utp" or "tcp": the only transport the clients were allowed
  peer_wire      per connection (same order as utp.connections / tcp.connections) and per
                 direction, from the plaintext stream: piece_messages, piece_bytes (bytes of
                 block data in Piece messages), pieces_whole (piece indexes whose every byte
                 arrived in this direction, bytes of pad files counting as zeros) with pieces_good / pieces_bad (SHA-1 of those bytes
                 against the torrent's), have / bitfield_bits / have_all / have_none, request /
                 cancel / reject counts, choke / unchoke / interested / not_interested counts,
                 BEP 52 hash_request / hashes / hash_reject counts, the extension handshake's
                 `v` and the peer id's first 8 bytes.

usage: torfacts.py CAPTURE.pcap --torrent-facts T.json --transport utp|tcp --made-by "..."
                   --peer "client|ip|port|peer_id_prefix" ... -o OUT.json
       torfacts.py CAPTURE.pcap --refresh OLD.facts.json -o OUT.json
"""
import argparse
import hashlib
import json
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pcapread import bdecode  # noqa: E402
from utp_facts import parse_peers, track, write_facts  # noqa: E402

MSG = {0: "choke", 1: "unchoke", 2: "interested", 3: "not_interested", 4: "have", 5: "bitfield",
       6: "request", 7: "piece", 8: "cancel", 13: "suggest", 14: "have_all", 15: "have_none",
       16: "reject", 17: "allowed_fast", 20: "extended", 21: "hash_request", 22: "hashes",
       23: "hash_reject"}


def utp_stream(d) -> bytes:
    return b"".join(d.payload[s] for s in sorted(d.payload))


def tcp_stream(d) -> bytes:
    base = d.isn + 1 if d.isn is not None else (min(d.segments) if d.segments else 0)
    buf, pos = bytearray(), 0
    for seq in sorted(d.segments, key=lambda s: (s - base) & 0xFFFFFFFF):
        rel = (seq - base) & 0xFFFFFFFF
        data = d.segments[seq]
        if rel > pos:
            buf += b"\0" * (rel - pos)
            pos = rel
        if rel + len(data) > pos:
            buf += data[pos - rel:]
            pos = rel + len(data)
    return bytes(buf)


def peer_wire(stream: bytes, torrent) -> dict:
    """What one direction's plaintext stream carried (None when it has no handshake)."""
    if len(stream) < 68 or not stream.startswith(b"\x13BitTorrent protocol"):
        return None
    counts = {name: 0 for name in MSG.values()}
    out = {"peer_id_prefix": stream[48:56].decode("latin-1"), "ext_v": None,
           "piece_bytes": 0, "bitfield_bits": None}
    plen = torrent["piece_length"] if torrent else 0
    blocks = {}                      # piece index -> {begin: data}
    off = 68
    while off + 4 <= len(stream):
        n = struct.unpack(">I", stream[off:off + 4])[0]
        if n == 0 or off + 4 + n > len(stream):
            off += 4 + n
            continue
        mid, body = stream[off + 4], stream[off + 5:off + 4 + n]
        name = MSG.get(mid)
        if name:
            counts[name] += 1
        if mid == 7 and len(body) >= 8:
            idx, begin = struct.unpack(">II", body[:8])
            out["piece_bytes"] += len(body) - 8
            blocks.setdefault(idx, {}).setdefault(begin, body[8:])
        elif mid == 5:
            out["bitfield_bits"] = sum(bin(b).count("1") for b in body)
        elif mid == 20 and body[:1] == b"\x00":
            try:
                v = bdecode(body[1:])[0].get(b"v")
                out["ext_v"] = v.decode("utf-8", "replace") if isinstance(v, bytes) else None
            except (ValueError, IndexError, AttributeError):
                pass
        off += 4 + n
    whole, good, bad = [], [], []
    if torrent:
        pads = [(f["offset"], f["offset"] + f["size"]) for f in torrent["files"] if f["pad"]]
        for idx, got in sorted(blocks.items()):
            if idx >= len(torrent["pieces"]):
                continue
            p = torrent["pieces"][idx]
            data, have = bytearray(p["length"]), bytearray(p["length"])
            # Bytes of pad files are zeros by definition (BEP 47): clients do not request them.
            for lo, hi in pads:
                for k in range(max(lo, p["offset"]), min(hi, p["offset"] + p["length"])):
                    have[k - p["offset"]] = 1
            for begin, blk in got.items():
                blk = blk[:max(0, p["length"] - begin)]
                data[begin:begin + len(blk)] = blk
                have[begin:begin + len(blk)] = b"\x01" * len(blk)
            if all(have):
                whole.append(idx)
                ok = hashlib.sha1(bytes(data)).hexdigest() == p["sha1"]
                (good if ok else bad).append(idx)
    out.update({"piece_messages": counts["piece"], "pieces_whole": whole, "pieces_good": good,
                "pieces_bad": bad, "messages": counts})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture", type=Path)
    ap.add_argument("--torrent-facts", type=Path)
    ap.add_argument("--transport", choices=["utp", "tcp"])
    ap.add_argument("--made-by")
    ap.add_argument("--peer", action="append", default=[], help="client|ip|port|peer_id_prefix")
    ap.add_argument("--refresh", type=Path)
    ap.add_argument("-o", "--output", type=Path)
    a = ap.parse_args()
    if a.refresh:
        old = json.loads(a.refresh.read_text())
        torrent, peers, made_by, transport = old["torrent"], old["peers"], old["made_by"], old["transport"]
    else:
        torrent = json.loads(a.torrent_facts.read_text())
        made_by, transport, peers = a.made_by, a.transport, parse_peers(a.peer)
    counts, utp, tcp = track(a.capture, peers)
    utp_f = utp.facts()
    utp_f["udp_not_utp"] = utp.not_utp
    pw = {"utp": [{"initiator_to_acceptor": peer_wire(utp_stream(c.i2a), torrent),
                   "acceptor_to_initiator": peer_wire(utp_stream(c.a2i), torrent)} for c in utp.conns],
          "tcp": [{"client_to_server": peer_wire(tcp_stream(c.c2s), torrent),
                   "server_to_client": peer_wire(tcp_stream(c.s2c), torrent)} for c in tcp.conns]}
    facts = {"capture": a.capture.stem, "made_by": made_by, "transport": transport,
             "torrent": torrent, "peers": peers, "counts": counts, "utp": utp_f,
             "tcp": tcp.facts(), "peer_wire": pw}
    write_facts(facts, a.output)


if __name__ == "__main__":
    main()
