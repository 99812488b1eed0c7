"""The committed stubs in kyso/v1 are what proto/compile_stubs.py makes from the .proto files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_stubs_are_current(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "proto" / "compile_stubs.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = {p.name: p.read_bytes() for p in (tmp_path / "kyso" / "v1").glob("*_pb2*.py*")}
    committed = {p.name: p.read_bytes() for p in (REPO / "kyso" / "v1").glob("*_pb2*.py*")}
    assert fresh, "no stubs generated: are there .proto files in proto/kyso/v1?"
    hint = "run python proto/compile_stubs.py and commit kyso/v1"
    assert sorted(committed) == sorted(fresh), f"stub files differ: {hint}"
    stale = sorted(name for name, data in fresh.items() if committed[name] != data)
    assert not stale, f"stale stubs {stale}: {hint}"
