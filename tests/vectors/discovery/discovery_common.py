"""Helpers shared by tests/test_btlsd.py and tests/test_bttracker.py."""
import shutil
from pathlib import Path

VEC_DIR = Path(__file__).resolve().parent
FUZZ_ENV = {"WIRESHARK_DEBUG_WMEM_OVERRIDE": "strict"}


def have_btpeer(build):
    """The end-to-end link tests need the btpeer plugin (bt_handshake.so)."""
    return (Path(build) / "plugin-dir" / "4.0" / "epan" / "bt_handshake.so").exists()


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
