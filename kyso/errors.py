"""One error hierarchy for every kyso package, by meaning, with one code catalogue.

An error is raised with a stable code from the catalogue and the parameters
its messages need: ``NotFound("KEY_NOT_FOUND", key=name)``.  The class says
what kind of failure it is; the code says which one.  Each class may only
raise the codes of its own group in ``kyso._error_codes`` (a unit test reads
every raise site).  Errors know nothing of gRPC: ``kyso.server.status`` maps
each class to a status code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from kyso import _error_codes as _codes
from kyso._error_codes import RENAMED, Texts

#: Longest text of a caller's input an error message repeats (characters): a 1 MB anchor text
#: must not become 2 MB of gRPC status metadata (robustness issue 9, item 10).
QUOTE_LIMIT = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Composed(str):
    """Text kyso assembled itself from parts it already bounded (e.g. every problem of a
    configuration file, each name cut by ``kyso.settings.shorten``): :func:`quoted` escapes
    its control characters but does not cut it."""

    __slots__ = ()


def quoted(value: object, limit: int = QUOTE_LIMIT) -> object:
    """``value`` as an error message may repeat it: text cut to ``limit`` characters (``…``
    marks the cut) with control characters escaped (``\\x0a``); other values unchanged."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value[: limit + 1]).decode("utf-8", "replace")
    if not isinstance(value, str):
        return value
    if isinstance(value, Composed):
        limit = len(value)
    cut = value[:limit]
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", cut)
    return text + "…" if len(value) > limit else text


class KysoError(Exception):
    """Base of every error kyso raises on purpose.

    ``code`` is stable English for machines and logs; ``message_en`` and
    ``message_vi`` are the catalogue's templates filled with ``params``, each text
    parameter cut to :data:`QUOTE_LIMIT` characters with control characters escaped
    (:func:`quoted`): the one place where caller input reaches a message.
    Raises :class:`LookupError` if ``code`` is not one of this class's codes
    (a programming error, caught by the catalogue test before it ships).
    """

    codes: ClassVar[Mapping[str, Texts]] = {}
    #: set when a signing key made a signature before this error ended the request: the use
    #: counts and the audit says SIGNED_NOT_RETURNED (docs/security.md, Workers)
    signature_made: bool = False

    def __init__(self, code: str, /, **params: object) -> None:
        texts = self.codes.get(code)
        if texts is None:
            raise LookupError(f"{code} is not a {type(self).__name__} code of the catalogue")
        self.code = code
        self.params = {name: quoted(value) for name, value in params.items()}
        self.message_en = texts.en.format(**self.params)
        self.message_vi = texts.vi.format(**self.params)
        super().__init__(self.message_en)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en} ({self.message_vi})"


class InvalidInput(KysoError):
    """The caller sent something kyso cannot accept (not a PDF, a bad option...)."""

    codes = _codes.INVALID_INPUT


class NotFound(KysoError):
    """A named thing (key, certificate, pending signature, anchor text) does not exist."""

    codes = _codes.NOT_FOUND


class AlreadyExists(KysoError):
    """What the caller asks to create is already there."""

    codes = _codes.ALREADY_EXISTS


class Precondition(KysoError):
    """The request is well formed but the state of the world forbids it."""

    codes = _codes.PRECONDITION


class Aborted(KysoError):
    """Optimistic concurrency lost: the caller's expected version is stale."""

    codes = _codes.ABORTED


class ResourceExhausted(KysoError):
    """Over a configured limit (document size, pending signatures...)."""

    codes = _codes.RESOURCE_EXHAUSTED


class Unavailable(KysoError):
    """A backend (token, Redis, TSA, directory) cannot be used right now; retrying may help."""

    codes = _codes.UNAVAILABLE


class DeadlineExceeded(KysoError):
    """The work took longer than the caller's deadline."""

    codes = _codes.DEADLINE_EXCEEDED


class PermissionDenied(KysoError):
    """The caller is known but its role does not allow the operation."""

    codes = _codes.PERMISSION_DENIED


class Unauthenticated(KysoError):
    """The caller presented no usable credential."""

    codes = _codes.UNAUTHENTICATED


class Internal(KysoError):
    """A fault inside kyso (corrupt state, a bug); never the caller's doing."""

    codes = _codes.INTERNAL


MEANINGS: tuple[type[KysoError], ...] = (
    InvalidInput,
    NotFound,
    AlreadyExists,
    Precondition,
    Aborted,
    ResourceExhausted,
    Unavailable,
    DeadlineExceeded,
    PermissionDenied,
    Unauthenticated,
    Internal,
)
"""Every class by meaning, in the order ``docs/errors.md`` lists them."""


def _index() -> dict[str, tuple[type[KysoError], Texts]]:
    index: dict[str, tuple[type[KysoError], Texts]] = {}
    for kind in MEANINGS:
        for code, texts in kind.codes.items():
            if code in index:
                raise RuntimeError(f"error code {code} is catalogued twice")
            index[code] = (kind, texts)
    return index


CATALOGUE: Mapping[str, tuple[type[KysoError], Texts]] = _index()
"""Every stable code: the class that raises it and its English/Vietnamese templates."""


__all__ = [
    "CATALOGUE",
    "MEANINGS",
    "QUOTE_LIMIT",
    "RENAMED",
    "Aborted",
    "AlreadyExists",
    "Composed",
    "DeadlineExceeded",
    "Internal",
    "InvalidInput",
    "KysoError",
    "NotFound",
    "PermissionDenied",
    "Precondition",
    "ResourceExhausted",
    "Texts",
    "Unauthenticated",
    "Unavailable",
    "quoted",
]
