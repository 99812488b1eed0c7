"""The server's settings: one TOML file composing each package's section, or embedded defaults.

The file's shape::

    home = "/var/lib/kyso"            # top level: where and how the server runs
    listen = "127.0.0.1:50051"
    [signer]        -> signer.settings.SignerSettings
    [verifier]      -> verifier.settings.VerifierSettings
    [intake]        -> verifier.intake.settings.IntakeSettings (edXML packages)
    [trust_store]   -> trust_store.settings.TrustStoreSettings
    [audit]         -> trust_store.settings.AuditSettings (signed checkpoints of both audits)
    [process_pool]  -> kyso.server.pool_settings.ProcessPoolSettings (verification workers)
    [[keys]]        -> signer.settings.KeySettings, one table per key
    [tls]           -> TlsSettings (without it, plaintext on loopback only)
    [[clients]]     -> ClientSettings, one table per client: identity, roles, keys, limits
    [limits]        -> kyso.server.client_limits.LimitsSettings (per-client defaults)
    [metrics] [logging] [tracing] -> kyso.server.observability_settings

Relative paths in the file are relative to the file; the file may be at most
:data:`CONFIG_LIMIT` bytes. Environment variables override the file: ``KYSO_<KEY>`` for a
top-level key, ``KYSO_<SECTION>__<KEY>`` inside a section (e.g. ``KYSO_SIGNER__TSA_URL``),
their text read as a TOML value for numbers and booleans, and ``KYSO_KEYS`` and
``KYSO_CLIENTS`` as JSON arrays.
``KYSO_HOME`` is the exception: it has always named the default data directory, for the CLI
as well, so it applies only when the file names no ``home``. Any other ``KYSO_*`` variable is
refused unless kyso reads it elsewhere (:data:`OTHER_VARIABLES`) or a key's ``pin_env`` names
it: a misspelt override must not be silently ignored. Secrets never live in the file
(:mod:`signer.settings`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kyso.errors import InvalidInput
from kyso.pki.settings import FetchSettings
from kyso.server.client_limits import LimitsSettings
from kyso.server.clients import ClientSettings, check_clients
from kyso.server.health_settings import HealthSettings
from kyso.server.observability_settings import LoggingSettings, MetricsSettings, TracingSettings
from kyso.server.pool_settings import ProcessPoolSettings
from kyso.server.tls_settings import TlsSettings
from kyso.settings import (
    BASE_DIR,
    DirectoryPath,
    OptionalNewFilePath,
    SettingsModel,
    did_you_mean,
    settings_error,
    shorten,
)
from signer.settings import KeySettings, SignerSettings
from trust_store.settings import AuditSettings, TrustStoreSettings
from verifier.intake.settings import IntakeSettings
from verifier.settings import VerifierSettings

DEFAULT_LISTEN = "127.0.0.1:50051"
MiB = 1024 * 1024
ENV_PREFIX = "KYSO_"
HOME_ENV = "KYSO_HOME"
#: Largest configuration file read: a real one is a few KiB.
CONFIG_LIMIT = MiB

#: ``KYSO_*`` variables kyso reads that are not settings; any other one not named by a key's
#: ``pin_env`` is refused (docs/configuration.md, generated from this table).
OTHER_VARIABLES: dict[str, str] = {
    HOME_ENV: "default data directory of the server (when the file names no `home`) and the CLI",
    "KYSO_SERVER": "gRPC address the client commands call (`--server`)",
    "KYSO_TOKEN": "bearer token the client commands send (`--token-file` wins over it)",
    "KYSO_DEMO_PKI_PORT": "port of the embedded demo PKI's responders when it is created "
    "(default 50080; a free one when that is taken); at a later start, when another program "
    "holds the recorded port, the port to issue the demo certificates again for (0: any free)",
    "KYSO_TLS_CA": "CA certificates (PEM) the client commands trust for the server (`--ca`)",
    "KYSO_TLS_CERT": "client certificate (PEM) the client commands present (`--cert`)",
    "KYSO_TLS_KEY": "private key (PEM) of the client certificate (`--key`)",
    "KYSO_OTP": "the key owner's one-time code `kyso sign` sends (`--otp`; never logged)",
    "KYSO_OWNER_PIN": "the key owner's token PIN `kyso sign` sends (`--owner-pin`; never logged)",
}


def default_home() -> Path:
    """``KYSO_HOME`` if set, else the user's data directory."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("kyso")).resolve()


