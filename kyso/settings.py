"""What every package's settings share: the model base, file-relative paths, error wording.

Each domain package declares its own section (``signer.settings``, ``verifier.settings``,
``trust_store.settings``) on :class:`SettingsModel`; ``kyso.server.settings`` composes them
and reads the TOML file. Validation is strict (``"thirty"`` or ``"30"`` for a number of
seconds is an error, not a conversion; a number must be finite) and an unknown key is an
error naming that key. A pydantic :class:`~pydantic.ValidationError` becomes one
:class:`kyso.errors.InvalidInput` (code ``CONFIG_INVALID``) naming every bad key's path and
the type it expects, on one line; names it repeats are cut to :data:`ECHO_LIMIT` characters.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails

from kyso.errors import Composed, InvalidInput

#: Key of the validation context holding the directory relative paths resolve against.
BASE_DIR = "base_dir"


class SettingsModel(BaseModel):
    """A section of the configuration: strict, closed (unknown keys refused), immutable.

    Numbers must be finite: TOML and JSON can spell ``inf`` and ``nan``, and no timeout,
    size or diameter means either.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


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


def _directory(value: Path | None) -> Path | None:
    """A directory kyso may create: refused when something else already has its name."""
    if value is not None and value.exists() and not value.is_dir():
        raise ValueError("expected a directory, got an existing file")
    return value


def _existing_directory(value: Path | None) -> Path | None:
    """A directory kyso only reads: it must exist."""
    if value is not None and not value.is_dir():
        problem = "an existing file" if value.exists() else "a path that does not exist"
        raise ValueError(f"expected an existing directory, got {problem}")
    return value


def _file(value: Path | None) -> Path | None:
    """A file kyso may create: refused when a directory already has its name."""
    if value is not None and value.is_dir():
        raise ValueError("expected a file, got an existing directory")
    return value


def _to_tuple(value: Any) -> Any:
    """TOML arrays arrive as lists; the immutable models keep tuples."""
    return tuple(value) if isinstance(value, list) else value


#: A path; relative ones are relative to the file that names them.
FilePath = Annotated[Path, BeforeValidator(_to_path)]
#: A path or nothing (empty text also means nothing).
OptionalFilePath = Annotated[Path | None, BeforeValidator(_to_path)]
#: A directory kyso may create (an existing path must be a directory).
DirectoryPath = Annotated[Path, BeforeValidator(_to_path), AfterValidator(_directory)]
#: The same, or nothing.
OptionalDirectoryPath = Annotated[
    Path | None, BeforeValidator(_to_path), AfterValidator(_directory)
]
#: A directory that must exist, or nothing.
OptionalExistingDirectory = Annotated[
    Path | None, BeforeValidator(_to_path), AfterValidator(_existing_directory)
]
#: A file kyso may create (an existing path must not be a directory), or nothing.
OptionalNewFilePath = Annotated[Path | None, BeforeValidator(_to_path), AfterValidator(_file)]
#: How the settings reference names each kind of path (by the validator that checks it).
PATH_KINDS: dict[Any, str] = {
    _directory: "directory",
    _existing_directory: "existing directory",
    _file: "file",
}
#: A list of :data:`FilePath`.
FilePaths = Annotated[tuple[Path, ...], BeforeValidator(_to_paths)]
#: A TOML array of strings, kept as a tuple.
Strings = Annotated[tuple[str, ...], BeforeValidator(_to_tuple)]


# -- errors -------------------------------------------------------------------------------

