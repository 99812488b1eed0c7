"""Embedded defaults: a demo PKI, keys and trust store created on first start.

``kyso serve`` without ``--config`` calls :func:`ensure_demo`. The first time it creates,
under the data directory (``KYSO_HOME``, else the user's data directory):

* ``demo/``: a certomancer PKI (root -> "CA phục vụ các cơ quan Nhà nước (demo)" -> the
  demo signers, a TSA and an OCSP responder), its keys, the demo signature and seal images,
  and a SoftHSM2 token holding ``demo-personal`` and ``demo-organisation`` (PKCS#12 files
  when SoftHSM2 is not installed), with a random PIN in a 0600 file;
* ``trust/``: a trust store that trusts the demo root (only when it does not exist yet);
* ``clients/``: a local client CA, one client certificate per role and a server certificate
  for 127.0.0.1 (:mod:`kyso.demo.clients`), to try mTLS and the roles on one machine; the
  local CLI itself uses the token the server makes in ``auth/`` (:mod:`kyso.server.tokens`);
* ``kyso.toml``: the equivalent configuration, rewritten at every start, to read and copy;
* ``demo/mau-quyet-dinh.pdf``: a Decree 30 draft decision whose signer block names the demo
  signer (:mod:`kyso.demo.sample`), to try ``kyso sign`` and ``kyso layout`` on.

``demo/`` is built in a temporary directory and renamed at the end, so a crash halfway
leaves nothing half-made; later starts reuse it. The PKI's OCSP, CRL and TSA responders run
in a daemon thread of the kyso process on 127.0.0.1 (port 50080 unless
``KYSO_DEMO_PKI_PORT`` says otherwise at creation), so signing with prechecks, B-T and B-LT
works offline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from asn1crypto import pem
from certomancer.registry import CertLabel

from kyso.demo import images as demo_images
from kyso.demo import pki as demo_pki
from kyso.demo.clients import clients_toml, ensure_client_pki
from kyso.demo.sample import SAMPLE_NAME, write_sample
from kyso.server.settings import Settings, load_settings

log = logging.getLogger("kyso.demo")

DEMO_ARCH = "kyso-demo"
DEFAULT_PKI_PORT = 50080
PORT_ENV = "KYSO_DEMO_PKI_PORT"
TOKEN_LABEL = "kyso-demo"  # noqa: S105 - a token label, not a secret
_STATE_VERSION = 1

#: The demo PKI, shaped like the Vietnamese government one.
DEMO_PKI_YAML = """
keysets:
  kyso-demo:
    keys:
      root: {path: root.key.pem}
      ca: {path: ca.key.pem}
      ocsp: {path: ocsp.key.pem}
      tsa: {path: tsa.key.pem}
      demo-personal: {path: demo-personal.key.pem}
      demo-organisation: {path: demo-organisation.key.pem}
