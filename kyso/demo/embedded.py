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
* ``kyso.toml``: the equivalent configuration, rewritten at every start with the address kyso
  listens on, to read and copy: it carries the SoftHSM2 configuration as the keys'
  ``module_env`` and ``demo_pki = true``, so ``kyso serve --config COPY`` works as it is;
* ``demo/mau-quyet-dinh.pdf``: a Decree 30 draft decision whose signer block names the demo
  signer (:mod:`kyso.demo.sample`), to try ``kyso sign`` and ``kyso layout`` on.

``demo/`` is built in a temporary directory and renamed at the end, so a crash halfway
leaves nothing half-made; later starts reuse it. The PKI's OCSP, CRL and TSA responders run
in a daemon thread of the kyso process on 127.0.0.1, so signing with prechecks, B-T and B-LT
works offline; their port is chosen at creation (``KYSO_DEMO_PKI_PORT``, else 50080, else a
free one when that is taken) and recorded in ``demo/state.json`` (:mod:`kyso.demo.responders`
says what happens when it is taken later).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from asn1crypto import pem
from certomancer.registry import CertLabel

from kyso.demo import images as demo_images
from kyso.demo import pki as demo_pki
from kyso.demo import responders
from kyso.demo.clients import clients_toml, ensure_client_pki
from kyso.demo.responders import DEFAULT_PKI_PORT, DEMO_ARCH, PORT_ENV
from kyso.demo.responders import stop_responders as stop_responders  # re-exported (tests)
from kyso.demo.sample import SAMPLE_NAME, write_sample
from kyso.errors import Composed, InvalidInput
from kyso.server.settings import Settings, load_settings
from kyso.settings import shorten

log = logging.getLogger("kyso.demo")

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


