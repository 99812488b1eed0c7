"""What every package's settings share: the model base, file-relative paths, error wording.

Each domain package declares its own section (``signer.settings``, ``verifier.settings``,
``trust_store.settings``) on :class:`SettingsModel`; ``kyso.server.settings`` composes them
and reads the TOML file. Validation is strict (``"thirty"`` or ``"30"`` for a number of
seconds is an error, not a conversion) and an unknown key is an error naming that key.
A pydantic :class:`~pydantic.ValidationError` becomes one :class:`kyso.errors.InvalidInput`
(code ``CONFIG_INVALID``) naming every bad key's path and the type it expects, on one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails

from kyso.errors import InvalidInput

#: Key of the validation context holding the directory relative paths resolve against.
BASE_DIR = "base_dir"


class SettingsModel(BaseModel):
    """A section of the configuration: strict, closed (unknown keys refused), immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _to_path(value: Any, info: ValidationInfo) -> Any:
    """Text to a :class:`Path`: ``~`` expanded, relative to the config file's directory."""
    if isinstance(value, str):
        if value == "":
            return None
        value = Path(value)
    if isinstance(value, Path):
        value = value.expanduser()
        base = (info.context or {}).get(BASE_DIR)
        if base is not None and not value.is_absolute():
            value = Path(base) / value
    return value


def _to_paths(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_to_path(v, info) for v in value)
    return value


def _to_tuple(value: Any) -> Any:
    """TOML arrays arrive as lists; the immutable models keep tuples."""
    return tuple(value) if isinstance(value, list) else value


#: A path; relative ones are relative to the file that names them.
FilePath = Annotated[Path, BeforeValidator(_to_path)]
#: A path or nothing (empty text also means nothing).
OptionalFilePath = Annotated[Path | None, BeforeValidator(_to_path)]
#: A list of :data:`FilePath`.
FilePaths = Annotated[tuple[Path, ...], BeforeValidator(_to_paths)]
#: A TOML array of strings, kept as a tuple.
Strings = Annotated[tuple[str, ...], BeforeValidator(_to_tuple)]


# -- errors -------------------------------------------------------------------------------

#: pydantic error type -> what was expected.
_EXPECTED: dict[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "path_type": "a path (a string)",
    "tuple_type": "a list",
    "list_type": "a list",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def key_path(loc: tuple[int | str, ...]) -> str:
    """``("keys", 0, "pool_size")`` -> ``keys[0].pool_size``, as the TOML file reads."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def env_name(prefix: str, loc: tuple[int | str, ...]) -> str:
    """``("signer", "tsa_url")`` -> ``KYSO_SIGNER__TSA_URL`` (the variable that sets it)."""
    return prefix + "__".join(str(p) for p in loc if isinstance(p, str)).upper()


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
        type(value), "list" if isinstance(value, list | tuple) else type(value).__name__
    )


def _describe(error: ErrorDetails, env_prefix: str | None) -> str:
    """One problem; never quotes the value (it may be a secret)."""
    loc = tuple(error["loc"])
    where = (env_name(env_prefix, loc) if env_prefix else key_path(loc)) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown setting"
    if kind == "missing":
        return f"{where}: required"
    if kind in _EXPECTED:
        return f"{where}: expected {_EXPECTED[kind]}, got {_type_name(error['input'])}"
    if kind == "literal_error":
        return f"{where}: expected one of {(error.get('ctx') or {}).get('expected', '')}"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


def settings_error(
    exc: ValidationError, source: str, *, env_prefix: str | None = None
) -> InvalidInput:
    """Every problem of ``exc`` in one ``CONFIG_INVALID`` error naming ``source``.

    The problem (English, for the operator; the catalogue's Vietnamese text is the short
    "cấu hình không hợp lệ") names each bad key's path and the type it expects, on one line;
    with ``env_prefix`` keys are named as the environment variables that set them. A PIN
    written in the file keeps its own code, ``CONFIG_PIN_IN_FILE``: the fix is not another
    value but moving the secret out of the file.
    """
    errors = exc.errors(include_url=False)
    if any(e["type"] == "pin_in_file" for e in errors):
        return InvalidInput("CONFIG_PIN_IN_FILE")
    problems = "; ".join(_describe(e, env_prefix) for e in errors)
    return InvalidInput("CONFIG_INVALID", problem=f"{source}: {problems}")


__all__ = [
    "BASE_DIR",
    "FilePath",
    "FilePaths",
    "OptionalFilePath",
    "SettingsModel",
    "Strings",
    "env_name",
    "key_path",
    "settings_error",
]
