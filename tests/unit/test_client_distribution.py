"""kyso-client installs and imports without the server's heavy dependencies.

Its metadata (installed, and client/pyproject.toml) requires none of pyHanko, certomancer or
redis, directly or through what it requires; and in a fresh interpreter where those packages
(and the server's own ``kyso``, ``signer``, ``verifier``, ``trust_store``) cannot be imported,
``kyso_client`` imports and builds a client and its requests.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("pyhanko", "pyhanko-certvalidator", "certomancer", "redis")
HIDDEN = (*(n.replace("-", "_") for n in SERVER_ONLY), "kyso", "signer", "verifier", "trust_store")


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(distribution: str) -> set[str]:
    """``distribution`` and everything its installed metadata requires (no extras)."""
    seen: set[str] = set()
    pending = [distribution]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for req in metadata.requires(name) or ():
            if "extra ==" not in req:
                pending.append(_name(req))
    return seen


def test_declared_dependencies_are_the_client_s_only() -> None:
    project = tomllib.loads((REPO / "client" / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {_name(r) for r in project["project"]["dependencies"]}
    assert declared == {
        "grpcio",
        "grpcio-status",
        "googleapis-common-protos",
        "protobuf",
        "tenacity",
    }
    closure = _closure("kyso-client")
    assert not closure & set(SERVER_ONLY), closure
    # the server requires the client, not the reverse
    assert "kyso-client" in {_name(r) for r in metadata.requires("kyso") or ()}


_ISOLATED = f"""
import importlib.abc, sys
HIDDEN = {HIDDEN!r}
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"hidden: {{name}}", name=name)
        return None
sys.meta_path.insert(0, Hide())
import kyso_client
from kyso_client import KysoClient, KysoRpcError, TlsOptions
from kyso_client.v1 import signer_pb2, verifier_pb2
client = KysoClient("127.0.0.1:1", token="t")
request = signer_pb2.SignRequest(key="k", options=signer_pb2.SignOptions(profile=1))
assert verifier_pb2.ValidationReport.DESCRIPTOR.full_name == "kyso.v1.ValidationReport"
client.close()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in HIDDEN)
assert not loaded, loaded
print("ok")
"""


def test_imports_in_an_interpreter_without_the_server_packages(tmp_path: Path) -> None:
    # -I: no user site, no PYTHONPATH, no current directory (the repo's kyso/ is not reachable
    # that way); the meta-path finder hides the server's packages installed in the venv.
    done = subprocess.run(
        [sys.executable, "-I", "-c", _ISOLATED],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
