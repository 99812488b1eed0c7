"""Configuration: one TOML file, or embedded defaults when there is none.

Secrets never live in the file: a key's PIN is named by ``pin_env`` (an
environment variable) or ``pin_file`` (a file readable only by kyso).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kyso.errors import InvalidInputError

DEFAULT_LISTEN = "127.0.0.1:50051"
MiB = 1024 * 1024


def default_home() -> Path:
    """``KYSO_HOME`` if set, else the user's data directory."""
    env = os.environ.get("KYSO_HOME")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("kyso")).resolve()


@dataclass
class KeyConfig:
    """One signing key, named for callers; the backend says where it lives."""

    name: str
    backend: str  # "pkcs11" | "pkcs12" | "pem"
    profiles: tuple[str, ...] = ("personal",)
    certificate: Path | None = None  # PEM/DER; for pkcs11 also findable on the token
    chain: tuple[Path, ...] = ()
    image: Path | None = None  # signature or seal PNG
    # pkcs11
    module: str | None = None
    token_label: str | None = None
    key_label: str | None = None
    key_id: str | None = None  # hex
    pool_size: int = 4
    # pkcs12 / pem
    key_file: Path | None = None
    # secrets, by reference only
    pin_env: str | None = None
    pin_file: Path | None = None
    # organisation metadata shown in appearances
    title: str | None = None  # e.g. "KT. CHỦ TỊCH"
    display_name: str | None = None
    seal_diameter_mm: float = 36.0
    prefer_pss: bool = False  # RSA: RSASSA-PSS (Circular 15/2025) instead of PKCS#1 v1.5

    def read_pin(self) -> str | None:
        """The PIN/passphrase, read at the moment it is needed and never stored in config."""
        if self.pin_env:
            value = os.environ.get(self.pin_env)
            if value is None:
                raise InvalidInputError(
                    f"key {self.name}: environment variable {self.pin_env} is not set",
                    f"khóa {self.name}: chưa đặt biến môi trường {self.pin_env}",
                    code="KEY_PIN_MISSING",
                )
            return value
        if self.pin_file:
            return self.pin_file.read_text().strip()
        return None


@dataclass
class SignerConfig:
    tsa_url: str | None = None
    default_level: str | None = None  # B-B | B-T | B-LT | B-LTA; default B-T with a TSA, else B-B
    pending_ttl_seconds: int = 300
    precheck_cache_seconds: int = 300  # how long a passed signer-certificate check is reused
    font_regular: Path | None = None
    font_bold: Path | None = None


@dataclass
class VerifierConfig:
    policy_dir: Path | None = None
    default_policy: str = "vn-gov"
    fetch_revocation: bool = True
    request_timeout_seconds: float = 30.0


@dataclass
class TrustStoreConfig:
    path: Path | None = None  # local directory store
    audit_path: Path | None = None
    officer_tokens_file: Path | None = None  # until mTLS: tokens that hold the officer role
    reader_tokens_file: Path | None = None
    redis_namespace: str = "kyso"  # key prefix in Redis; replicas of one deployment share it
    bundles_path: Path | None = None  # extra directory of site bundles (<name>/manifest.json)
    keep_versions: int = 10  # local store: old versions kept on disk (Redis: old states expire)
    redis_poll_seconds: float = 0.5  # version poll beside pub/sub, so replicas converge within 1 s
    revocation_fallback_ttl_seconds: int = 600  # OCSP/CRL without nextUpdate
    revocation_stale_grace_seconds: int = (
        86400  # serve an expired answer this long if the responder is down
    )
    revocation_timeout_seconds: float = 5.0


@dataclass
class Config:
    home: Path
    listen: str = DEFAULT_LISTEN
    redis_url: str | None = None
    max_document_bytes: int = 100 * MiB  # unary requests are bounded by gRPC too
    max_stream_bytes: int = 2048 * MiB
    workers: int = 16
    reuse_port: bool = False  # SO_REUSEPORT: several `kyso serve` processes share one port
    keys: list[KeyConfig] = field(default_factory=list)
    signer: SignerConfig = field(default_factory=SignerConfig)
    verifier: VerifierConfig = field(default_factory=VerifierConfig)
    trust_store: TrustStoreConfig = field(default_factory=TrustStoreConfig)
    embedded_defaults: bool = False  # true when no config file was given
    source: Path | None = None

    @property
    def trust_store_path(self) -> Path:
        return self.trust_store.path or (self.home / "trust")

    @property
    def audit_path(self) -> Path:
        return self.trust_store.audit_path or (self.home / "audit" / "trust-store.log")


