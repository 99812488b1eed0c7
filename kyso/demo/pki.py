"""A throw-away PKI (certomancer) with its OCSP, CRL, TSA and certificate responders over HTTP.

Shared by the embedded demo (``kyso.demo.embedded``) and the test suite (``tests/pki``) so both
exercise the same code: keys are generated here with ``cryptography``, certomancer issues the
certificates from a YAML description, and its Animator WSGI app answers on 127.0.0.1.
Revocation URLs are baked into the certificates, so the responders must listen on the
address the PKI was built for.
"""

from __future__ import annotations

import base64
import binascii
import copy
import errno
import io
import os
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

import yaml
from asn1crypto import pem, x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, PKIArchitecture
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

#: Key kinds accepted in a spec's ``key-kinds`` mapping (default ``rsa2048``).
KEY_KINDS = ("rsa2048", "rsa3072", "rsa1024", "ec-p256", "ec-p384")


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free right now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def listening_socket(host: str, port: int) -> socket.socket | None:
    """A TCP socket bound to ``host:port`` and listening, or None when the port is taken.

    Port 0 takes any free one (read it from ``getsockname()``). Binding before the PKI is
    built reserves the port its URLs will name; :class:`Responders` then serves on it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        return None
    return sock


def _write_private(path: Path, data: bytes) -> Path:
    """Write key material readable by its owner only, from the first byte, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)
    return path


def _private_key(kind: str) -> Any:
    if kind not in KEY_KINDS:
        raise ValueError(f"unknown key kind {kind!r}")
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    return ec.generate_private_key(ec.SECP384R1())


def generate_keys(key_dir: Path, kinds: Mapping[str, str], passphrase: bytes | None = None) -> None:
    """Write ``<label>.key.pem`` (PKCS#8, encrypted under ``passphrase`` when given) for each
    label, keeping existing files."""
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for label, kind in kinds.items():
        path = key_dir / f"{label}.key.pem"
        if path.exists():
            continue
        _write_private(path, _pkcs8(_private_key(kind), passphrase))


def _pkcs8(key: Any, passphrase: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return cast(
        bytes,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ),
    )


def protect_keys(key_dir: Path, passphrase: bytes, public_only: Iterable[str] = ()) -> None:
    """Rewrite the key files of ``key_dir``: the labels in ``public_only`` keep only their
    public key (their private key lives elsewhere, e.g. on the token), every other plaintext
    PKCS#8 file is encrypted under ``passphrase``.  Idempotent (older homes are upgraded)."""
    public = set(public_only)
    for path in sorted(key_dir.glob("*.key.pem")):
        label = path.name[: -len(".key.pem")]
        data = path.read_bytes()
        if b"PRIVATE KEY" not in data or (b"ENCRYPTED PRIVATE KEY" in data and label not in public):
            continue
        key = serialization.load_pem_private_key(
            data, password=passphrase if b"ENCRYPTED" in data else None
        )
        if label in public:
            out = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        else:
            out = _pkcs8(key, passphrase)
        _write_private(path, out)


@dataclass
class PkiSpec:
    """A certomancer config plus the kind of key behind each key label."""

    arch: str
    config: dict[str, Any]
    key_kinds: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, text: str) -> PkiSpec:
        raw = yaml.safe_load(text)
        _unique_serials(raw)
        kinds = dict(raw.pop("key-kinds", {}) or {})
        (arch,) = raw["pki-architectures"].keys()
        keyset_name = raw["pki-architectures"][arch]["keyset"]
        labels = raw["keysets"][keyset_name]["keys"].keys()
        return cls(arch=arch, config=raw, key_kinds={k: kinds.get(k, "rsa2048") for k in labels})


def _unique_serials(raw: dict[str, Any]) -> None:
    """Give every certificate a serial unique across the whole PKI.

    Certomancer numbers certificates per issuer, so a root and a leaf can share a serial;
    NSS (pdfsig) then mixes them up when checking revocation. Serials stay deterministic so
    that a demo PKI reloaded at the next start issues byte-identical certificates.
    """
    for arch in raw.get("pki-architectures", {}).values():
        for index, spec in enumerate(arch.get("certs", {}).values()):
            spec.setdefault("serial", 0x4B59534F00 + index)


