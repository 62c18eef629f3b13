"""pytest fixtures of the tshark regression suite; the helpers themselves
live in tests/bttest.py.  The folders of the independent oracles and vector
makers (scripts/, scripts/capture/, tests/vectors/...) are put on sys.path
here, once, for every test file."""
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
for _d in (_HERE.parent / "scripts", _HERE.parent / "scripts" / "capture", _HERE / "vectors",
           _HERE / "vectors" / "discovery"):
    if str(_d) not in sys.path:
        sys.path.append(str(_d))

from bttest import Tshark, stock_env as _stock_env  # noqa: E402


@pytest.fixture(scope="session")
def tshark():
    workdir = Path(tempfile.mkdtemp(prefix="bt-tests-"))
    workdir.chmod(0o777)
    try:
        yield Tshark(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def stock_env(tshark):
    """env for a tshark run of stock Wireshark (no plugin at all)."""
    return _stock_env(tshark)


@pytest.fixture(scope="session")
def utp_vectors_pcap(tshark):
    """The hand-built uTP vectors (tests/utp_vectors.py), written once."""
    import utp_vectors
    path = tshark.scratch("utp-vectors.pcap")
    utp_vectors.write(path)
    path.chmod(0o644)
    return str(path)
