"""The signing audit: every signing attempt, allowed or refused, as an entry of a hash chain.

Same chain format and storage as the trust store's audit (:mod:`trust_store.audit`): a
JSON-lines file fsync'ed after each entry (``<home>/audit/signing.log``) or, with Redis, the
stream ``<ns>:audit:signing``.  An entry names who asked, with which key, profile and level,
the SHA-256 of the document given and of the document returned, the signature field, the
result and the error code: never the document, a PIN, or the signer's certificate subject.
The signed output's SHA-256 lets an agency prove which document a signature was made on.

Durability is the caller's contract: :meth:`SigningAudit.record` returns only once the entry
is on disk (fsync) or acknowledged by Redis, and raises :class:`Unavailable`
(``AUDIT_UNAVAILABLE``) otherwise, so that no signed document leaves kyso unaudited.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kyso.errors import KysoError, Unavailable
from trust_store.audit import (
    AuditLog,
    AuditReport,
    FileAuditLog,
    RedisAuditLog,
    canonical_json,
    seal_content,
)

log = logging.getLogger("kyso.signer.audit")

#: The chain's name: ``<home>/audit/signing.log``, Redis stream ``<ns>:audit:signing``.
CHAIN_NAME = "signing"


class SigningResult(enum.StrEnum):
    OK = "OK"  # a signed document (or, for PrepareSignature, a prepared one) was returned
    REFUSED = "REFUSED"  # a kyso error with a stable code
    ERROR = "ERROR"  # an unexpected failure (INTERNAL)
    #: the key made a signature, then the request failed (a worker lost or misbehaving after
    #: it was answered, docs/security.md): nothing was returned, but the use counts
    SIGNED_NOT_RETURNED = "SIGNED_NOT_RETURNED"


@dataclass(frozen=True)
class SigningAttempt:
    """What one signing RPC did, before it gets its place in the chain.

    ``operation`` is the RPC (Sign, SignStream, PrepareSignature, CompleteSignature);
    ``input_sha256`` / ``output_sha256`` are lowercase hex, empty when there was none.
    """

    actor: str
    operation: str
    result: SigningResult
    key: str = ""
    profile: str = ""
    level: str = ""
    input_sha256: str = ""
    output_sha256: str = ""
    field_name: str = ""
    code: str = ""
    pending_id: str = ""  # two-step: links PrepareSignature to its CompleteSignature


@dataclass(frozen=True)
class SigningAuditEntry:
    seq: int
    time: str  # ISO 8601, UTC
    actor: str
    operation: str
    result: str
    key: str
    profile: str
    level: str
    input_sha256: str
    output_sha256: str
    field_name: str
    code: str
    pending_id: str
    prev: str
    hash: str

    def to_json(self) -> str:
        return canonical_json(asdict(self))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SigningAuditEntry:
        return cls(**{name: str(raw.get(name, "")) for name in _TEXT_FIELDS}, seq=int(raw["seq"]))

    def when(self) -> datetime:
        return datetime.fromisoformat(self.time)


_TEXT_FIELDS = tuple(f for f in SigningAuditEntry.__dataclass_fields__ if f != "seq")


def seal_attempt(attempt: SigningAttempt, *, seq: int, prev: str) -> SigningAuditEntry:
    """Give ``attempt`` its place in the signing chain."""
    content = asdict(attempt)
    content["result"] = str(attempt.result)
    return SigningAuditEntry.from_dict(seal_content(content, seq=seq, prev=prev))


class SigningAudit:
    """The signing chain, in a file or a Redis stream."""

    def __init__(self, chain: AuditLog[SigningAttempt, SigningAuditEntry], where: str) -> None:
        self.chain = chain  # the storage (checkpoints attach to it)
        self._chain = chain
        self.where = where  # for messages: the file, or the Redis stream key

    @classmethod
    def file(cls, path: Path) -> SigningAudit:
        return cls(FileAuditLog(path, seal_attempt, SigningAuditEntry.from_dict), str(path))

    @classmethod
    def redis(cls, client: Any, namespace: str) -> SigningAudit:
        chain: RedisAuditLog[SigningAttempt, SigningAuditEntry] = RedisAuditLog(
            client, namespace, seal_attempt, SigningAuditEntry.from_dict, name=CHAIN_NAME
        )
        return cls(chain, chain.stream_key)

    def record(self, attempt: SigningAttempt) -> SigningAuditEntry:
        """Append ``attempt`` durably; :class:`Unavailable` (``AUDIT_UNAVAILABLE``) if not."""
        try:
            return self._chain.append(attempt)
        except Unavailable:
            log.error("signing audit: cannot write to %s", self.where)
            raise
        except OSError as exc:
            log.error("signing audit: cannot write to %s: %s", self.where, exc.strerror)
            raise Unavailable(
                "AUDIT_UNAVAILABLE", problem="the signing audit log cannot be written"
            ) from exc

    def record_failure(self, attempt: SigningAttempt) -> None:
        """Audit a refusal; failing to do so is logged and never hides the refusal itself."""
        try:
            self.record(attempt)
        except KysoError:
            log.error("signing audit: a %s %s was not recorded", attempt.operation, attempt.result)

    def entries(
        self, *, key: str | None = None, since: datetime | None = None, newest: int = 0
    ) -> list[SigningAuditEntry]:
        """Entries oldest first, filtered by key name and time; the ``newest`` N if > 0."""
        out = [
            e
            for e in self._chain.entries()
            if (not key or e.key == key) and (since is None or e.when() >= since)
        ]
        return out[-newest:] if newest > 0 else out

    def verify(self) -> AuditReport:
        return self._chain.verify()


__all__ = [
    "CHAIN_NAME",
    "SigningAttempt",
    "SigningAudit",
    "SigningAuditEntry",
    "SigningResult",
    "seal_attempt",
]
