#!/usr/bin/python3
"""One libtorrent-rasterbar peer (python3-libtorrent) for scripts/make-torrent-captures.

Runs inside a network namespace made by that script, seeds or downloads one torrent
and talks only to the peers it is told about: DHT, LSD, UPnP, NAT-PMP and PEX off, no
trackers. Ends by itself:
  - a leech stops --linger seconds after it has the whole torrent, or at --timeout;
  - a seed stops on SIGTERM/SIGINT or at --timeout.
--connect-on-fail PEER: connect to PEER only once a piece failed its hash check (the
corrupted-seed capture: the good seed joins after the bad piece was seen), or after
--fail-wait seconds without progress.
Stopping removes the torrent first so libtorrent closes its connections properly.
The settings, session setup and main loop are btnode.py's (scripts/make-captures).

Exit status: 0 when the torrent is complete at the end, 2 when not.
"""
import argparse
import os
import sys

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import btnode  # noqa: E402  (beside this file)
from btnode import endpoint, log  # noqa: E402

LOGGED = btnode.LOGGED + (lt.hash_failed_alert,)


def main() -> int:
    p = argparse.ArgumentParser()
    btnode.add_common_args(p, ["plain", "forced"], 1.0,
                           "magnet URI: start from the info hash(es) only")
    p.add_argument("--connect-on-fail", action="append", default=[])
    p.add_argument("--fail-wait", type=float, default=20.0)
    p.add_argument("--seed", action="store_true", help="the data is already there")
    p.add_argument("--sequential", action="store_true")
    btnode.add_tail_args(p)
    args = p.parse_args()

    # Only ut_metadata (magnet links) and smart_ban: no ut_pex, so nobody learns other peers.
    ses = btnode.open_session(args, pex=False)
    h = btnode.add_torrent(ses, args, args.magnet or "",
                           lt.torrent_flags.sequential_download if args.sequential else 0)

    # --connect-on-fail: 2 s after the first failed hash check, or after --fail-wait
    # seconds without progress.
    state = {"later_done": not args.connect_on_fail, "failed_at": None,
             "last_progress": -1.0, "progress_at": 0.0}

    def on_alert(a, now):
        if isinstance(a, lt.hash_failed_alert) and state["failed_at"] is None:
            state["failed_at"] = now

    def on_status(now, st):
        if st.progress != state["last_progress"]:
            state["last_progress"], state["progress_at"] = st.progress, now
        stalled = now - state["progress_at"] >= args.fail_wait
        failed_at = state["failed_at"]
        if not state["later_done"] and ((failed_at is not None and now - failed_at >= 2) or stalled):
            for peer in args.connect_on_fail:
                log(args, f"connect_peer {peer} (after a failed piece or a stall)")
                h.connect_peer(endpoint(peer))
            state["later_done"] = True

    return btnode.run(args, ses, h, logged=LOGGED, on_alert=on_alert, on_status=on_status)


if __name__ == "__main__":
    sys.exit(main())