pki-architectures:
  kyso-demo:
    keyset: kyso-demo
    entity-defaults: {country-name: VN}
    entities:
      root: {organization-name: "kyso (demo)", common-name: "Root CA (demo)"}
      ca: {organization-name: "kyso (demo)",
           common-name: "CA phục vụ các cơ quan Nhà nước (demo)"}
      ocsp: {organization-name: "kyso (demo)", common-name: "OCSP (demo)"}
      tsa: {organization-name: "kyso (demo)", common-name: "TSA (demo)"}
      demo-personal: {organization-name: "Ủy ban nhân dân tỉnh Demo",
                      common-name: "Nguyễn Văn An (demo)"}
      demo-organisation: {organization-name: "Ủy ban nhân dân tỉnh Demo",
                          common-name: "Ủy ban nhân dân tỉnh Demo"}
    certs:
      root:
        subject: root
        issuer: root
        authority-key: root
        validity: {valid-from: "2025-01-01T00:00:00+0000", valid-to: "2050-01-01T00:00:00+0000"}
        extensions:
          - {id: basic_constraints, critical: true, value: {ca: true}}
          - {id: key_usage, critical: true,
             smart-value: {schema: key-usage, params: [key_cert_sign, crl_sign]}}
      ca:
        issuer: root
        validity: {valid-from: "2025-01-01T00:00:00+0000", valid-to: "2045-01-01T00:00:00+0000"}
        extensions:
          - {id: basic_constraints, critical: true, value: {ca: true, path-len-constraint: 0}}
          - {id: key_usage, critical: true,
             smart-value: {schema: key-usage, params: [key_cert_sign, crl_sign]}}
          - {id: crl_distribution_points,
             smart-value: {schema: crl-dist-url, params: {crl-repo-names: [root]}}}
          - id: authority_information_access
            smart-value: {schema: aia-urls, params: {ocsp-responder-names: [root],
                                                     ca-issuer-links: [{repo: root}]}}
      ocsp:
        issuer: ca
        validity: {valid-from: "2025-01-01T00:00:00+0000", valid-to: "2045-01-01T00:00:00+0000"}
        extensions:
          - {id: key_usage, critical: true,
             smart-value: {schema: key-usage, params: [digital_signature]}}
          - {id: extended_key_usage, critical: true, value: [ocsp_signing]}
          - {id: ocsp_no_check}
      tsa:
        issuer: ca
        validity: {valid-from: "2025-01-01T00:00:00+0000", valid-to: "2045-01-01T00:00:00+0000"}
        extensions: &leaf-ext
          - {id: key_usage, critical: true,
             smart-value: {schema: key-usage, params: [digital_signature]}}
          - {id: extended_key_usage, critical: true, value: [time_stamping]}
          - {id: crl_distribution_points,
             smart-value: {schema: crl-dist-url, params: {crl-repo-names: [ca]}}}
          - id: authority_information_access
            smart-value: {schema: aia-urls, params: {ocsp-responder-names: [ca],
                                                     ca-issuer-links: [{repo: ca}]}}
      demo-personal:
        issuer: ca
        validity: {valid-from: "2025-01-01T00:00:00+0000", valid-to: "2040-01-01T00:00:00+0000"}
        extensions:
          - {id: key_usage, critical: true,
             smart-value: {schema: key-usage, params: [digital_signature, non_repudiation]}}
          - {id: crl_distribution_points,
             smart-value: {schema: crl-dist-url, params: {crl-repo-names: [ca]}}}
          - id: authority_information_access
            smart-value: {schema: aia-urls, params: {ocsp-responder-names: [ca],
                                                     ca-issuer-links: [{repo: ca}]}}
      demo-organisation:
        template: demo-personal
        subject: demo-organisation
    services:
      ocsp:
        root: {for-issuer: root, responder-cert: root, signing-key: root}
        ca: {for-issuer: ca, responder-cert: ocsp, signing-key: ocsp}
      crl-repo:
        root: {for-issuer: root, signing-key: root, simulated-update-schedule: "P30D"}
        ca: {for-issuer: ca, signing-key: ca, simulated-update-schedule: "P7D"}
      cert-repo:
        root: {for-issuer: root, publish-issued-certs: yes}
        ca: {for-issuer: ca, publish-issued-certs: yes}
      time-stamping:
        tsa: {signing-key: tsa, signing-cert: tsa}
"""

#: Demo keys: name -> (profiles, appearance image file).
_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "demo-personal": (("personal",), "signature.png"),
    "demo-organisation": (("organisation", "attachment"), "seal.png"),
}

_responders_lock = threading.Lock()
_responders: dict[Path, demo_pki.Responders] = {}


def softhsm_module() -> str | None:
    """Path of libsofthsm2.so when SoftHSM2 is installed."""
    if shutil.which("softhsm2-util") is None:
        return None
    for candidate in (
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
    ):
        if Path(candidate).exists():
            return candidate
    return None


def _write_secret(path: Path, value: str) -> None:
    """Create ``path`` readable by its owner only, before any byte is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")


def _softhsm_conf(token_dir: Path) -> str:
    return (
        f"directories.tokendir = {token_dir / 'tokens'}\n"
        "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
    )


def _run(args: list[str], env: dict[str, str]) -> None:
    """Run a set-up tool; its output never reaches the log (it may echo a PIN)."""
    proc = subprocess.run(args, capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed with exit code {proc.returncode}")


def _make_token(build: Path, arch: Any, module: str) -> None:
    token_dir = build / "token"
    (token_dir / "tokens").mkdir(parents=True, mode=0o700)  # kyso refuses a readable token
    token_dir.chmod(0o700)
    conf = token_dir / "softhsm2.conf"
    conf.write_text(_softhsm_conf(token_dir))
    pin = secrets.token_urlsafe(12)
    _write_secret(token_dir / "pin", pin)
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    _run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--pin",
            pin,
            "--so-pin",
            secrets.token_urlsafe(12),
        ],
        env,
    )
    with tempfile.TemporaryDirectory(prefix="kyso-demo-") as tmp:
        for index, name in enumerate(_KEYS, start=1):
            key_path = demo_pki.export_key(arch, name, Path(tmp) / f"{name}.key.pem")
            _run(
                [
                    "softhsm2-util",
                    "--import",
                    str(key_path),
                    "--token",
                    TOKEN_LABEL,
                    "--label",
                    name,
                    "--id",
                    f"{index:02x}",
                    "--pin",
                    pin,
                ],
                env,
            )
            key_path.unlink()
            if shutil.which("pkcs11-tool"):
                der = Path(tmp) / f"{name}.der"
                der.write_bytes(arch.get_cert(CertLabel(name)).dump())
                _run(
                    [
                        "pkcs11-tool",
                        "--module",
                        module,
                        "--token-label",
                        TOKEN_LABEL,
                        "--login",
                        "--pin",
                        pin,
                        "--write-object",
                        str(der),
                        "--type",
                        "cert",
                        "--id",
                        f"{index:02x}",
                        "--label",
                        name,
                    ],
                    env,
                )


