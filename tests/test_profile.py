"""The "BitTorrent" configuration profile (profiles/BitTorrent, installed by
scripts/install-profile): tshark opened with -C BitTorrent applies its
colouring rules (--color: frame.coloring_rule.name) and custom columns.
What each frame should get comes from the raw-bytes reader
(tests/utp_raw_packets.py) and the capture scripts' facts."""
import re
import xml.etree.ElementTree as ET
import subprocess

import pytest

from bttest import ROOT, facts, have_plugin
from utp_raw_packets import utp_packets

PROFILE = ROOT / "profiles" / "BitTorrent"


@pytest.fixture(scope="module")
def profile_env(tshark):
    """env of a tshark whose personal configuration holds the installed profile."""
    cfg = tshark.scratch("xdg-config")
    subprocess.run([str(ROOT / "scripts" / "install-profile"), str(cfg / "wireshark")], check=True,
                   capture_output=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tshark.home)})
    for p in [cfg, *cfg.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    # Wireshark 4.0-4.6 read the personal configuration from
    # $XDG_CONFIG_HOME/wireshark when ~/.wireshark does not exist
    return {"XDG_CONFIG_HOME": str(cfg)}


def coloured(tshark, env, cap, columns=(), profile=True):
    """{frame: [colouring rule name, *the named packet-list columns]}.  The
    columns come from PSML (the summary lines with the profile's columns, titled
    in its <structure>): 4.2+ no longer has _ws.col.<title> for custom columns."""
    prof = ["-C", "BitTorrent"] if profile else []
    out = tshark.run(prof + ["-n", "-r", cap, "--color", "-T", "fields", "-E", "separator=\t",
                             "-e", "frame.number", "-e", "frame.coloring_rule.name"], env=env).stdout
    rows = {int(r[0]): r[1:2] for r in (l.split("\t") for l in out.splitlines())}
    if columns:
        root = ET.fromstring(tshark.run(prof + ["-n", "-r", cap, "-T", "psml"], env=env).stdout)
        titles = [(s.text or "") for s in root.find("structure")]
        for pkt in root.iter("packet"):
            vals = dict(zip(titles, [(s.text or "") for s in pkt]))
            rows[int(vals["No."])] += [vals[c] for c in columns]
    return rows


def test_profile_files_name_existing_fields(tshark):
    """Every protocol field the profile's filters, columns and graphs name is
    registered (a renamed field would silently break the profile)."""
    known = {c[2] for c in (l.split("\t") for l in tshark.run(["-G", "fields"]).stdout.splitlines()) if len(c) > 2}
    prefs = set(re.findall(r"^#?([a-z0-9_.]+):", tshark.run(["-G", "defaultprefs"]).stdout, re.M))
    text = "\n".join(p.read_text() for p in PROFILE.iterdir())
    set_prefs = set(re.findall(r"^([a-z0-9_.]+):", text, re.M))
    assert set_prefs and set_prefs <= prefs, sorted(set_prefs - prefs)
    text = re.sub(r"^[a-z0-9_.]+:", "", text, flags=re.M)
    names = set(re.findall(r"\b((?:utp|btpeer|btlsd|bttracker)(?:\.[a-z0-9_]+)*)\b", text))
    assert names and names <= known, sorted(names - known)


def test_colouring_rules_on_utp(tshark, profile_env):
    name = "swarm-pex"
    cap = tshark.capture(f"{name}.pcap")
    conns, packets = utp_packets(cap, facts(name)["peers"])
    rule = {n: v[0] for n, v in coloured(tshark, profile_env, cap).items()}
    sent, retrans = set(), set()
    for p in packets:                        # a number its sender had already sent
        if p["type"] in ("DATA", "FIN", "SYN") and not p["v0"]:
            key = (p["conn"], p["dir"], p["seq"])
            (retrans.add(p["frame"]) if key in sent else sent.add(key))
    resets = [p["frame"] for p in packets if p["type"] == "RESET"]
    synfin = [p["frame"] for p in packets if p["type"] in ("SYN", "FIN")]
    assert resets and synfin and retrans
    assert all(rule[f] == "uTP RESET" for f in resets)
    assert all(rule[f] == "Bad uTP" for f in retrans)
    assert all(rule[f] in ("uTP SYN/FIN", "Bad uTP") for f in synfin)
    assert sum(rule[f] == "uTP SYN/FIN" for f in synfin) >= len(synfin) // 2
    # other traffic keeps Wireshark's default rules, appended after ours
    assert {"ARP"} <= set(rule.values())
    # without the profile, no rule of ours applies
    stock = {v[0] for v in coloured(tshark, profile_env, cap, profile=False).values()}
    assert not stock & {"uTP RESET", "Bad uTP", "uTP SYN/FIN", "uTP"}


@pytest.mark.skipif(not have_plugin("bt_handshake"), reason="bt_handshake.so not built")
def test_colouring_rules_on_peer_wire_and_columns(tshark, profile_env):
    cap = tshark.capture("tcp-encrypted.pcap")
    assert "BitTorrent encrypted (MSE/PE)" in {v[0] for v in coloured(tshark, profile_env, cap).values()}

    name = "utp-libtorrent"
    cap = tshark.capture(f"{name}.pcap")
    f = facts(name)
    conns, packets = utp_packets(cap, f["peers"])
    rows = coloured(tshark, profile_env, cap, ["uTP stream", "Seq", "Ack", "Client", "Piece"])
    # uTP stream column on every uTP packet; Seq relative: the SYN is 0
    (syn,) = [p for p in packets if p["type"] == "SYN"]
    assert rows[syn["frame"]][1:3] == ["0", "0"]
    assert all(rows[p["frame"]][1] == "0" for p in packets)
    # Client column: the peer ids the capture script's facts know
    clients = {v[4] for v in rows.values() if v[4]}
    assert "libtorrent-rasterbar" in clients
    # Piece column (btpeer.piece.index): one index per message naming a piece
    # (Piece, Have, Suggest Piece, Allowed Fast), both directions, as the
    # facts count them; the piece rule colours the frames carrying Piece
    # messages (at most one frame per Piece message)
    c = f["utp"]["connections"][0]
    by_id = [c[d]["messages"]["by_id"] for d in ("initiator_to_acceptor", "acceptor_to_initiator")]
    d = sum(int(m.get("7", 0)) for m in by_id)
    indexed = sum(int(m.get(k, 0)) for m in by_id for k in ("4", "7", "13", "17"))
    with_index = [v for v in rows.values() if v[5]]
    assert sum(len(v[5].split(",")) for v in with_index) == indexed
    coloured_piece = [v for v in rows.values() if v[0] == "BitTorrent piece"]
    assert 0 < len(coloured_piece) <= d
    assert all(v[5] for v in coloured_piece)
