"""Signed checkpoints of an audit chain: its head, signed every N entries and at shutdown.

The hash chain (:mod:`trust_store.audit`) shows an edited, removed or reordered entry, but
whoever can write both the log and its head can cut the end or rewrite the whole chain
consistently. A *checkpoint* is the chain's name, the sequence number and hash of an entry
(the head when it was written), the time, and a signature over them by a key kyso holds for
that purpose only. Checking a chain against its checkpoints, with a public key pinned outside
the checkpoint store, detects

* truncation: the log ends before an entry a checkpoint covers;
* a consistent rewrite: entry ``seq`` no longer has the hash a checkpoint signed;
* checkpoints deleted or forged: a signature that does not verify with the pinned key, or no
  checkpoint where every ``checkpoint_every`` entries one should be.

What it cannot see: entries after the newest checkpoint, removed or rewritten by someone who
also holds the log's head (the report counts them as "not yet covered"), and anything done by
someone who holds the checkpoint key itself.

Storage: JSON lines beside the log (``<log>.checkpoints``, fsync'ed), or a Redis stream
(``<chain stream>:checkpoints``). Signatures: Ed25519 (the generated key), ECDSA with SHA-256,
or RSA PKCS#1 v1.5 with SHA-256 (RFC 8032, FIPS 186-4, RFC 8017), from a PEM key file.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from kyso.errors import Composed, InvalidInput
from kyso.secret_files import write_secret

log = logging.getLogger("kyso.audit.checkpoints")

#: Domain separation: these bytes start every signed checkpoint, so a checkpoint signature
#: can never be taken for the signature of anything else.
CONTEXT = b"kyso audit checkpoint v1\n"

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class Checkpoint:
    """One signed head: entries ``1..seq`` of ``chain``, the newest with hash ``hash``."""

    chain: str  # "trust" | "signing"
    seq: int
    hash: str  # hex SHA-256 of entry seq
    time: str  # ISO 8601, UTC
    key_id: str  # hex SHA-256 of the signing key's SubjectPublicKeyInfo (DER)
    algorithm: str  # ed25519 | ecdsa-sha256 | rsa-pkcs1v15-sha256
    signature: str = ""  # base64

    def signed_bytes(self) -> bytes:
        content = {k: v for k, v in asdict(self).items() if k != "signature"}
        return CONTEXT + json.dumps(content, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Checkpoint:
        """Raises ValueError (or KeyError/TypeError) for anything but a checkpoint."""
        obj = json.loads(raw)
        if not isinstance(obj, dict):
            raise ValueError("not an object")
        return cls(
            chain=str(obj["chain"]),
            seq=int(obj["seq"]),
            hash=str(obj["hash"]),
            time=str(obj["time"]),
            key_id=str(obj["key_id"]),
            algorithm=str(obj["algorithm"]),
            signature=str(obj["signature"]),
        )


def key_id(public_key: PublicKey) -> str:
    """Hex SHA-256 of the key's SubjectPublicKeyInfo (DER)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "ecdsa-sha256"
    return "rsa-pkcs1v15-sha256"


class CheckpointSigner(Protocol):
    """What signs checkpoints: a key file today; a PKCS#11 key would be another one."""

    @property
    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


class FileKeySigner:
    """A PEM private key (unencrypted) read once at start-up."""

    def __init__(self, key: PrivateKey) -> None:
        self._key = key

    @property
    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hashes.SHA256()))
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def verify_signature(public_key: PublicKey, checkpoint: Checkpoint) -> bool:
    """Whether ``checkpoint``'s signature verifies with ``public_key`` (and its algorithm)."""
    if checkpoint.algorithm != _algorithm(public_key):
        return False
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except ValueError:
        return False
    return _verifies(public_key, signature, checkpoint.signed_bytes())


def probe_public_key(signer: CheckpointSigner, pinned: Mapping[str, PublicKey]) -> PublicKey:
    """The pinned public key that verifies a probe ``signer`` signs now (a key on a token,
    whose public half is not read from the token); :class:`InvalidInput`
    (``CONFIG_INVALID``) when none does."""
    probe = CONTEXT + b"probe " + os.urandom(16)
    signature = signer.sign(probe)
    for public_key in pinned.values():
        if _verifies(public_key, signature, probe):
            return public_key
    raise InvalidInput(
        "CONFIG_INVALID",
        problem="audit.checkpoint_public_key does not pin the public key of the token's "
        "checkpoint key (audit.checkpoint_key_label)",
    )


