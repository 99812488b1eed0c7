"""Regenerate the committed gRPC stubs in ``kyso/v1`` from ``proto/kyso/v1/*.proto``.

Run ``python proto/compile_stubs.py`` after editing a .proto file; the test
suite fails when the committed stubs are stale (tests/test_proto_stubs.py).
``--out DIR`` writes elsewhere, which is how that test compares.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PROTO_ROOT.parent


def compile_stubs(out_dir: Path) -> list[Path]:
    import grpc_tools
    from grpc_tools import protoc  # build-time dependency only

    protos = sorted((PROTO_ROOT / "kyso" / "v1").glob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p) for p in protos],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    pkg = out_dir / "kyso" / "v1"
    for init in (out_dir / "kyso" / "__init__.py", pkg / "__init__.py"):
        if not init.exists():
            init.write_text("")
    return sorted(pkg.glob("*_pb2*.py*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="output root (default: repo root)")
    ns = parser.parse_args()
    if ns.out is None:
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            files = compile_stubs(Path(tmp))
            dest = REPO_ROOT / "kyso" / "v1"
            for old in dest.glob("*_pb2*.py*"):
                old.unlink()
            for f in files:
                shutil.copy2(f, dest / f.name)
            print(f"wrote {len(files)} files to {dest}", file=sys.stderr)
    else:
        compile_stubs(ns.out)


if __name__ == "__main__":
    main()
