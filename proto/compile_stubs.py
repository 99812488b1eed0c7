"""Regenerate the committed gRPC stubs in ``client/kyso_client/v1`` from ``proto/kyso/v1/*.proto``.

Run ``python proto/compile_stubs.py`` after editing a .proto file; the test suite fails when
the committed stubs are stale (tests/integration/test_proto_stubs.py). ``--out DIR`` writes
elsewhere (``DIR/kyso_client/v1``), which is how that test compares.

The stubs live in the kyso-client distribution (client/, package ``kyso_client.v1``) so that a
caller installs them without the server's dependencies; ``kyso.v1`` in the server distribution
re-exports the same modules (one copy of generated code). protoc names a module after its
.proto path (``kyso/v1/signer.proto`` → ``kyso.v1.signer_pb2``): the generated imports are
rewritten to ``kyso_client.v1``, while the descriptors keep their file names
(``kyso/v1/signer.proto``) and package (``kyso.v1``), so the wire, reflection and the type URLs
are unchanged.

Beside the stubs, ``kyso_v1.binpb`` is a ``google.protobuf.FileDescriptorSet`` of the kyso
files *with* source info (the .proto comments): the generated ``*_pb2.py`` drop comments, and
the server's reflection serves this set instead (kyso.server.reflection).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PROTO_ROOT.parent
#: Where the committed stubs live: the kyso-client distribution's package.
PACKAGE = "kyso_client.v1"
STUBS = REPO_ROOT / "client" / "kyso_client" / "v1"
DESCRIPTOR_SET = "kyso_v1.binpb"

_GENERATED_IMPORT = re.compile(r"^(from|import) kyso\.v1(\.| )", re.MULTILINE)
_MODULE_NAME = re.compile(r"'kyso\.v1\.(\w+_pb2)'")


def _rewrite(text: str) -> str:
    """Point protoc's ``kyso.v1`` imports and module names at :data:`PACKAGE`."""
    text = _GENERATED_IMPORT.sub(lambda m: f"{m.group(1)} {PACKAGE}{m.group(2)}", text)
    return _MODULE_NAME.sub(lambda m: f"'{PACKAGE}.{m.group(1)}'", text)


def compile_stubs(out_dir: Path) -> list[Path]:
    """Write the stubs and the descriptor set to ``out_dir/kyso_client/v1``; their paths."""
    import grpc_tools
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc  # build-time dependency only

    protos = sorted((PROTO_ROOT / "kyso" / "v1").glob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    raw = out_dir / "_protoc"
    raw.mkdir(parents=True, exist_ok=True)
    descriptor_set = raw / DESCRIPTOR_SET
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={raw}",
        f"--pyi_out={raw}",
        f"--grpc_python_out={raw}",
        "--include_source_info",
        f"--descriptor_set_out={descriptor_set}",
        *[str(p) for p in protos],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    pkg = out_dir / "kyso_client" / "v1"
    pkg.mkdir(parents=True, exist_ok=True)
    written = []
    for generated in sorted((raw / "kyso" / "v1").glob("*_pb2*.py*")):
        target = pkg / generated.name
        target.write_text(_rewrite(generated.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(target)
    # Only kyso's own files, in dependency order, comments included.
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    ours = descriptor_pb2.FileDescriptorSet(
        file=[f for f in files.file if f.name.startswith("kyso/v1/")]
    )
    target = pkg / DESCRIPTOR_SET
    target.write_bytes(ours.SerializeToString(deterministic=True))
    written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="output root (default: client/)")
    ns = parser.parse_args()
    if ns.out is None:
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            files = compile_stubs(Path(tmp))
            for old in [*STUBS.glob("*_pb2*.py*"), STUBS / DESCRIPTOR_SET]:
                old.unlink(missing_ok=True)
            for f in files:
                shutil.copy2(f, STUBS / f.name)
            print(f"wrote {len(files)} files to {STUBS}", file=sys.stderr)
    else:
        compile_stubs(ns.out)


if __name__ == "__main__":
    main()
