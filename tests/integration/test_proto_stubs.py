"""The committed stubs in client/kyso_client/v1 are what proto/compile_stubs.py makes from the
.proto files, and ``kyso.v1`` is the same modules under the server's old name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STUBS = REPO / "client" / "kyso_client" / "v1"


def _generated(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in [*root.glob("*_pb2*.py*"), *root.glob("*.binpb")]}


def test_stubs_are_current(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "proto" / "compile_stubs.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = _generated(tmp_path / "kyso_client" / "v1")
    committed = _generated(STUBS)
    assert fresh, "no stubs generated: are there .proto files in proto/kyso/v1?"
    hint = "run python proto/compile_stubs.py and commit client/kyso_client/v1"
    assert sorted(committed) == sorted(fresh), f"stub files differ: {hint}"
    stale = sorted(name for name, data in fresh.items() if committed[name] != data)
    assert not stale, f"stale stubs {stale}: {hint}"


def test_one_copy_of_the_generated_code() -> None:
    import kyso.v1.signer_pb2
    import kyso_client.v1.signer_pb2

    import kyso.v1
    from kyso.v1 import verifier_pb2

    assert kyso.v1.signer_pb2 is kyso_client.v1.signer_pb2
    assert verifier_pb2.ValidationReport.DESCRIPTOR.file.name == "kyso/v1/verifier.proto"
    assert verifier_pb2.ValidationReport.DESCRIPTOR.full_name == "kyso.v1.ValidationReport"
    assert not list((REPO / "kyso" / "v1").glob("*_pb2*")), "generated code in kyso/v1 again"
    assert {f"{m}.py" for m in kyso.v1.MODULES} == {p.name for p in STUBS.glob("*_pb2*.py")}
