"""Shared fixtures: real PKI responders, a real SoftHSM2 token, real Redis, a real gRPC server.

Contract (relied on by every test module):

* ``pki`` (session) -- :class:`tests.pki.TestPki`: ``base_url``, ``tsa_url``, ``cert(label)``,
  ``cert_path(label)``, ``key_path(label)``, ``pkcs12_path(label)`` (``pkcs12_passphrase``),
  ``root_path``, ``nss_db``, ``ocsp_url()``, ``crl_url()``.
* ``softhsm_token`` (session) -- ``module``, ``token_label``, ``pin_env`` (set in os.environ).
* ``redis_url`` (session) -- a database of its own on 127.0.0.1:6379, else a redis-server
  started on a free port.
* ``make_config(**overrides)`` -- :class:`kyso.server.settings.Settings` loaded from a TOML file.
  Every such config has the tests' admin client (:mod:`tests.access`: every role, every key,
  by bearer token); ``clients=[...]`` adds ``[[clients]]`` tables, ``admin_client=False``
  leaves the admin out.
* ``kyso_config`` (module; override it in a module to change the server's config),
  ``kyso_server`` (module, "127.0.0.1:PORT"), ``kyso_context``, ``grpc_channel`` (sends the
  admin token on every call without an ``authorization`` of its own). ``KYSO_TOKEN`` is set
  to the admin token for the ``kyso`` CLI the tests run; refusal tests build their own clients.
* ``assert_pdfsig_ok(pdf, expected_signatures=None)`` -- pdfsig (OCSP on, test root trusted)
  says every signature is Valid and its certificate Trusted; returns the report.
* ``register_secret(value, label)`` (also ``tests.log_scan.register_secret``) -- a value that
  must never reach a log: at the end of the session every log record and the output of every
  subprocess server is scanned for it, for the test PINs and for the test document marker, and
  a finding fails the session (:mod:`tests.log_scan`).
* ``shared_dir`` / ``corpus_dir`` / ``shared_trust_dir`` / ``shared_cases_dir`` (session) --
  ``../shared`` beside the repository, its ``corpus/``, ``trust/`` and ``cases/``; when
  missing, the test FAILS under CI
  (``CI=true``) and skips with the reason elsewhere (paths: :mod:`tests.shared_corpus`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import pem

REPO = Path(__file__).resolve().parent.parent
for _p in (str(REPO), str(REPO / "tests"), str(REPO / "tests" / "integration")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from kyso.demo.images import seal_png, signature_png  # noqa: E402
from kyso.pdf import hex_strings  # noqa: E402
from kyso.pki import der_lengths  # noqa: E402
from kyso.server.settings import ServerSettings, Settings, load_settings  # noqa: E402
from signer.settings import SignerSettings  # noqa: E402
from tests.access import (  # noqa: E402
    ADMIN_TOKEN,
    admin_channel,
    admin_client_table,
    write_admin_token,
)
from tests.log_scan import SCANNER, CollectingHandler  # noqa: E402
from tests.log_scan import register_secret as _register_secret  # noqa: E402
from tests.pki import (  # noqa: E402
    SoftHsmToken,
    TestPki,
    make_softhsm_token,
    pdfsig_problems,
    run_pdfsig,
)
from tests.shared_corpus import CASES, CORPUS, MANIFEST, SHARED, TRUST  # noqa: E402

# As the server does at start-up (kyso.server.app.build_server), for in-process verification.
hex_strings.install()
der_lengths.install()
# The kyso CLI the tests run (subprocesses inherit it) calls with the admin credential.
os.environ["KYSO_TOKEN"] = ADMIN_TOKEN

#: Keys of the default test config: name -> (certificate label, profiles, image kind).
DEFAULT_KEYS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "personal": ("personal", ("personal",), "signature"),
    "organisation": ("organisation", ("organisation", "attachment"), "seal"),
    "personal-revoked": ("personal-revoked", ("personal",), "signature"),
    "personal-expired": ("personal-expired", ("personal",), "signature"),
    "personal-wrong-ku": ("personal-wrong-ku", ("personal",), "signature"),
    "personal-ec": ("personal-ec", ("personal",), "signature"),
}


# ----------------------------------------------------------------------------- the log scan
def pytest_configure(config: pytest.Config) -> None:
    """Keep every log record of the session (INFO and above) for the log scan."""
    root = logging.getLogger()
    root.addHandler(CollectingHandler(SCANNER))
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _register_secret(ADMIN_TOKEN, "the tests' admin bearer token")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_WORKERS, "kyso-log-scan-workers")


class _WorkerFindings:
    """Under pytest-xdist each worker scans its own logs; the controller, which decides the
    exit status, gathers their findings (``workeroutput``) when each worker ends."""

    def __init__(self) -> None:
        self.findings: list[str] = []

    @pytest.hookimpl
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.findings.extend(getattr(node, "workeroutput", {}).get("log_scan_findings", []))


_WORKERS = _WorkerFindings()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when a PIN, a registered secret or document bytes reached a log."""
    findings = SCANNER.findings() + _WORKERS.findings
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports and fails
        workeroutput["log_scan_findings"] = findings
        return
    if not findings:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["LOG SCAN FAILED: secrets or document bytes reached a log (tests/log_scan.py):"]
    lines += [f"  {finding}" for finding in findings]
    if reporter is not None:
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line, red=True, bold=True)
    else:
        print("\n".join(lines), file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def register_secret() -> Callable[..., None]:
    """``register_secret(value, label="...")``: the log scan fails the session if ``value``
    appears in any log record or subprocess server output."""
    return _register_secret


# ----------------------------------------------------------------------------- PKI and token
@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPki]:
    test_pki = TestPki(tmp_path_factory.mktemp("pki")).start()
    for label in DEFAULT_KEYS.values():  # people's names: not in INFO logs (the log scan)
        if "personal" in label[1]:
            name = test_pki.cert(label[0]).subject.native.get("common_name", "")
            SCANNER.register_personal_name(name, f"the personal name of certificate {label[0]}")
    try:
        yield test_pki
    finally:
        test_pki.close()