def _path(base: Path, value: Any) -> Path | None:
    if value is None or value == "":
        return None
    p = Path(str(value)).expanduser()
    return p if p.is_absolute() else (base / p)


_KEY_FIELDS = {f for f in KeyConfig.__dataclass_fields__}


def _key(base: Path, raw: dict[str, Any]) -> KeyConfig:
    unknown = set(raw) - _KEY_FIELDS - {"profile", "pin"}
    if "pin" in raw:
        raise InvalidInputError(
            "a PIN must not be written in the config file; use pin_env or pin_file",
            "không được ghi mã PIN trong tệp cấu hình; dùng pin_env hoặc pin_file",
            code="CONFIG_PIN_IN_FILE",
        )
    if unknown:
        raise InvalidInputError(
            f"unknown key settings: {sorted(unknown)}",
            f"thiết lập khóa không hợp lệ: {sorted(unknown)}",
            code="CONFIG_INVALID",
        )
    profiles = raw.get("profiles") or ([raw["profile"]] if "profile" in raw else ["personal"])
    return KeyConfig(
        name=str(raw["name"]),
        backend=str(raw.get("backend", "pkcs11")),
        profiles=tuple(str(p).lower() for p in profiles),
        certificate=_path(base, raw.get("certificate")),
        chain=tuple(p for p in (_path(base, c) for c in raw.get("chain", [])) if p),
        image=_path(base, raw.get("image")),
        module=raw.get("module"),
        token_label=raw.get("token_label"),
        key_label=raw.get("key_label"),
        key_id=raw.get("key_id"),
        pool_size=int(raw.get("pool_size", 4)),
        key_file=_path(base, raw.get("key_file")),
        pin_env=raw.get("pin_env"),
        pin_file=_path(base, raw.get("pin_file")),
        title=raw.get("title"),
        display_name=raw.get("display_name"),
        seal_diameter_mm=float(raw.get("seal_diameter_mm", 36.0)),
        prefer_pss=bool(raw.get("prefer_pss", False)),
    )


def _section(cls: Any, base: Path, raw: dict[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(raw) - set(fields)
    if unknown:
        raise InvalidInputError(
            f"unknown settings in [{cls.__name__}]: {sorted(unknown)}",
            f"thiết lập không hợp lệ: {sorted(unknown)}",
            code="CONFIG_INVALID",
        )
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        ftype = str(fields[name].type)
        kwargs[name] = _path(base, value) if "Path" in ftype else value
    return cls(**kwargs)


def load_config(path: Path | None) -> Config:
    """Load ``path``; with ``None`` return embedded defaults under ``default_home()``."""
    if path is None:
        return Config(home=default_home(), embedded_defaults=True)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(
            f"cannot read config {path}: {exc}",
            f"không đọc được tệp cấu hình {path}",
            code="CONFIG_INVALID",
        ) from exc
    base = path.parent.resolve()
    home = _path(base, raw.get("home")) or default_home()
    cfg = Config(
        home=home,
        listen=str(raw.get("listen", DEFAULT_LISTEN)),
        redis_url=raw.get("redis_url") or None,
        max_document_bytes=int(raw.get("max_document_bytes", 100 * MiB)),
        max_stream_bytes=int(raw.get("max_stream_bytes", 2048 * MiB)),
        workers=int(raw.get("workers", 16)),
        reuse_port=bool(raw.get("reuse_port", False)),
        keys=[_key(base, k) for k in raw.get("keys", [])],
        signer=_section(SignerConfig, base, raw.get("signer", {})),
        verifier=_section(VerifierConfig, base, raw.get("verifier", {})),
        trust_store=_section(TrustStoreConfig, base, raw.get("trust_store", {})),
        source=path,
    )
    names = [k.name for k in cfg.keys]
    if len(names) != len(set(names)):
        raise InvalidInputError(
            "duplicate key names in config",
            "tên khóa bị trùng trong cấu hình",
            code="CONFIG_INVALID",
        )
    return cfg