_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def check_listen(value: str) -> str:
    """``HOST:PORT`` (port 0-65535; 0 picks a free one; an IPv6 host in brackets).

    Raises :class:`ValueError` without repeating the value.
    """
    host, sep, port = value.rpartition(":")
    ok = bool(sep) and port.isascii() and port.isdigit() and int(port) <= 65535
    if ok and host.startswith("[") and host.endswith("]"):
        try:
            ok = ipaddress.ip_address(host[1:-1]).version == 6
        except ValueError:
            ok = False
    elif ok:
        ok = _HOST.fullmatch(host) is not None
    if not ok:
        raise ValueError("expected HOST:PORT, port 0-65535, an IPv6 host in brackets ([::1]:50051)")
    return value


def _check_redis_url(value: str | None) -> str | None:
    """A URL redis-py opens: ``redis://`` or ``rediss://`` with a host, or ``unix://`` a path.

    The value is never repeated: it may hold a password.
    """
    if value is None:
        return None
    problem = "expected a redis://HOST[:PORT][/DB], rediss://… or unix://PATH URL"
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port >= 0  # .port raises on a bad port
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme in ("redis", "rediss"):
        db = parts.path.removeprefix("/")
        ok = bool(parts.hostname) and port_ok and (db == "" or db.isdigit())
    else:
        ok = parts.scheme == "unix" and bool(parts.path)
    if not ok:
        raise ValueError(problem)
    return value


def is_loopback(listen: str) -> bool:
    """Whether ``listen``'s host is a loopback address: 127.0.0.0/8, ``::1`` or ``localhost``.

    Other host names are not resolved: a name is loopback only if it says so.
    """
    host = listen.rpartition(":")[0].strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_optional_listen(value: str | None) -> str | None:
    return None if value is None else check_listen(value)


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


Listen = Annotated[str, AfterValidator(check_listen)]
OptionalListen = Annotated[
    str | None, BeforeValidator(_empty_is_none), AfterValidator(_check_optional_listen)
]
RedisUrl = Annotated[str | None, BeforeValidator(_empty_is_none), AfterValidator(_check_redis_url)]