#: Longest name or value an error message repeats: a 10 MB key must not make a 10 MB line.
ECHO_LIMIT = 64


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ``…`` saying it was cut."""
    return text if len(text) <= limit else text[:limit] + "…"


#: pydantic error type -> what was expected.
_EXPECTED: dict[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
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
    """``("keys", 0, "pool_size")`` -> ``keys[0].pool_size``, as the TOML file reads.

    Each name is cut to :data:`ECHO_LIMIT` characters (an unknown key may be any length).
    """
    out = ""
    for part in loc:
        name = shorten(str(part))
        out += f"[{part}]" if isinstance(part, int) else (f".{name}" if out else name)
    return out


def env_name(prefix: str, loc: tuple[int | str, ...]) -> str:
    """``("signer", "tsa_url")`` -> ``KYSO_SIGNER__TSA_URL`` (the variable that sets it).

    Inside a variable holding a list (``KYSO_KEYS``) the rest reads as in the file:
    ``("keys", 0, "pool_size")`` -> ``KYSO_KEYS[0].pool_size``. ``""`` for no location.
    """
    head = 0
    while head < len(loc) and isinstance(loc[head], str):
        head += 1
    if head == 0:
        return ""
    name = shorten(prefix + "__".join(str(p) for p in loc[:head]).upper())
    rest = key_path(loc[head:])
    return name + (rest if rest.startswith("[") or not rest else "." + rest)


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
        type(value), "list" if isinstance(value, list | tuple) else type(value).__name__
    )


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean redis_url?"`` for a misspelt ``redis_ulr``, else ``""`` (difflib's
    closest match, similarity 0.6 or more)."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``X``, ``X | None``, ``tuple[X, ...]`` or ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg) if arg is not type(None) else None
        if found is not None:
            return found
    return None


def known_keys(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The keys the table at ``loc`` (a path below ``model``, list indexes included) accepts."""
    for part in loc:
        if model is None:
            return ()
        if isinstance(part, str):
            info = model.model_fields.get(part)
            model = _model_of(info.annotation) if info is not None else None
    return tuple(model.model_fields) if model is not None else ()


def _describe(
    error: ErrorDetails, env_prefix: str | None, model: type[BaseModel] | None = None
) -> str:
    """One problem; never quotes the value (it may be a secret)."""
    loc = tuple(error["loc"])
    where = (env_name(env_prefix, loc) if env_prefix else key_path(loc)) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        hint = ""
        if loc and isinstance(loc[-1], str):
            hint = did_you_mean(loc[-1], known_keys(model, loc[:-1]))
        return f"{where}: unknown setting{hint}"
    if kind == "missing":
        return f"{where}: required"
    if kind in _EXPECTED:
        return f"{where}: expected {_EXPECTED[kind]}, got {_type_name(error['input'])}"
    if kind == "literal_error":
        return f"{where}: expected one of {(error.get('ctx') or {}).get('expected', '')}"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


def settings_error(
    exc: ValidationError,
    source: str,
    *,
    env_prefix: str | None = None,
    model: type[BaseModel] | None = None,
) -> InvalidInput:
    """Every problem of ``exc`` in one ``CONFIG_INVALID`` error naming ``source``.

    The problem (English, for the operator; the catalogue's Vietnamese text says what to do
    with it) names each bad key's path and the type it expects, on one line;
    with ``env_prefix`` keys are named as the environment variables that set them; with
    ``model`` (the file's root model) an unknown key gets the closest known one ("did you
    mean redis_url?"). A PIN
    written in the file keeps its own code, ``CONFIG_PIN_IN_FILE``: the fix is not another
    value but moving the secret out of the file.
    """
    errors = exc.errors(include_url=False)
    if any(e["type"] == "pin_in_file" for e in errors):
        return InvalidInput("CONFIG_PIN_IN_FILE")
    problems = "; ".join(_describe(e, env_prefix, model) for e in errors)
    return InvalidInput("CONFIG_INVALID", problem=Composed(f"{source}: {problems}"))


__all__ = [
    "BASE_DIR",
    "ECHO_LIMIT",
    "PATH_KINDS",
    "DirectoryPath",
    "FilePath",
    "FilePaths",
    "OptionalDirectoryPath",
    "OptionalExistingDirectory",
    "OptionalFilePath",
    "OptionalNewFilePath",
    "SettingsModel",
    "Strings",
    "did_you_mean",
    "env_name",
    "key_path",
    "known_keys",
    "settings_error",
    "shorten",
]
