#!/usr/bin/python3
"""One libtorrent-rasterbar peer (python3-libtorrent) for scripts/make-captures.

Runs inside a network namespace made by make-captures, seeds or downloads one
torrent, talks only to the peers it is told about (DHT, LSD, UPnP, NAT-PMP off,
no trackers), and ends by itself:
  - a leech stops when it has the whole torrent, after --linger seconds
    (so the last HAVE / NOT_INTERESTED messages pass), or at --timeout;
  - a seed (or a leech after completion with --stay) stops on SIGTERM/SIGINT
    or at --timeout.
Stopping removes the torrent first so libtorrent closes its connections
properly (uTP FIN with a close reason, TCP FIN), then waits a moment.
scripts/capture/tornode.py imports the session setup and the main loop from here.

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
           "forced": (lt.enc_policy.forced, lt.enc_level.rc4),
           "prefer": (lt.enc_policy.enabled, lt.enc_level.both)}[args.enc]
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
        # Moot when forced (only RC4 is allowed then); tornode.py never set it.
        "prefer_rc4": args.enc == "forced",
        # Several of our peers may share a host in some scenarios.
        "allow_multiple_connections_per_ip": True,
        "alert_mask": int(lt.alert.category_t.error_notification
                          | lt.alert.category_t.peer_notification
                          | lt.alert.category_t.status_notification
                          | lt.alert.category_t.connect_notification),
    }


LOGGED = (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.peer_error_alert,
          lt.metadata_received_alert, lt.torrent_finished_alert, lt.listen_failed_alert,
          lt.listen_succeeded_alert, lt.torrent_error_alert, lt.peer_ban_alert)


def add_common_args(p, enc_choices, connect_delay, magnet_help):
    """The options btnode.py and tornode.py share (tornode.py adds its own after these)."""
    p.add_argument("--name", default="lt")
    p.add_argument("--listen", action="append", required=True, help="ip:port or [ip6]:port")
    p.add_argument("--save", required=True, help="save path (holds the data when seeding)")
    p.add_argument("--torrent", help=".torrent file")
    p.add_argument("--magnet", help=magnet_help)
    p.add_argument("--transport", choices=["utp", "tcp", "both"], default="utp")
    p.add_argument("--enc", choices=enc_choices, default="plain")
    p.add_argument("--connect", action="append", default=[], help="peer ip:port to connect to")
    p.add_argument("--connect-delay", type=float, default=connect_delay)


def add_tail_args(p):
    p.add_argument("--linger", type=float, default=2.0)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--upload-limit", type=int, default=0, help="bytes/s, 0 = none")


def open_session(args, pex: bool):
    """A session with our settings; without ut_pex only ut_metadata and smart_ban are loaded."""
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if pex:
        return lt.session(settings(args))
    ses = lt.session(settings(args), 0)
    ses.add_extension("ut_metadata")
    ses.add_extension("smart_ban")
    return ses


def add_torrent(ses, args, magnet_uri: str, extra_flags: int = 0):
    """Adds --torrent (or the magnet link magnet_uri), started and not auto-managed."""
    if magnet_uri:
        atp = lt.parse_magnet_uri(magnet_uri)
    else:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = args.save
    if args.seed:
        atp.flags |= lt.torrent_flags.seed_mode
    atp.flags |= extra_flags
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    h = ses.add_torrent(atp)
    if args.upload_limit:
        h.set_upload_limit(args.upload_limit)
    return h


def run(args, ses, h, logged=LOGGED, on_alert=None, on_status=None, stay=False) -> int:
    """The main loop until done (see the module comment), then a clean stop.

    on_alert(alert, now) sees every alert; on_status(now, status) runs once per turn
    before the progress report. Returns the exit status."""
    start = time.monotonic()
    connected = not args.connect
    done_at = None
    last_report = 0.0
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
            if isinstance(a, logged):
                log(args, a.message())
            if on_alert:
                on_alert(a, now)
        st = h.status()
        if on_status:
            on_status(now, st)
        if now - last_report >= 5:
            last_report = now
            log(args, f"state={st.state} progress={st.progress:.3f} peers={st.num_peers} "
                      f"down={st.total_payload_download} up={st.total_payload_upload}")
        if not args.seed and st.is_seeding and done_at is None:
            done_at = now
            log(args, f"complete after {now:.1f}s")
        if done_at is not None and not stay and now - done_at >= args.linger:
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


def main() -> int:
    p = argparse.ArgumentParser()
    add_common_args(p, ["plain", "forced", "prefer"], 0.0,
                    "v1 info-hash (hex): start from a magnet link only")
    p.add_argument("--seed", action="store_true", help="the data is already there")
    p.add_argument("--stay", action="store_true", help="keep running after completion until signalled")
    add_tail_args(p)
    p.add_argument("--no-pex", action="store_true", help="do not load the ut_pex extension")
    args = p.parse_args()

    ses = open_session(args, pex=not args.no_pex)
    h = add_torrent(ses, args, f"magnet:?xt=urn:btih:{args.magnet}" if args.magnet else "")
    return run(args, ses, h, stay=args.stay)


if __name__ == "__main__":
    sys.exit(main())