def _verifies(public_key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, data)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_checkpoint(signer: CheckpointSigner, chain: str, seq: int, digest: str) -> Checkpoint:
    """A checkpoint of entry ``seq`` (hash ``digest``) of ``chain``, signed now."""
    unsigned = Checkpoint(
        chain=chain,
        seq=seq,
        hash=digest,
        time=datetime.now(UTC).isoformat(timespec="microseconds"),
        key_id=key_id(signer.public_key),
        algorithm=_algorithm(signer.public_key),
    )
    signature = base64.b64encode(signer.sign(unsigned.signed_bytes())).decode()
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


# -- keys ----------------------------------------------------------------------------


def _config_error(setting: str, path: Path, problem: str) -> InvalidInput:
    # The operator's own paths and kyso's words, never a caller's input: not cut at
    # QUOTE_LIMIT (two long paths would cut off the fix the message gives).
    return InvalidInput("CONFIG_INVALID", problem=Composed(f"{setting}: {path}: {problem}"))


def load_private_key(path: Path, setting: str = "audit.checkpoint_key") -> PrivateKey:
    """A PEM private key (Ed25519, EC or RSA, unencrypted); :class:`InvalidInput`
    (``CONFIG_INVALID``) naming ``setting`` otherwise."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise _config_error(setting, path, exc.strerror or "unreadable") from None
    except (ValueError, TypeError):
        raise _config_error(setting, path, "not an unencrypted PEM private key") from None
    if not isinstance(
        key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    ):
        raise _config_error(setting, path, "an Ed25519, EC or RSA key is needed")
    return key


def load_public_keys(
    path: Path, setting: str = "audit.checkpoint_public_key"
) -> dict[str, PublicKey]:
    """Every PEM public key in ``path`` (old keys stay there to check old checkpoints), by
    :func:`key_id`; :class:`InvalidInput` (``CONFIG_INVALID``) when there is none."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise _config_error(setting, path, exc.strerror or "unreadable") from None
    keys: dict[str, PublicKey] = {}
    marker = b"-----END PUBLIC KEY-----"
    for block in text.split(marker)[:-1]:
        try:
            key = serialization.load_pem_public_key(block.strip() + b"\n" + marker + b"\n")
        except ValueError:
            raise _config_error(setting, path, "not PEM public keys") from None
        if isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            keys[key_id(key)] = key
    if not keys:
        raise _config_error(setting, path, "no Ed25519, EC or RSA public key in it")
    return keys


def _public_pem(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def generate_key(key_path: Path, public_path: Path) -> None:
    """Create an Ed25519 key at ``key_path`` (mode 0600, in a 0700 directory) and pin its
    public key in ``public_path``. Refuses (``CONFIG_INVALID``) when a public key is pinned
    already: a lost key is restored or its pin removed by an operator, never replaced silently.
    """
    if public_path.exists():
        raise _config_error(
            "audit.checkpoint_key",
            key_path,
            f"missing, but {public_path} pins a checkpoint key: restore the key, or move the "
            "pin file away to start a new key (docs/security.md)",
        )
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_secret(key_path, pem, exclusive=True)  # 0600 in a 0700 directory
    fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, _public_pem(key.public_key()))
        os.fsync(fd)
    finally:
        os.close(fd)
    log.debug("audit checkpoint key created: %s (public key pinned in %s)", key_path, public_path)


# -- storage -------------------------------------------------------------------------


class CheckpointStore(Protocol):
    def append(self, checkpoint: Checkpoint) -> None: ...

    def records(self) -> list[str]: ...


class FileCheckpoints:
    """JSON lines, one checkpoint each, fsync'ed (``<log>.checkpoints``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, checkpoint: Checkpoint) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (checkpoint.to_json() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self) -> list[str]:
        try:
            data = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        return [line for line in data.split("\n") if line.strip()]


class RedisCheckpoints:
    """A Redis stream beside the chain's (``<chain stream>:checkpoints``)."""

    def __init__(self, redis: Any, key: str) -> None:
        self._redis = redis
        self.key = key

    def append(self, checkpoint: Checkpoint) -> None:
        self._redis.xadd(self.key, {"checkpoint": checkpoint.to_json()})

    def records(self) -> list[str]:
        out = []
        for _id, fields in self._redis.xrange(self.key, "-", "+"):
            value = fields.get(b"checkpoint") or fields.get("checkpoint") or b""
            out.append(value.decode() if isinstance(value, bytes) else str(value))
        return out