class ServerSettings(SettingsModel):
    """The whole file, validated strictly; :class:`Settings` adds the environment."""

    home: DirectoryPath = Field(
        default_factory=default_home,
        validate_default=True,
        description="data directory: trust store, audit log, tokens, caches "
        "(default $KYSO_HOME, else the user's data directory)",
    )
    listen: Listen = Field(
        DEFAULT_LISTEN,
        description="gRPC address, HOST:PORT (port 0-65535, 0: any free one; IPv6 in brackets); "
        "without [tls] a loopback address only",
    )
    health_listen: OptionalListen = Field(
        None,
        description="HOST:PORT of a second, plaintext listener serving only the gRPC health "
        "service (Kubernetes `grpc:` probes speak no TLS); off by default; any address, since "
        "health is open to every caller on `listen` too",
    )
    redis_url: RedisUrl = Field(
        None,
        description="Redis shared by replicas (`redis://`, `rediss://` or `unix://` URL): "
        "trust store, pending two-step signatures, revocation cache",
    )
    max_document_bytes: int = Field(
        100 * MiB, ge=1, description="largest document of a unary request (Sign, Verify)"
    )
    max_stream_bytes: int = Field(
        2048 * MiB, ge=1, description="largest document of SignStream/VerifyStream"
    )
    workers: int = Field(16, ge=1, description="threads serving requests")
    reuse_port: bool = Field(
        False, description="SO_REUSEPORT: several `kyso serve` processes share one port"
    )
    log_personal_names: bool = Field(
        False,
        description="let INFO logs carry the names in certificate subjects (libraries that "
        "log them are held at WARNING otherwise)",
    )
    keys: tuple[KeySettings, ...] = Field((), description="signing keys, one [[keys]] table each")
    signer: SignerSettings = Field(SignerSettings(), description="the [signer] section")
    verifier: VerifierSettings = Field(VerifierSettings(), description="the [verifier] section")
    intake: IntakeSettings = Field(
        IntakeSettings(), description="the [intake] section: edXML packages (docs/intake.md)"
    )
    trust_store: TrustStoreSettings = Field(
        TrustStoreSettings(), description="the [trust_store] section"
    )
    fetch: FetchSettings = Field(FetchSettings(), description="the [fetch] section")
    process_pool: ProcessPoolSettings = Field(
        ProcessPoolSettings(),
        description="the [process_pool] section: worker processes that verify (docs/robustness.md)",
    )
    shutdown_grace_seconds: float = Field(
        10.0,
        gt=0,
        description="on SIGTERM/SIGINT: how long in-flight requests may finish; then they are "
        "cancelled and the process exits, even with a request still stuck",
    )
    tls: TlsSettings | None = Field(
        None,
        description="the [tls] section; without it kyso listens in plaintext on loopback only",
    )
    clients: tuple[ClientSettings, ...] = Field(
        (), description="clients and their roles, one [[clients]] table each (deny by default)"
    )
    limits: LimitsSettings = Field(
        LimitsSettings(),
        description="the [limits] section: per-client concurrency, rate and pending two-step "
        "signatures (docs/security.md)",
    )
    tokens_file: OptionalNewFilePath = Field(
        None,
        description="bearer tokens of the clients with `token = true`, `<sha256> <name>` "
        "per line (default `<home>/auth/tokens`)",
    )
    audit: AuditSettings = Field(
        AuditSettings(), description="the [audit] section: signed checkpoints of both audits"
    )
    metrics: MetricsSettings = Field(
        MetricsSettings(), description="the [metrics] section: the Prometheus endpoint"
    )
    logging: LoggingSettings = Field(
        LoggingSettings(), description="the [logging] section: text or JSON lines"
    )
    tracing: TracingSettings = Field(
        TracingSettings(), description="the [tracing] section: OpenTelemetry (kyso[otel])"
    )
    demo_pki: bool = Field(
        False,
        description="serve the embedded demo PKI's OCSP/CRL/TSA responders of `<home>/demo` "
        "(127.0.0.1, the port recorded there); the kyso.toml of the embedded defaults sets it",
    )
    health: HealthSettings = Field(
        HealthSettings(), description="the [health] section: checks behind the health service"
    )

    @model_validator(mode="before")
    @classmethod
    def _keys_as_tuple(cls, data: Any) -> Any:
        for name in ("keys", "clients"):
            if isinstance(data, dict) and isinstance(data.get(name), list):
                data = {**data, name: tuple(data[name])}
        return data

    @model_validator(mode="after")
    def _unique_key_names(self) -> ServerSettings:
        names = [k.name for k in self.keys]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate key names {[shorten(n) for n in duplicates]}")
        return self

    @model_validator(mode="after")
    def _one_module_env_per_module(self) -> ServerSettings:
        """A module is loaded once per process, with one environment: keys sharing it agree."""
        seen: dict[str, tuple[str, dict[str, str]]] = {}
        for key in self.keys:
            if key.backend != "pkcs11" or not key.module:
                continue
            first = seen.setdefault(key.module, (key.name, key.module_env))
            if first[1] != key.module_env:
                raise ValueError(
                    f"keys {shorten(first[0])} and {shorten(key.name)} load the same PKCS#11 "
                    "module with different module_env: give every key of a module the same one"
                )
        return self

    @model_validator(mode="after")
    def _clients_consistent(self) -> ServerSettings:
        check_clients(self.clients, {k.name for k in self.keys})
        return self

    @model_validator(mode="after")
    def _pin_consent_keys_alone_on_their_token(self) -> ServerSettings:
        """A key whose owner's PIN is its consent is the only key of kyso on its token: a
        login by another key's pool would be shared (PKCS#11 logs in per application) and the
        owner's PIN no longer checked."""
        for key in self.keys:
            if key.owner_consent != "pin":
                continue
            others = [
                k.name
                for k in self.keys
                if k is not key and (k.module, k.token_label) == (key.module, key.token_label)
            ]
            if others:
                raise ValueError(
                    f'key {shorten(key.name)}: consent = "pin" needs a token of its own; '
                    f"{[shorten(n) for n in others]} use the same token"
                )
        return self

    @property
    def trust_store_path(self) -> Path:
        return self.trust_store.store_path(self.home)

    @property
    def audit_path(self) -> Path:
        return self.trust_store.audit_file(self.home)


