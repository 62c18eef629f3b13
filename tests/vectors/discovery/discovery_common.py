"""Helpers shared by tests/test_btlsd.py and tests/test_bttracker.py."""
import shutil
import subprocess
from pathlib import Path

from conftest import plugin_path

VEC_DIR = Path(__file__).resolve().parent
FUZZ_ENV = {"WIRESHARK_DEBUG_WMEM_OVERRIDE": "strict"}


def have_btpeer(build):
    """The end-to-end link tests need the btpeer plugin (bt_handshake.so)."""
    return plugin_path("bt_handshake", build).exists()


def vector(tshark, name):
    """Path, readable by tshark's user, of a hand-built vector of this folder."""
    dst = tshark.scratch("disc-" + name)
    if not dst.exists():
        shutil.copy(VEC_DIR / name, dst)
        dst.chmod(0o644)
    return str(dst)


def by_frame(rows):
    """tshark -T fields rows whose first column is frame.number, keyed by it."""
    return {int(r[0]): r[1:] for r in rows}


def split(v):
    """The values of a repeated field (tshark's default ',' aggregator)."""
    return [x for x in v.split(",") if x]


def write_with(cmd, out):
    """Runs a file-making tool (editcap, randpkt) directly, not through the
    tshark fixture: that one preloads the sanitizer runtime in the ASAN run,
    under which editcap hangs; the files are then made readable for tshark."""
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True, timeout=120)
    Path(out).chmod(0o644)
    return str(out)