def _build(home: Path, port: int) -> Path:
    """Create a complete demo directory under a temporary name; return it."""
    build = Path(tempfile.mkdtemp(prefix=".demo-build-", dir=home))
    spec = demo_pki.PkiSpec.from_yaml(DEMO_PKI_YAML)
    passphrase = _key_passphrase(build)
    arch = demo_pki.build_architecture(
        spec, build / "keys", f"http://127.0.0.1:{port}", passphrase=passphrase
    )
    certs = build / "certs"
    certs.mkdir()
    for label in demo_pki.cert_labels(arch):
        demo_pki.export_pem(arch.get_cert(CertLabel(label)), certs / f"{label}.cert.pem")
    images = build / "images"
    demo_images.signature_png(images / "signature.png")
    demo_images.seal_png(images / "seal.png", text="ỦY BAN NHÂN DÂN TỈNH DEMO")
    module = softhsm_module()
    backend = "pkcs11" if module else "pkcs12"
    if module:
        _make_token(build, arch, module)
    else:
        p12_passphrase = secrets.token_urlsafe(12)
        _write_secret(build / "pkcs12-passphrase", p12_passphrase)
        for name in _KEYS:
            demo_pki.export_pkcs12(arch, name, certs / f"{name}.p12", p12_passphrase.encode())
    # the signer keys now live on the token (or in the PKCS#12 files): no copy stays behind
    demo_pki.protect_keys(build / "keys", passphrase, public_only=_KEYS)
    state = {"version": _STATE_VERSION, "port": port, "backend": backend, "module": module}
    (build / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    return build


def _key_passphrase(demo: Path) -> bytes:
    """The passphrase of the demo's responder keys (made on first use, owner-only file)."""
    path = demo / "keys-passphrase"
    if not path.exists():
        _write_secret(path, secrets.token_urlsafe(24))
    return path.read_text().strip().encode()


def _q(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _config_text(home: Path, demo: Path, state: dict[str, Any]) -> str:
    port = int(state["port"])
    lines = [
        "# Generated by kyso at every start with embedded defaults (kyso serve without",
        "# --config); edits here are overwritten. Copy it elsewhere to make your own config.",
        "# The demo PKI's OCSP/CRL/TSA responders run only with embedded defaults.",
        f"home = {_q(home)}",
        'listen = "127.0.0.1:50051"',
        '# redis_url = "redis://127.0.0.1:6379/0"  # share pending signatures and caches',
        "",
        "[signer]",
        f'tsa_url = "http://127.0.0.1:{port}/{DEMO_ARCH}/tsa/tsa"',
        "",
        "[trust_store]",
        f"path = {_q(home / 'trust')}",
        "",
        "[fetch]",
        "# the demo responders listen on 127.0.0.1, which fetches may reach only when allowed",
        'allowed_networks = ["127.0.0.1/32"]',
        f'aia_hosts = ["ca.gov.vn", "127.0.0.1:{port}"]',
    ]
    for name, (profiles, image) in _KEYS.items():
        lines += ["", "[[keys]]", f"name = {_q(name)}"]
        if state["backend"] == "pkcs11":
            lines += [
                'backend = "pkcs11"',
                f"module = {_q(state['module'])}",
                f"token_label = {_q(TOKEN_LABEL)}",
                f"key_label = {_q(name)}",
                f"pin_file = {_q(demo / 'token' / 'pin')}",
            ]
        else:
            lines += [
                'backend = "pkcs12"',
                f"key_file = {_q(demo / 'certs' / f'{name}.p12')}",
                f"pin_file = {_q(demo / 'pkcs12-passphrase')}",
            ]
        lines += [
            f"profiles = [{', '.join(_q(p) for p in profiles)}]",
            f"certificate = {_q(demo / 'certs' / f'{name}.cert.pem')}",
            f"chain = [{_q(demo / 'certs' / 'ca.cert.pem')}]",
            f"image = {_q(demo / 'images' / image)}",
        ]
        if "personal" in profiles:
            # A demo on loopback: a real personal key keeps the default, the owner's one-time
            # code for each signature (docs/security.md, "Owner consent").
            lines += ['consent = "none"']
    lines += clients_toml(home / "clients", list(_KEYS))
    return "\n".join(lines) + "\n"


def _seed_trust(home: Path, demo: Path) -> None:
    trust = home / "trust"
    if trust.exists():
        return
    tmp = Path(tempfile.mkdtemp(prefix=".trust-build-", dir=home))
    data = (demo / "certs" / "root.cert.pem").read_bytes()
    fingerprint = hashlib.sha256(pem.unarmor(data)[2]).hexdigest()
    (tmp / f"{fingerprint}.pem").write_bytes(data)
    try:
        tmp.rename(trust)
    except OSError:  # another process seeded it first
        shutil.rmtree(tmp, ignore_errors=True)


def _start_responders(demo: Path, port: int) -> None:
    """Serve the demo PKI's OCSP/CRL/TSA once per process (idempotent)."""
    with _responders_lock:
        if demo in _responders:
            return
        spec = demo_pki.PkiSpec.from_yaml(DEMO_PKI_YAML)
        passphrase = _key_passphrase(demo)
        # homes made before the keys were protected are upgraded in place
        demo_pki.protect_keys(demo / "keys", passphrase, public_only=_KEYS)
        arch = demo_pki.build_architecture(
            spec,
            demo / "keys",
            f"http://127.0.0.1:{port}",
            passphrase=passphrase,
            public_only=_KEYS,
        )
        stored = (demo / "certs" / "root.cert.pem").read_bytes()
        if pem.unarmor(stored)[2] != arch.get_cert(CertLabel("root")).dump():
            log.warning("demo PKI in %s does not match its keys; responders not started", demo)
            return
        try:
            responders = demo_pki.Responders([arch], "127.0.0.1", port).start()
        except OSError as exc:
            log.warning(
                "demo PKI responders cannot listen on 127.0.0.1:%d (%s): revocation checks "
                "and time-stamps of the demo keys will fail",
                port,
                exc.strerror,
            )
            return
        _responders[demo] = responders
        log.info("demo PKI responders on %s", responders.base_url)


def stop_responders() -> None:
    """Stop the responders started by :func:`ensure_demo` in this process (tests)."""
    with _responders_lock:
        for responders in _responders.values():
            responders.close()
        _responders.clear()


#: the name on the sample draft's signer block: the demo-personal certificate's, without "(demo)"
SAMPLE_SIGNER = "Nguyễn Văn An"


def ensure_demo(settings: Settings) -> Settings:
    """Create the demo under ``settings.home`` if needed, start its responders, return the
    settings of the ``kyso.toml`` written there (listening where ``settings`` says)."""
    home = settings.home
    print(f"kyso: data directory {home}", flush=True)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    demo = home / "demo"
    for leftover in home.glob(".demo-build-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if not (demo / "state.json").exists():
        port = int(os.environ.get(PORT_ENV, DEFAULT_PKI_PORT))
        print("kyso: first start: creating the demo PKI, keys and trust store", flush=True)
        build = _build(home, port)
        try:
            build.rename(demo)
        except OSError:  # a concurrent first start won
            shutil.rmtree(build, ignore_errors=True)
    # the token's config names its directory, which only now has its final path
    state = json.loads((demo / "state.json").read_text())
    if state["backend"] == "pkcs11":
        conf = demo / "token" / "softhsm2.conf"
        conf.write_text(_softhsm_conf(demo / "token"))
        os.environ["SOFTHSM2_CONF"] = str(conf)  # read when the PKCS#11 module is loaded
    sample = demo / SAMPLE_NAME
    if not sample.exists():  # also for a demo made before the sample existed
        write_sample(sample, SAMPLE_SIGNER)
    print(f"kyso: sample draft to sign: {sample}", flush=True)
    _seed_trust(home, demo)
    ensure_client_pki(home)
    toml_path = home / "kyso.toml"
    tmp = toml_path.with_name(f".kyso.toml.{os.getpid()}")
    tmp.write_text(_config_text(home, demo, state), encoding="utf-8")
    tmp.replace(toml_path)
    _start_responders(demo, int(state["port"]))
    loaded = load_settings(toml_path)
    return loaded.with_origin(source=toml_path, embedded=True, listen=settings.listen)
