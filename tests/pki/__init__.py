"""The test PKI, SoftHSM2 token and NSS database behind the session fixtures in conftest.py.

Built once per test session in a temporary directory: keys are generated fresh, certomancer
issues the certificates of ``kyso-test.yml`` with URLs pointing at responders on 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509

from kyso.demo import embedded as demo
from kyso.demo import pki as demo_pki

SPEC_PATH = Path(__file__).with_name("kyso-test.yml")
ARCH = "kyso-test"

#: Certificate labels whose private keys go on the token (and get PKCS#12 / PEM files).
SIGNING_LABELS = (
    "personal",
    "organisation",
    "personal-revoked",
    "personal-expired",
    "personal-wrong-ku",
    "personal-rsa1024",
    "personal-ec",
    "stranger",
)


class TestPki:
    """What the ``pki`` fixture yields: certificates, keys and live responders."""

    __test__ = False  # not a pytest test class

    def __init__(self, root: Path) -> None:
        self.dir = root
        self._spec = demo_pki.PkiSpec.from_yaml(SPEC_PATH.read_text(encoding="utf-8"))
        port = demo_pki.free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.arch = demo_pki.build_architecture(self._spec, root / "keys", self.base_url)
        self.labels = demo_pki.cert_labels(self.arch)
        self.pkcs12_passphrase = b"kyso-test-p12"
        self._certs_dir = root / "certs"
        self._certs_dir.mkdir(parents=True, exist_ok=True)
        for label in self.labels:
            demo_pki.export_pem(self.cert(label), self.cert_path(label))
        self._responders = demo_pki.Responders([self.arch], "127.0.0.1", port)
        self.tsa_url = f"{self.base_url}/{ARCH}/tsa/tsa"
        self.nss_db = root / "nssdb"

    def start(self) -> TestPki:
        self._responders.start()
        make_nss_db(
            self.nss_db,
            self.root_path,
            self.cert_path("ca"),
            [self.cert_path(label) for label in SIGNING_LABELS if self._under_root(label)],
        )
        return self

    def _under_root(self, label: str) -> bool:
        return "root" in (str(c) for c in self.arch.get_chain(label))  # type: ignore[arg-type]

    def close(self) -> None:
        self._responders.close()

    # ---- certificates and keys
    def cert(self, label: str) -> x509.Certificate:
        return self.arch.get_cert(label)  # type: ignore[arg-type]

    def cert_path(self, label: str) -> Path:
        return self._certs_dir / f"{label}.cert.pem"

    @property
    def root_path(self) -> Path:
        return self.cert_path("root")

    def key_path(self, label: str) -> Path:
        path = self._certs_dir / f"{label}.key.pem"
        if not path.exists():
            demo_pki.export_key(self.arch, label, path)
        return path

    def pkcs12_path(self, label: str) -> Path:
        path = self._certs_dir / f"{label}.p12"
        if not path.exists():
            demo_pki.export_pkcs12(self.arch, label, path, self.pkcs12_passphrase)
        return path

    def chain_paths(self, label: str) -> list[Path]:
        """Issuer certificates of ``label`` up to (excluding) its root, nearest first."""
        return [
            self.cert_path(str(c))
            for c in self.arch.get_chain(label)  # type: ignore[arg-type]
            if not self.arch.get_cert_spec(c).self_signed
        ]

    # ---- responder URLs
    def ocsp_url(self, issuer: str = "ca") -> str:
        return f"{self.base_url}/{ARCH}/ocsp/{issuer}"

    def crl_url(self, issuer: str = "ca") -> str:
        return f"{self.base_url}/{ARCH}/crls/{issuer}/latest.crl"


def make_nss_db(
    nss_dir: Path, root_pem: Path, intermediate_pem: Path, signer_pems: Iterable[Path] = ()
) -> None:
    """An NSS database for pdfsig where only ``root_pem`` is trusted.

    ``signer_pems`` (end-entity certificates) are stored without any trust (",,"): pdfsig
    still builds and checks their chain to ``root_pem`` and asks OCSP. They are there
    because of a use-after-free in poppler 22.12's pdfsig: it makes a temporary NSS
    certificate of each certificate in a signature's CMS without copying the DER
    (``CERT_NewTempCertificate(..., copyDER=PR_FALSE)``) and frees that memory with the
    signature, while NSS keeps the certificate (cached by the first chain validation).
    When a later signature of the same file embeds the same certificate, NSS compares it
    with the freed bytes, fails with SEC_ERROR_REUSED_ISSUER_AND_SERIAL and pdfsig prints
    "Unknown issue with Certificate or corrupted data." for that signature -- or not,
    depending on how malloc reused the block (``MALLOC_PERTURB_=165`` makes it fail for the
    demo PKI too). A certificate already in the database is found there instead, with its
    own copy of the DER, so no temporary certificate is made for it.
    """
    nss_dir.mkdir(parents=True, exist_ok=True)
    db = f"sql:{nss_dir}"
    subprocess.run(
        ["certutil", "-N", "--empty-password", "-d", db], check=True, capture_output=True
    )
    subprocess.run(
        ["certutil", "-A", "-d", db, "-n", "kyso-test-root", "-t", "CT,C,C", "-i", str(root_pem)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["certutil", "-A", "-d", db, "-n", "kyso-test-ca", "-t", ",,", "-i", str(intermediate_pem)],
        check=True,
        capture_output=True,
    )
    for index, pem_path in enumerate(signer_pems, start=1):
        subprocess.run(
            [
                "certutil",
                "-A",
                "-d",
                db,
                "-n",
                f"kyso-test-signer-{index}",
                "-t",
                ",,",
                "-i",
                str(pem_path),
            ],
            check=True,
            capture_output=True,
        )


def run_pdfsig(nss_db: Path, pdf: bytes | Path, ocsp: bool = True) -> str:
    """pdfsig's report for ``pdf`` checked against the NSS database ``nss_db``.

    OCSP stays on: poppler 22.12 reports "Unknown issue with Certificate" for every
    certificate under ``-no-ocsp``, and the test responders are local anyway.
    """
    with tempfile.TemporaryDirectory(prefix="kyso-pdfsig-") as tmp:
        if isinstance(pdf, bytes | bytearray):
            path = Path(tmp) / "document.pdf"
            path.write_bytes(pdf)
        else:
            path = Path(pdf)
        args = ["pdfsig", "-nssdir", f"sql:{nss_db}"]
        if not ocsp:
            args.append("-no-ocsp")
        proc = subprocess.run([*args, str(path)], capture_output=True, text=True, timeout=60)
        return proc.stdout + proc.stderr


def pdfsig_problems(report: str, expected_signatures: int | None = None) -> list[str]:
    """What keeps a pdfsig report from "every signature Valid and Trusted" (empty if nothing)."""
    blocks = report.split("Signature #")[1:]
    if not blocks:
        return ["pdfsig found no signature"]
    problems = []
    if expected_signatures is not None and len(blocks) != expected_signatures:
        problems.append(f"{len(blocks)} signatures, expected {expected_signatures}")
    for number, block in enumerate(blocks, start=1):
        if "Signature is Valid." not in block:
            problems.append(f"signature {number} is not valid")
        if "Certificate is Trusted." not in block:
            problems.append(f"signature {number}: certificate not trusted")
    return problems


def softhsm_module() -> str:
    module = demo.softhsm_module()
    if module is None:
        raise FileNotFoundError("SoftHSM2 not found: install the softhsm2 package")
    return module


@dataclass
class SoftHsmToken:
    """What the ``softhsm_token`` fixture yields."""

    module: str
    token_label: str
    pin_env: str
    conf_path: Path
    key_ids: dict[str, str]  # certificate label -> CKA_ID (hex)

    @property
    def pin(self) -> str:
        return os.environ[self.pin_env]


def make_softhsm_token(
    root: Path,
    pki: TestPki,
    labels: tuple[str, ...] = SIGNING_LABELS,
    token_label: str = "kyso-test",
    pin_env: str = "TEST_KYSO_PIN",
) -> SoftHsmToken:
    """Initialise a fresh token in ``root`` and import each label's key and certificate.

    Sets ``SOFTHSM2_CONF`` (process-wide: SoftHSM reads it when the module is loaded) and the
    PIN environment variable.
    """
    if shutil.which("softhsm2-util") is None:
        raise FileNotFoundError("softhsm2-util not found: install the softhsm2 package")
    tokens = root / "tokens"
    tokens.mkdir(parents=True, exist_ok=True, mode=0o700)  # kyso refuses a readable token
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pin = secrets.token_hex(8)
    so_pin = secrets.token_hex(8)
    os.environ[pin_env] = pin
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            token_label,
            "--pin",
            pin,
            "--so-pin",
            so_pin,
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    key_ids: dict[str, str] = {}
    for index, label in enumerate(labels, start=1):
        key_id = f"{index:02x}"
        key_ids[label] = key_id
        subprocess.run(
            [
                "softhsm2-util",
                "--import",
                str(pki.key_path(label)),
                "--token",
                token_label,
                "--label",
                label,
                "--id",
                key_id,
                "--pin",
                pin,
            ],
            check=True,
            capture_output=True,
            env=env,
        )
    module = softhsm_module()
    for label in labels:
        # Certificates via pkcs11-tool in a child process: loading the module here would
        # initialise it in this process before the code under test does.
        der = root / f"{label}.cert.der"
        der.write_bytes(pki.cert(label).dump())
        subprocess.run(
            [
                "pkcs11-tool",
                "--module",
                module,
                "--token-label",
                token_label,
                "--login",
                "--pin",
                pin,
                "--write-object",
                str(der),
                "--type",
                "cert",
                "--id",
                key_ids[label],
                "--label",
                label,
            ],
            check=True,
            capture_output=True,
            env=env,
        )
    return SoftHsmToken(
        module=module, token_label=token_label, pin_env=pin_env, conf_path=conf, key_ids=key_ids
    )