@pytest.fixture(scope="session")
def softhsm_token(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> SoftHsmToken:
    token = make_softhsm_token(tmp_path_factory.mktemp("softhsm"), pki)
    _register_secret(os.environ[token.pin_env], f"the token PIN ${token.pin_env}")
    return token


# ----------------------------------------------------------------------------- Redis
def _redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis database no other concurrent test session uses, emptied before and after.

    Several sessions may share the server on 6379, so each claims a database number with
    SET NX in database 0 before flushing it.
    """
    import redis

    if _redis_answers("127.0.0.1", 6379):
        admin = redis.Redis(host="127.0.0.1", port=6379, db=0)
        numbers = list(range(1, 16))
        random.shuffle(numbers)
        for db in numbers:
            claim = f"kyso-test:claimed-db:{db}"
            if admin.set(claim, os.getpid(), nx=True, ex=3600):
                break
        else:
            pytest.fail("no free Redis database on 127.0.0.1:6379 (all 15 claimed)")
        client = redis.Redis(host="127.0.0.1", port=6379, db=db)
        client.flushdb()
        try:
            yield f"redis://127.0.0.1:6379/{db}"
        finally:
            client.flushdb()
            client.close()
            admin.delete(claim)
            admin.close()
        return

    from kyso.demo.pki import free_port

    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _redis_answers("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("could not start redis-server")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# ----------------------------------------------------------------------------- config
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)  # JSON escapes are valid TOML
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml(doc: Mapping[str, Any]) -> str:
    """Enough TOML for kyso's config: scalars, lists, tables and arrays of tables."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, Sequence[Mapping[str, Any]]]] = []
    for key, value in doc.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables:
        lines.append(f"\n[{key}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items() if v is not None)
    for key, items in arrays:
        for item in items:
            lines.append(f"\n[[{key}]]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.items() if v is not None)
    return "\n".join(lines) + "\n"


# make_config(**overrides): top-level settings and [signer] settings, by the models' field names.
_TOP_LEVEL = set(ServerSettings.model_fields) - {
    "home",
    "keys",
    "signer",
    "verifier",
    "trust_store",
    "fetch",
}
_SIGNER = set(SignerSettings.model_fields)


class ConfigFactory:
    """Builds test configs; one per test session, used by ``make_config`` and ``kyso_config``."""

    def __init__(self, pki: TestPki, token: SoftHsmToken, assets: Path) -> None:
        self.pki = pki
        self.token = token
        self.signature_image = signature_png(assets / "signature.png")
        self.seal_image = seal_png(assets / "seal.png")

    def key_table(
        self,
        label: str,
        name: str | None = None,
        profiles: Sequence[str] = ("personal",),
        backend: str = "pkcs11",
        image: Path | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The ``[[keys]]`` table for certificate ``label`` (on the token, or a PKCS#12 file)."""
        table: dict[str, Any] = {
            "name": name or label,
            "backend": backend,
            "profiles": list(profiles),
        }
        if backend == "pkcs11":
            table.update(
                module=self.token.module,
                token_label=self.token.token_label,
                key_label=label,
                pin_env=self.token.pin_env,
            )
        elif backend == "pkcs12":
            os.environ.setdefault("TEST_KYSO_P12_PASSPHRASE", self.pki.pkcs12_passphrase.decode())
            table.update(key_file=self.pki.pkcs12_path(label), pin_env="TEST_KYSO_P12_PASSPHRASE")
        elif backend == "pem":
            table.update(key_file=self.pki.key_path(label))
        else:
            raise ValueError(f"unknown backend {backend!r}")
        table["certificate"] = self.pki.cert_path(label)
        table["chain"] = [str(p) for p in self.pki.chain_paths(label)]
        if image is None:
            image = self.seal_image if "organisation" in profiles else self.signature_image
        table["image"] = image
        # Tests of other things sign without the owner's code; tests of consent say otherwise.
        table["consent"] = "none"
        table.update(extra)
        return table

    def fetch_defaults(self) -> dict[str, Any]:
        """``[fetch]`` of every test config: the test responders and the cases' CRL server
        listen on 127.0.0.1 (refused unless configured); AIA only from the test PKI."""
        host_port = self.pki.base_url.removeprefix("http://")
        return {"allowed_networks": ["127.0.0.1/32"], "aia_hosts": [host_port]}

    def make(
        self,
        home: Path,
        *,
        keys: Sequence[str | Mapping[str, Any]] | None = None,
        trust: Sequence[Path] = (),
        trust_root: bool = True,
        signer: Mapping[str, Any] | None = None,
        verifier: Mapping[str, Any] | None = None,
        trust_store: Mapping[str, Any] | None = None,
        clients: Sequence[Mapping[str, Any]] = (),
        admin_client: bool = True,
        fetch: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Write ``home/kyso.toml`` and load it with :func:`kyso.server.settings.load_settings`.

        ``keys`` items are certificate labels (a PKCS#11 key of that name) or ``[[keys]]``
        tables (see :meth:`key_table`); ``trust`` adds PEM files to the trust directory;
        ``tsa_url=None`` turns time-stamping off. ``clients`` are ``[[clients]]`` tables, the
        admin client of :mod:`tests.access` added unless ``admin_client=False``; ``fetch`` is
        merged over :meth:`fetch_defaults`.
        """
        home.mkdir(parents=True, exist_ok=True)
        trust_dir = home / "trust"
        trust_dir.mkdir(exist_ok=True)
        pems = ([self.pki.root_path] if trust_root else []) + [Path(p) for p in trust]
        for pem_path in pems:
            data = Path(pem_path).read_bytes()
            fingerprint = hashlib.sha256(pem.unarmor(data)[2]).hexdigest()
            (trust_dir / f"{fingerprint}.pem").write_bytes(data)
        if keys is None:
            key_tables = [
                self.key_table(label, name, profiles)
                for name, (label, profiles, _) in DEFAULT_KEYS.items()
            ]
        else:
            key_tables = [self.key_table(k) if isinstance(k, str) else dict(k) for k in keys]
        signer_section: dict[str, Any] = {"tsa_url": self.pki.tsa_url, **(signer or {})}
        doc: dict[str, Any] = {"home": home}
        for name, value in overrides.items():
            if name in _TOP_LEVEL:
                doc[name] = value
            elif name in _SIGNER:
                signer_section[name] = value
            else:
                raise TypeError(f"make_config: unknown override {name!r}")
        doc["signer"] = {k: v for k, v in signer_section.items() if v is not None}
        if verifier:
            doc["verifier"] = dict(verifier)
        doc["trust_store"] = {"path": trust_dir, **(trust_store or {})}
        doc["fetch"] = {**self.fetch_defaults(), **(fetch or {})}
        doc["keys"] = key_tables
        client_tables = [dict(c) for c in clients]
        if admin_client:
            client_tables.append(admin_client_table([str(k["name"]) for k in key_tables]))
            write_admin_token(Path(doc.get("tokens_file") or home / "auth" / "tokens"))
        if client_tables:
            doc["clients"] = client_tables
        path = home / "kyso.toml"
        path.write_text(_toml(doc), encoding="utf-8")
        return load_settings(path)


@pytest.fixture(scope="session")
def config_factory(
    pki: TestPki, softhsm_token: SoftHsmToken, tmp_path_factory: pytest.TempPathFactory
) -> ConfigFactory:
    return ConfigFactory(pki, softhsm_token, tmp_path_factory.mktemp("assets"))


@pytest.fixture
def make_config(config_factory: ConfigFactory, tmp_path: Path) -> Callable[..., Settings]:
    counter = iter(range(1_000_000))

    def _make(**overrides: Any) -> Settings:
        return config_factory.make(tmp_path / f"kyso-home-{next(counter)}", **overrides)

    return _make


# ----------------------------------------------------------------------------- server
@pytest.fixture(scope="module")
def kyso_config(
    config_factory: ConfigFactory, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Config of the module's ``kyso_server``; redefine this fixture in a module to change it."""
    return config_factory.make(tmp_path_factory.mktemp("kyso-home"))


@pytest.fixture(scope="module")
def _kyso_running(kyso_config: Settings) -> Iterator[tuple[str, Any]]:
    from kyso.server.app import running_server

    with running_server(kyso_config) as (address, ctx):
        yield address, ctx


@pytest.fixture(scope="module")
def kyso_server(_kyso_running: tuple[str, Any]) -> str:
    return _kyso_running[0]


@pytest.fixture(scope="module")
def kyso_context(_kyso_running: tuple[str, Any]) -> Any:
    """The server's :class:`kyso.server.context.AppContext` (to inspect shared components)."""
    return _kyso_running[1]


@pytest.fixture(scope="module")
def grpc_channel(kyso_server: str) -> Iterator[Any]:
    import grpc

    channel = admin_channel(kyso_server)
    grpc.channel_ready_future(channel).result(timeout=10)
    try:
        yield channel
    finally:
        channel.close()


# ----------------------------------------------------------------------------- pdfsig
@pytest.fixture(scope="session")
def assert_pdfsig_ok(pki: TestPki) -> Callable[..., str]:
    if shutil.which("pdfsig") is None:
        pytest.fail("pdfsig not found: install poppler-utils")

    def _check(pdf: bytes | Path, expected_signatures: int | None = None, ocsp: bool = True) -> str:
        report = run_pdfsig(pki.nss_db, pdf, ocsp=ocsp)
        problems = pdfsig_problems(report, expected_signatures)
        assert not problems, f"{'; '.join(problems)}:\n{report}"
        return report

    return _check


# ----------------------------------------------------------------------------- ../shared
def running_under_ci() -> bool:
    """True when ``CI`` is set to anything but an empty string, ``0``, ``false`` or ``no``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_shared(*paths: Path) -> None:
    """The one decision about a missing ``../shared``: fail under CI, else skip with the reason."""
    missing = [p for p in paths if not p.exists()]
    if not missing:
        return
    reason = (
        f"the shared corpus is missing ({', '.join(str(p) for p in missing)}): "
        "clone it as ../shared beside the repository"
    )
    if running_under_ci():
        pytest.fail(f"{reason}; under CI the corpus tests must run")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository."""
    _require_shared(SHARED)
    return SHARED


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    """``../shared/corpus`` (verdicts in its MANIFEST.md)."""
    _require_shared(CORPUS, MANIFEST)
    return CORPUS


@pytest.fixture(scope="session")
def shared_trust_dir(shared_dir: Path) -> Path:
    """``../shared/trust``: the VGCA/NEAC roots and the G2 intermediate (PEM)."""
    _require_shared(TRUST)
    return TRUST


@pytest.fixture(scope="session")
def shared_cases_dir(shared_dir: Path) -> Path:
    """``../shared/cases``: verification cases from real use, their PKI and MANIFEST.md."""
    _require_shared(CASES / "MANIFEST.md", CASES / "pki")
    return CASES
