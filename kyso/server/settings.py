"""The server's settings: one TOML file composing each package's section, or embedded defaults.

The file's shape::

    home = "/var/lib/kyso"            # top level: where and how the server runs
    listen = "127.0.0.1:50051"
    [signer]        -> signer.settings.SignerSettings
    [verifier]      -> verifier.settings.VerifierSettings
    [trust_store]   -> trust_store.settings.TrustStoreSettings
    [[keys]]        -> signer.settings.KeySettings, one table per key

Relative paths in the file are relative to the file. Environment variables override the
file: ``KYSO_<KEY>`` for a top-level key, ``KYSO_<SECTION>__<KEY>`` inside a section (e.g.
``KYSO_SIGNER__TSA_URL``), ``KYSO_KEYS`` as a JSON array. ``KYSO_HOME`` is the exception:
it has always named the default data directory, for the CLI as well, so it applies only when
the file names no ``home``. Secrets never live in the file (:mod:`signer.settings`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, TypeAdapter, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from kyso.errors import InvalidInput
from kyso.settings import BASE_DIR, FilePath, SettingsModel, settings_error
from signer.settings import KeySettings, SignerSettings
from trust_store.settings import TrustStoreSettings
from verifier.settings import VerifierSettings

DEFAULT_LISTEN = "127.0.0.1:50051"
MiB = 1024 * 1024
ENV_PREFIX = "KYSO_"
HOME_ENV = "KYSO_HOME"


def default_home() -> Path:
    """``KYSO_HOME`` if set, else the user's data directory."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("kyso")).resolve()


class ServerSettings(SettingsModel):
    """The whole file, validated strictly; :class:`Settings` adds the environment."""

    home: FilePath = Field(
        default_factory=default_home,
        description="data directory: trust store, audit log, tokens, caches "
        "(default $KYSO_HOME, else the user's data directory)",
    )
    listen: str = Field(DEFAULT_LISTEN, description="gRPC address, HOST:PORT")
    redis_url: str | None = Field(
        None,
        description="Redis shared by replicas: trust store, pending two-step signatures, "
        "revocation cache",
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
    keys: tuple[KeySettings, ...] = Field((), description="signing keys, one [[keys]] table each")
    signer: SignerSettings = Field(SignerSettings(), description="the [signer] section")
    verifier: VerifierSettings = Field(VerifierSettings(), description="the [verifier] section")
    trust_store: TrustStoreSettings = Field(
        TrustStoreSettings(), description="the [trust_store] section"
    )

    @model_validator(mode="before")
    @classmethod
    def _keys_as_tuple(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("keys"), list):
            data = {**data, "keys": tuple(data["keys"])}
        return data

    @model_validator(mode="after")
    def _unique_key_names(self) -> ServerSettings:
        names = [k.name for k in self.keys]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate key names {duplicates}")
        return self

    @property
    def trust_store_path(self) -> Path:
        return self.trust_store.store_path(self.home)

    @property
    def audit_path(self) -> Path:
        return self.trust_store.audit_file(self.home)


_SCALARS: tuple[type, ...] = (bool, int, float)


def _from_text(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """Environment text to the numbers and booleans the strict sections expect.

    Text that does not convert is left as it is, so validation names the key and its type.
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        field = model.model_fields.get(key)
        kind = field.annotation if field is not None else None
        if isinstance(value, dict) and isinstance(kind, type) and issubclass(kind, BaseModel):
            value = _from_text(kind, value)
        elif isinstance(value, str) and kind in _SCALARS:
            try:
                value = TypeAdapter(kind).validate_python(value.strip())
            except ValidationError:
                pass
        out[key] = value
    return out


class _EnvOverrides(EnvSettingsSource):
    """``KYSO_*`` variables, except ``KYSO_HOME`` (a default for ``home``, not an override)."""

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        values.pop("home", None)
        return _from_text(ServerSettings, values)


class Settings(BaseSettings, ServerSettings):
    """:class:`ServerSettings` with environment overrides; what the server runs with.

    Build it with :func:`load_settings`. ``Settings(home=...)`` also works (tests, benchmarks):
    keyword arguments play the file's part, and the environment still overrides them.
    """

    # Strict like the file: environment text is converted first (_from_text).
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

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
        return (_EnvOverrides(settings_cls), init_settings)

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
        raise settings_error(exc, "the environment", env_prefix=ENV_PREFIX) from None


def load_settings(path: Path | None) -> Settings:
    """The settings of ``path`` with environment overrides; without a path, embedded defaults.

    Raises :class:`InvalidInput` (``CONFIG_INVALID``, or ``CONFIG_PIN_IN_FILE``) naming
    the file, each bad key's path and the type it expects.
    """
    if path is None:
        return _environment({}).with_origin(embedded=True)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput("CONFIG_INVALID", problem=f"cannot read {path}: {exc}") from exc
    try:
        checked = ServerSettings.model_validate(
            raw, strict=True, context={BASE_DIR: path.parent.resolve()}
        )
    except ValidationError as exc:
        raise settings_error(exc, str(path)) from None
    # Only what the file set: defaults (home above all) are computed with the environment.
    return _environment(checked.model_dump(exclude_unset=True)).with_origin(source=path)


__all__ = ["DEFAULT_LISTEN", "ServerSettings", "Settings", "default_home", "load_settings"]