_SCALARS: tuple[type, ...] = (bool, int, float)


def section_model(kind: Any) -> Any:
    """``X | None`` -> ``X`` for an optional section (``[tls]``); anything else as it is."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(models) == 1 and isinstance(models[0], type) and issubclass(models[0], BaseModel):
            return models[0]
    return kind


def _variables() -> dict[str, tuple[tuple[str, ...], Any]]:
    """Every override variable -> (where it goes, the field's type): generated from the models."""
    out: dict[str, tuple[tuple[str, ...], Any]] = {}
    for name, info in ServerSettings.model_fields.items():
        kind = section_model(info.annotation)
        if name == "home":
            continue  # KYSO_HOME: a default, read by default_home()
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            for sub, sub_info in kind.model_fields.items():
                out[f"{ENV_PREFIX}{name}__{sub}".upper()] = ((name, sub), sub_info.annotation)
        else:
            out[f"{ENV_PREFIX}{name}".upper()] = ((name,), kind)
    return out


#: ``KYSO_LISTEN`` -> (("listen",), str), ``KYSO_SIGNER__TSA_URL`` -> (("signer", "tsa_url"), …).
VARIABLES = _variables()


def _from_text(name: str, text: str, kind: Any) -> Any:
    """One variable's text as the value it stands for.

    ``KYSO_KEYS`` is JSON; numbers and booleans are read as a TOML value (``30``, ``0.5``,
    ``true``: ``1`` is not a boolean, ``"30"`` not a number); everything else is the text
    itself. Text that is no TOML value is left as it is, so validation names the variable
    and the type it expects. Raises :class:`InvalidInput` when ``KYSO_KEYS`` is not JSON.
    """
    if name in (f"{ENV_PREFIX}KEYS", f"{ENV_PREFIX}CLIENTS"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"the environment: {name}: expected a JSON array of key tables "
                f"({exc.msg} at line {exc.lineno}, column {exc.colno})",
            ) from None
    if kind in _SCALARS or (
        typing.get_args(kind) and set(typing.get_args(kind)) <= {*_SCALARS, type(None)}
    ):  # a number or boolean, or an optional one (`int | None`)
        try:
            doc = tomllib.loads(f"value = {text}")
        except tomllib.TOMLDecodeError:
            return text
        return doc["value"] if list(doc) == ["value"] else text
    return text


def _pin_variables(keys: Any) -> set[str]:
    """The ``pin_env`` of each key (tables, or :class:`KeySettings`)."""
    out: set[str] = set()
    for key in keys if isinstance(keys, list | tuple) else ():
        pin = key.get("pin_env") if isinstance(key, dict) else getattr(key, "pin_env", None)
        if isinstance(pin, str):
            out.add(pin)
    return out


class _EnvOverrides(PydanticBaseSettingsSource):
    """``KYSO_*`` variables: the overrides of :data:`VARIABLES`, and refusing unknown ones.

    Names are matched exactly (upper case, as documented). Runs before validation, with the
    file's values at hand (``file``) for the keys whose ``pin_env`` may name a variable.
    """

    def __init__(self, settings_cls: type[BaseSettings], file: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._file = file

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads the environment at once

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        others: list[str] = []
        for name, text in os.environ.items():
            if name in VARIABLES:
                where, kind = VARIABLES[name]
                target = values
                for part in where[:-1]:
                    target = target.setdefault(part, {})
                target[where[-1]] = _from_text(name, text, kind)
            elif name.upper().startswith(ENV_PREFIX) and name not in OTHER_VARIABLES:
                others.append(name)
        pins = _pin_variables(values["keys"] if "keys" in values else self._file.get("keys"))
        for audit in (values.get("audit"), self._file.get("audit")):  # [audit]'s token PIN
            if isinstance(audit, dict) and isinstance(audit.get("checkpoint_pin_env"), str):
                pins.add(audit["checkpoint_pin_env"])
        unknown = sorted(n for n in others if n not in pins)
        if unknown:
            known = [*VARIABLES, *OTHER_VARIABLES]
            problems = "; ".join(
                f"{shorten(n)}: unknown setting{did_you_mean(n.upper(), known)}" for n in unknown
            )
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"the environment: {problems} (docs/configuration.md lists the "
                "variables kyso reads; a key's pin_env may name others)",
            )
        # The file's sections are completed, not replaced, by a section's variables.
        for section, table in values.items():
            given = self._file.get(section)
            if isinstance(given, BaseModel):
                given = given.model_dump(exclude_unset=True)
            if isinstance(table, dict) and isinstance(given, dict):
                values[section] = {**given, **table}
        return values


class Settings(BaseSettings, ServerSettings):
    """:class:`ServerSettings` with environment overrides; what the server runs with.

    Build it with :func:`load_settings`. ``Settings(home=...)`` also works (tests, benchmarks):
    keyword arguments play the file's part, and the environment still overrides them.
    """

    # Strict like the file: environment text is read first (_EnvOverrides, _from_text).
    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    _source: Path | None = PrivateAttr(None)
    _embedded: bool = PrivateAttr(False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment first (it wins), then the file's values; no .env, no secrets dir."""
        file = getattr(init_settings, "init_kwargs", {})
        return (_EnvOverrides(settings_cls, file), init_settings)

    @property
    def source(self) -> Path | None:
        """The TOML file these settings came from, if any."""
        return self._source

    @property
    def embedded_defaults(self) -> bool:
        """True when ``kyso serve`` runs without ``--config`` (the demo of :mod:`kyso.demo`)."""
        return self._embedded

    def with_origin(
        self, *, source: Path | None = None, embedded: bool = False, listen: str | None = None
    ) -> Settings:
        """A copy saying where it came from (and listening elsewhere, if ``listen``)."""
        copy = self.model_copy(update={"listen": listen} if listen else None)
        copy._source = source
        copy._embedded = embedded
        return copy


def _environment(data: dict[str, Any]) -> Settings:
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise settings_error(
            exc, "the environment", env_prefix=ENV_PREFIX, model=ServerSettings
        ) from None


def _read_config(path: Path) -> dict[str, Any]:
    """The file's TOML, at most :data:`CONFIG_LIMIT` bytes (``--config /dev/zero`` ends too)."""
    try:
        with path.open("rb") as file:
            data = file.read(CONFIG_LIMIT + 1)
        if len(data) > CONFIG_LIMIT:
            size = path.stat().st_size
            got = f"{size} bytes" if size > CONFIG_LIMIT else "more"
            raise InvalidInput(
                "CONFIG_INVALID",
                problem=f"{path}: {got}, over the {CONFIG_LIMIT} bytes (1 MiB) "
                "a configuration file may have",
            )
        return tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput("CONFIG_INVALID", problem=f"cannot read {path}: {exc}") from exc


def load_settings(path: Path | None) -> Settings:
    """The settings of ``path`` with environment overrides; without a path, embedded defaults.

    Raises :class:`InvalidInput` (``CONFIG_INVALID``, or ``CONFIG_PIN_IN_FILE``) naming
    the file, each bad key's path and the type it expects.
    """
    if path is None:
        return _environment({}).with_origin(embedded=True)
    raw = _read_config(path)
    try:
        checked = ServerSettings.model_validate(
            raw, strict=True, context={BASE_DIR: path.parent.resolve()}
        )
    except ValidationError as exc:
        raise settings_error(exc, str(path), model=ServerSettings) from None
    # Only what the file set: defaults (home above all) are computed with the environment.
    return _environment(checked.model_dump(exclude_unset=True)).with_origin(source=path)


__all__ = [
    "CONFIG_LIMIT",
    "DEFAULT_LISTEN",
    "OTHER_VARIABLES",
    "VARIABLES",
    "ClientSettings",
    "ServerSettings",
    "Settings",
    "TlsSettings",
    "check_listen",
    "default_home",
    "is_loopback",
    "load_settings",
    "section_model",
]