def build_architecture(
    spec: PkiSpec,
    key_dir: Path,
    base_url: str,
    *,
    passphrase: bytes | None = None,
    public_only: Iterable[str] = (),
) -> PKIArchitecture:
    """Generate missing keys and load the architecture with URLs under ``base_url``.

    ``passphrase`` decrypts (and encrypts new) key files; the labels in ``public_only`` are
    read as public keys (certificates can still be issued to them, nothing signed by them).
    """
    generate_keys(key_dir, spec.key_kinds, passphrase)
    config = spec.config
    public = set(public_only)
    if passphrase or public:
        config = copy.deepcopy(spec.config)
        (keyset,) = [config["keysets"][a["keyset"]] for a in config["pki-architectures"].values()]
        for label, entry in keyset["keys"].items():
            if label in public:
                entry["public-only"] = True
            elif passphrase:
                entry["password"] = passphrase.decode()
    cfg = CertomancerConfig(
        config, key_search_dir=str(key_dir), external_url_prefix=base_url.rstrip("/")
    )
    return cfg.get_pki_arch(ArchLabel(spec.arch))


def cert_labels(arch: PKIArchitecture) -> list[str]:
    """Every certificate label in the architecture, issuers before the certificates they issue."""
    labels: list[str] = []
    for _issuer, specs in arch.enumerate_certs_by_issuer():
        labels.extend(str(spec.label) for spec in specs)
    return labels


def export_pem(cert: x509.Certificate, path: Path) -> Path:
    path.write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    return path


def export_key(arch: PKIArchitecture, label: str, path: Path) -> Path:
    """The subject key of certificate ``label`` as unencrypted PKCS#8 PEM (mode 0600)."""
    key_label = arch.get_cert_spec(CertLabel(label)).subject_key
    der = arch.key_set.get_private_key(key_label).dump()
    return _write_private(path, pem.armor("PRIVATE KEY", der))


def export_pkcs12(arch: PKIArchitecture, label: str, path: Path, passphrase: bytes) -> Path:
    return _write_private(path, arch.package_pkcs12(CertLabel(label), password=passphrase))


class _QuietHandler(WSGIRequestHandler):
    """Keeps per-request access lines out of kyso's logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class _WholeSecondsAnimator(Animator):  # type: ignore[misc]
    """Times in whole seconds: NSS (pdfsig) rejects OCSP responses whose GeneralizedTime
    values carry fractions of a second, which certomancer otherwise emits."""

    def at_time(self, request: Any) -> datetime:
        return cast(datetime, super().at_time(request)).replace(microsecond=0)


class _OcspGetSupport:
    """Answers RFC 6960 A.1 OCSP GET requests (NSS tries GET first) by replaying them as POST."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        parts = path.split("/")
        # /<arch>/ocsp/<label>/<base64 request>
        if environ.get("REQUEST_METHOD") == "GET" and len(parts) >= 5 and parts[2] == "ocsp":
            encoded = unquote("/".join(parts[4:]))
            try:
                body = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except (binascii.Error, ValueError):
                body = b""
            if body:
                environ = dict(environ)
                environ.update(
                    {
                        "REQUEST_METHOD": "POST",
                        "PATH_INFO": "/".join(parts[:4]),
                        "CONTENT_TYPE": "application/ocsp-request",
                        "CONTENT_LENGTH": str(len(body)),
                        "wsgi.input": io.BytesIO(body),
                    }
                )
        return self._app(environ, start_response)


class Responders:
    """Certomancer's Animator (OCSP, CRL, TSA, certificate repository) served in a daemon thread."""

    def __init__(
        self,
        archs: Iterable[PKIArchitecture],
        host: str,
        port: int,
        *,
        sock: socket.socket | None = None,
    ) -> None:
        """Serve on ``sock`` (from :func:`listening_socket`; closed here) when given, else
        bind ``host:port``. Raises :class:`OSError` when the port is taken (werkzeug itself
        would print its own message and exit the process)."""
        store = AnimatorArchStore({a.arch_label: a for a in archs})
        app = _OcspGetSupport(
            _WholeSecondsAnimator(store, with_web_ui=False, allow_time_override=False)
        )
        if sock is None:
            sock = listening_socket(host, port)
            if sock is None:
                raise OSError(errno.EADDRINUSE, f"{host}:{port} is in use")
        with sock:  # werkzeug serves on a duplicate of it
            self._server: BaseWSGIServer = make_server(
                host, port, app, threaded=True, request_handler=_QuietHandler, fd=sock.fileno()
            )
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="kyso-pki-responders", daemon=True
        )

    def start(self) -> Responders:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