# -- checking ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointFinding:
    """A problem found by :func:`check_checkpoints` (``kind`` as in the audit report)."""

    position: int  # 1-based position of the checkpoint in its store (0: none)
    seq: int
    kind: str  # checkpoint_unreadable|checkpoint_forged|truncated|rewritten|checkpoint_missing
    message: str


@dataclass
class CheckpointResult:
    checked: bool = False  # False: no pinned public key to check with
    count: int = 0
    covered_seq: int = 0  # the newest checkpoint that verified and matches the chain
    findings: list[CheckpointFinding] | None = None


def check_checkpoints(
    records: Sequence[str],
    *,
    chain: str | None,
    hashes: Mapping[int, str],
    last_seq: int,
    public_keys: Mapping[str, PublicKey],
    every: int = 0,
) -> CheckpointResult:
    """Check stored checkpoints against the chain's entry hashes (``seq -> hash``).

    ``chain`` None accepts the chain named by the first checkpoint (an offline log file).
    ``every`` > 0 also requires a checkpoint at or after the last multiple of ``every``.
    """
    result = CheckpointResult(checked=True, count=len(records), findings=[])
    findings = result.findings
    assert findings is not None
    good_seq = 0
    for pos, raw in enumerate(records, start=1):
        try:
            cp = Checkpoint.from_json(raw)
        except (ValueError, KeyError, TypeError):
            findings.append(
                CheckpointFinding(
                    pos, 0, "checkpoint_unreadable", f"checkpoint {pos} is not readable"
                )
            )
            continue
        chain = chain or cp.chain
        public_key = public_keys.get(cp.key_id)
        if cp.chain != chain or public_key is None or not verify_signature(public_key, cp):
            why = (
                f"names the {cp.chain!r} chain"
                if cp.chain != chain
                else "is signed by a key that is not pinned"
                if public_key is None
                else "has a signature that does not verify"
            )
            findings.append(
                CheckpointFinding(
                    pos,
                    cp.seq,
                    "checkpoint_forged",
                    f"checkpoint {pos} (seq {cp.seq}, {cp.time}) {why}",
                )
            )
            continue
        if cp.seq > last_seq:
            findings.append(
                CheckpointFinding(
                    pos,
                    cp.seq,
                    "truncated",
                    f"checkpoint {pos} (signed {cp.time}) covers entries up to seq {cp.seq}, "
                    f"but the log ends at seq {last_seq}: entries were removed from the end",
                )
            )
        elif hashes.get(cp.seq) != cp.hash:
            findings.append(
                CheckpointFinding(
                    pos,
                    cp.seq,
                    "rewritten",
                    f"entry seq {cp.seq} is not the entry checkpoint {pos} signed at {cp.time}: "
                    f"the chain was rewritten at or before seq {cp.seq} "
                    f"(after seq {good_seq}, the last checkpoint that matches)",
                )
            )
        else:
            good_seq = max(good_seq, cp.seq)
    result.covered_seq = good_seq
    expected = (last_seq // every) * every if every > 0 else 0
    if expected > good_seq and not any(f.kind in ("truncated", "rewritten") for f in findings):
        findings.append(
            CheckpointFinding(
                0,
                expected,
                "checkpoint_missing",
                f"no valid checkpoint covers seq {expected} (one is written every {every} "
                f"entries; the newest valid one covers seq {good_seq}): checkpoints were "
                "removed, or could not be written (see the server log)",
            )
        )
    return result


# -- writing ----------------------------------------------------------------------------


class Checkpointer:
    """Signs one chain's head every ``every`` entries and when closed (shutdown).

    ``head`` reads the chain's current (seq, hash) from its storage; :meth:`after_append` is
    called with each entry the process appended. A checkpoint that cannot be written is
    logged (error) and never refuses the entry: the entry is the record, the checkpoint its
    seal, and the next one covers it.
    """

    def __init__(
        self,
        chain: str,
        signer: CheckpointSigner,
        store: CheckpointStore,
        head: Callable[[], tuple[int, str]],
        every: int,
        public_keys: Mapping[str, PublicKey],
    ) -> None:
        self.chain = chain
        self.store = store
        self.every = every
        self.public_keys = dict(public_keys)
        self._signer = signer
        self._head = head
        self._lock = threading.Lock()
        self._last_signed = 0

    def after_append(self, seq: int, digest: str) -> None:
        if self.every > 0 and seq % self.every == 0:
            self._write(seq, digest)

    def _write(self, seq: int, digest: str) -> None:
        with self._lock:
            try:
                self.store.append(sign_checkpoint(self._signer, self.chain, seq, digest))
            except Exception as exc:
                log.error(
                    "audit checkpoint of the %s chain at seq %d not written: %s",
                    self.chain,
                    seq,
                    getattr(exc, "strerror", None) or type(exc).__name__,
                )
                return
            self._last_signed = max(self._last_signed, seq)

    def close(self, verify: Callable[[], Any] | None = None) -> None:
        """Sign the current head (shutdown) unless a checkpoint of it exists already.

        With ``verify`` (the chain's full check), a chain that does not check out is not
        signed: its problems stay visible instead of being sealed over.
        """
        try:
            seq, digest = self._head()
            records = self.store.records()
            last = Checkpoint.from_json(records[-1]) if records else None
            if seq == 0 or (last is not None and (last.seq, last.hash) == (seq, digest)):
                return
            if verify is not None and not verify().ok:
                log.error(
                    "the %s audit chain does not check out: its head is not signed at "
                    "shutdown (run kyso audit verify)",
                    self.chain,
                )
                return
        except Exception as exc:
            log.error(
                "audit checkpoint of the %s chain at shutdown: %s", self.chain, type(exc).__name__
            )
            return
        self._write(seq, digest)

    def check(self, hashes: Mapping[int, str], last_seq: int) -> CheckpointResult:
        result = check_checkpoints(
            self.store.records(),
            chain=self.chain,
            hashes=hashes,
            last_seq=last_seq,
            public_keys=self.public_keys,
            every=self.every,
        )
        if result.findings and [f.kind for f in result.findings] == ["checkpoint_missing"]:
            # A replica may be writing that checkpoint right now (Redis): look once more.
            time.sleep(0.2)
            result = check_checkpoints(
                self.store.records(),
                chain=self.chain,
                hashes=hashes,
                last_seq=last_seq,
                public_keys=self.public_keys,
                every=self.every,
            )
        return result


def open_signer(
    key_path: Path, public_path: Path, *, default: bool
) -> tuple[CheckpointSigner, dict[str, PublicKey]]:
    """The checkpoint key and the pinned public keys, checked against each other.

    ``default`` (no ``checkpoint_key`` configured): an Ed25519 key is created on first start
    (:func:`generate_key`). :class:`InvalidInput` (``CONFIG_INVALID``) naming the setting when
    a key or the pin is missing or unreadable, or the pin does not name the key.
    """
    if default and not key_path.exists():
        with contextlib.suppress(FileExistsError):  # another process of this home won
            generate_key(key_path, public_path)
    key = load_private_key(key_path)
    for _ in range(20):  # a concurrent first start writes the pin just after the key
        if public_path.exists() or not default:
            break
        time.sleep(0.1)
    if not public_path.exists():
        raise _config_error(
            "audit.checkpoint_public_key",
            public_path,
            "missing: pin the checkpoint key's public key there "
            f"(openssl pkey -in {key_path} -pubout -out {public_path})",
        )
    pinned = load_public_keys(public_path)
    signer = FileKeySigner(key)
    if key_id(signer.public_key) not in pinned:
        raise _config_error(
            "audit.checkpoint_public_key",
            public_path,
            f"does not pin the public key of {key_path} (audit.checkpoint_key)",
        )
    return signer, pinned


__all__ = [
    "Checkpoint",
    "CheckpointResult",
    "CheckpointSigner",
    "Checkpointer",
    "FileCheckpoints",
    "FileKeySigner",
    "RedisCheckpoints",
    "check_checkpoints",
    "generate_key",
    "key_id",
    "load_private_key",
    "load_public_keys",
    "open_signer",
    "probe_public_key",
    "sign_checkpoint",
    "verify_signature",
]