def _config_text(home: Path, demo: Path, state: dict[str, Any], listen: str) -> str:
    port = int(state["port"])
    lines = [
        "# Generated by kyso at every start with embedded defaults (kyso serve without",
        "# --config); edits here are overwritten. Copy it elsewhere to make your own config",
        "# and run `kyso serve --config FILE` (`kyso config check FILE` checks it first).",
        f"home = {_q(home)}",
        f"listen = {_q(listen)}",
        "# serve the demo PKI's OCSP/CRL/TSA responders (127.0.0.1, the port in demo/state.json)",
        "demo_pki = true",
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
                # SoftHSM2 finds its token directory through this file: exported by kyso
                f"module_env = {{ SOFTHSM2_CONF = {_q(demo / 'token' / 'softhsm2.conf')} }}",
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


def _architecture(demo: Path, port: int) -> Any:
    """The demo PKI of ``demo`` with its URLs on ``port`` (certomancer issues the same
    certificates again from the same keys; the signer keys are read as public keys)."""
    spec = demo_pki.PkiSpec.from_yaml(DEMO_PKI_YAML)
    passphrase = _key_passphrase(demo)
    # homes made before the keys were protected are upgraded in place
    demo_pki.protect_keys(demo / "keys", passphrase, public_only=_KEYS)
    return demo_pki.build_architecture(
        spec,
        demo / "keys",
        f"http://127.0.0.1:{port}",
        passphrase=passphrase,
        public_only=_KEYS,
    )


def _reissue(demo: Path, state: dict[str, Any], port: int) -> dict[str, Any]:
    """Issue the demo certificates again for responders on ``port`` (same keys, same root;
    the CA, responder and signer certificates name the new URLs) and record the port.

    Documents signed before keep naming the old port: their revocation data is what they
    embed (B-LT) or is fetched in vain."""
    arch = _architecture(demo, port)
    for label in demo_pki.cert_labels(arch):
        demo_pki.export_pem(arch.get_cert(CertLabel(label)), demo / "certs" / f"{label}.cert.pem")
    state = {**state, "port": port}
    tmp = demo / f".state.json.{os.getpid()}"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(demo / "state.json")
    return state


#: the name on the sample draft's signer block: the demo-personal certificate's, without "(demo)"
SAMPLE_SIGNER = "Nguyễn Văn An"


def _start_responders(demo: Path, port: int, sock: socket.socket | None = None) -> None:
    """The demo's responders, unless its certificates do not match its keys (a warning)."""
    arch = _architecture(demo, port)
    stored = (demo / "certs" / "root.cert.pem").read_bytes()
    if pem.unarmor(stored)[2] != arch.get_cert(CertLabel("root")).dump():
        if sock is not None:
            sock.close()
        log.warning("demo PKI in %s does not match its keys; responders not started", demo)
        return
    responders.start(demo, arch, port, sock)


def start_demo_responders(settings: Settings) -> None:
    """The responders of ``<home>/demo`` for a configuration with ``demo_pki = true`` (the
    generated kyso.toml, copied): raises :class:`InvalidInput` when there is no demo there."""
    demo = settings.home / "demo"
    if not (demo / "state.json").exists():
        raise InvalidInput(
            "CONFIG_INVALID",
            problem=Composed(
                f"demo_pki: no demo PKI in {shorten(str(demo))} (kyso serve without --config "
                "creates one); set demo_pki = false, or home to the demo's data directory"
            ),
        )
    state = json.loads((demo / "state.json").read_text())
    _start_responders(demo, int(state["port"]))


def ensure_demo(settings: Settings, listen: str | None = None) -> Settings:
    """Create the demo under ``settings.home`` if needed, start its responders, return the
    settings of the ``kyso.toml`` written there (listening on ``listen``, else where
    ``settings`` says).

    The responders' port is chosen once, at creation: ``KYSO_DEMO_PKI_PORT``, else 50080, or
    a free port when that one is taken, and recorded in ``demo/state.json``. Later starts use
    the recorded port; when another program holds it, :class:`InvalidInput` names
    ``KYSO_DEMO_PKI_PORT``, which (set then) issues the demo certificates again for a new port.
    """
    home = settings.home
    listen = listen or settings.listen
    print(f"kyso: data directory {home}", flush=True)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    demo = home / "demo"
    for leftover in home.glob(".demo-build-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    requested = responders.requested_port()
    sock: socket.socket | None = None
    first = not (demo / "state.json").exists()
    if first:
        print("kyso: first start: creating the demo PKI, keys and trust store", flush=True)
        why = PORT_ENV if requested is not None else "the default"
        sock = responders.reserve(DEFAULT_PKI_PORT if requested is None else requested, why=why)
        build = _build(home, int(sock.getsockname()[1]))
        try:
            build.rename(demo)
        except OSError:  # a concurrent first start won: its port, not ours
            shutil.rmtree(build, ignore_errors=True)
            sock.close()
            sock = None
    state = json.loads((demo / "state.json").read_text())
    if sock is None and requested is not None and requested != state["port"]:
        # a later start: KYSO_DEMO_PKI_PORT repairs a home whose port another program took
        held = demo_pki.listening_socket("127.0.0.1", int(state["port"]))
        if held is not None:
            sock = held  # the recorded port is free: nothing to repair
        elif not responders.serves(demo, int(state["port"])):
            sock = responders.reserve(requested, why=PORT_ENV)
            state = _reissue(demo, state, int(sock.getsockname()[1]))
            print(
                f"kyso: demo certificates issued again for responders on 127.0.0.1:{state['port']}",
                flush=True,
            )
    if state["backend"] == "pkcs11":
        # the token's config names its directory, which only now has its final path
        (demo / "token" / "softhsm2.conf").write_text(_softhsm_conf(demo / "token"))
    sample = demo / SAMPLE_NAME
    if not sample.exists():  # also for a demo made before the sample existed
        write_sample(sample, SAMPLE_SIGNER)
    _seed_trust(home, demo)
    ensure_client_pki(home)
    toml_path = home / "kyso.toml"
    write_config(home, listen)
    _start_responders(demo, int(state["port"]), sock)
    loaded = load_settings(toml_path)
    keys = ", ".join(f"{k.name} ({', '.join(k.profiles)})" for k in loaded.keys)
    print(f"kyso: signing keys: {keys}", flush=True)
    print(f"kyso: configuration: {toml_path} (copy it to make your own)", flush=True)
    print(f"kyso: sample draft to sign: {sample}", flush=True)
    if first:
        print(
            "kyso: next, in another shell: `kyso keys`, then `kyso sign "
            f"{sample} -o qd.ky.pdf --key demo-personal --profile personal` "
            '(README.md, "A five-minute tour")',
            flush=True,
        )
    return loaded.with_origin(source=toml_path, embedded=True, listen=listen)


def write_config(home: Path, listen: str) -> Path:
    """(Re)write ``<home>/kyso.toml`` for the demo in ``<home>/demo``, listening on ``listen``
    (``kyso serve`` calls it again with the port it got when ``listen`` ends in ``:0``)."""
    demo = home / "demo"
    state = json.loads((demo / "state.json").read_text())
    toml_path = home / "kyso.toml"
    tmp = toml_path.with_name(f".kyso.toml.{os.getpid()}")
    tmp.write_text(_config_text(home, demo, state, listen), encoding="utf-8")
    tmp.replace(toml_path)
    return toml_path
