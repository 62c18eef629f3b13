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

Exit status: 0 when the torrent is complete at the end, 2 when not.
"""
import argparse
import signal
import sys
import time

import libtorrent as lt

stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def log(args, msg):
    print(f"[{time.monotonic():9.2f} {args.name}] {msg}", file=sys.stderr, flush=True)


def endpoint(s: str):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def settings(args) -> dict:
    utp = args.transport in ("utp", "both")
    tcp = args.transport in ("tcp", "both")
    enc = {"plain": (lt.enc_policy.disabled, lt.enc_level.plaintext),
           "forced": (lt.enc_policy.forced, lt.enc_level.rc4)}[args.enc]
    return {
        "listen_interfaces": ",".join(args.listen),
        "outgoing_interfaces": "",
        # Nothing outside the namespaces: no discovery, no port mapping, no public routers.
        "enable_dht": False,
        "dht_bootstrap_nodes": "",
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_ip_notifier": False,
        "enable_outgoing_utp": utp,
        "enable_incoming_utp": utp,
        "enable_outgoing_tcp": tcp,
        "enable_incoming_tcp": tcp,
        "out_enc_policy": int(enc[0]),
        "in_enc_policy": int(enc[0]),
        "allowed_enc_level": int(enc[1]),
        "allow_multiple_connections_per_ip": True,
        "alert_mask": int(lt.alert.category_t.error_notification
                          | lt.alert.category_t.peer_notification
                          | lt.alert.category_t.status_notification
                          | lt.alert.category_t.connect_notification),
    }


LOGGED = (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert,
          lt.metadata_received_alert, lt.torrent_finished_alert, lt.listen_failed_alert,
          lt.listen_succeeded_alert, lt.torrent_error_alert, lt.peer_ban_alert,
          lt.hash_failed_alert)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--name", default="lt")
    p.add_argument("--listen", action="append", required=True, help="ip:port or [ip6]:port")
    p.add_argument("--save", required=True, help="save path (holds the data when seeding)")
    p.add_argument("--torrent", help=".torrent file")
    p.add_argument("--magnet", help="magnet URI: start from the info hash(es) only")
    p.add_argument("--transport", choices=["utp", "tcp", "both"], default="utp")
    p.add_argument("--enc", choices=["plain", "forced"], default="plain")
    p.add_argument("--connect", action="append", default=[], help="peer ip:port to connect to")
    p.add_argument("--connect-delay", type=float, default=1.0)
    p.add_argument("--connect-on-fail", action="append", default=[])
    p.add_argument("--fail-wait", type=float, default=20.0)
    p.add_argument("--seed", action="store_true", help="the data is already there")
    p.add_argument("--sequential", action="store_true")
    p.add_argument("--linger", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--upload-limit", type=int, default=0, help="bytes/s, 0 = none")
    args = p.parse_args()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # Only ut_metadata (magnet links) and smart_ban: no ut_pex, so nobody learns other peers.
    ses = lt.session(settings(args), 0)
    ses.add_extension("ut_metadata")
    ses.add_extension("smart_ban")

    if args.magnet:
        atp = lt.parse_magnet_uri(args.magnet)
    else:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = args.save
    if args.seed:
        atp.flags |= lt.torrent_flags.seed_mode
    if args.sequential:
        atp.flags |= lt.torrent_flags.sequential_download
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    h = ses.add_torrent(atp)
    if args.upload_limit:
        h.set_upload_limit(args.upload_limit)

    start = time.monotonic()
    connected = not args.connect
    later_done = not args.connect_on_fail
    failed_at = None
    done_at = None
    last_report = 0.0
    last_progress, progress_at = -1.0, 0.0
    while not stop:
        now = time.monotonic() - start
        if now > args.timeout:
            log(args, "timeout")
            break
        if not connected and now >= args.connect_delay:
            for peer in args.connect:
                log(args, f"connect_peer {peer}")
                h.connect_peer(endpoint(peer))
            connected = True
        for a in ses.pop_alerts():
            if isinstance(a, LOGGED):
                log(args, a.message())
            if isinstance(a, lt.hash_failed_alert) and failed_at is None:
                failed_at = now
        st = h.status()
        if st.progress != last_progress:
            last_progress, progress_at = st.progress, now
        stalled = now - progress_at >= args.fail_wait
        if not later_done and ((failed_at is not None and now - failed_at >= 2) or stalled):
            for peer in args.connect_on_fail:
                log(args, f"connect_peer {peer} (after a failed piece or a stall)")
                h.connect_peer(endpoint(peer))
            later_done = True
        if now - last_report >= 5:
            last_report = now
            log(args, f"state={st.state} progress={st.progress:.3f} peers={st.num_peers} "
                      f"down={st.total_payload_download} up={st.total_payload_upload}")
        if not args.seed and st.is_seeding and done_at is None:
            done_at = now
            log(args, f"complete after {now:.1f}s")
        if done_at is not None and now - done_at >= args.linger:
            break
        time.sleep(0.1)

    complete = h.status().is_seeding
    log(args, f"stopping, complete={complete}")
    ses.remove_torrent(h)
    time.sleep(1.5)
    ses.pause()
    time.sleep(0.5)
    del ses
    return 0 if complete else 2


if __name__ == "__main__":
    sys.exit(main())
