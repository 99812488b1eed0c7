"""Two-step signing for keys that stay on the signer's own USB token.

PrepareSignature does all the PDF work (field, appearance, placeholder, ByteRange digest)
and returns the CMS signed attributes to sign; the prepared document waits, compressed,
with a TTL (in Redis when configured so any replica can complete it, else in process).
CompleteSignature checks the signature against the certificate *before* embedding it:
a wrong signature, an expired id or another document is refused and nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import secrets
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import cms, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import ExternalSigner
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kyso.errors import (
    InvalidInput,
    NotFound,
    Precondition,
    ResourceExhausted,
    Unavailable,
)
from signer import deadline, document_work, event_loop, levels
from signer.keys.files import load_certificates
from signer.model import (
    DocumentWork,
    PadesLevel,
    PreparedDocument,
    Profile,
    SignOptions,
    SignResult,
)
from signer.pdf_signer import SigningService, guard_pyhanko
from signer.placement import SignatureBox

_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_MAX_PENDING_IN_PROCESS = 1000
_MAX_RECORD_BYTES = 64 * 1024 * 1024  # compressed prepared document and state
_MAX_IN_PROCESS_BYTES = 512 * 1024 * 1024  # all pending records kept in this process


@dataclass(frozen=True)
class Prepared:
    """A prepared signature waiting for the client's token: the DER ``signed_attributes`` to
    sign, their ``digest`` under ``digest_algorithm``, the prepared document's hex SHA-256 and
    when the pending record expires."""

    id: str
    signed_attributes: bytes
    digest: bytes
    digest_algorithm: str
    document_sha256: str
    expires_at: datetime


#: Reserve a pending slot of one owner in Redis: drop its expired ids (scores are expiry times
#: in ms, Redis's own clock so that replicas agree), refuse at the limit, else add the id.
#: KEYS[1] the owner's sorted set; ARGV: id, limit, ttl seconds. Returns 1 taken, 0 refused.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local ttl = tonumber(ARGV[3]) * 1000
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl + 1000)
return 1
"""


class PendingStore:
    """Prepared signatures by id with a TTL: Redis when configured, else this process.

    Every prepared signature belongs to an *owner* (the calling client, ``token:NAME``), which
    may have at most a given number waiting: :meth:`reserve` takes a place before any PDF work
    is done, :meth:`put` fills it, :meth:`release` gives it back when the work failed. In Redis
    the owner's places are a sorted set ``<ns>:signer:pending-owner:<owner>`` (id -> expiry)
    beside the records ``<ns>:signer:pending:<id>``, both expiring with the TTL; in process, a
    dictionary, also bounded as a whole (:data:`_MAX_PENDING_IN_PROCESS`, bytes).
    """

    def __init__(self, redis_client: Any, ttl_seconds: int, namespace: str = "kyso") -> None:
        self._redis = redis_client
        self._ttl = max(1, int(ttl_seconds))
        self._prefix = f"{namespace}:signer:pending:"
        self._owner_prefix = f"{namespace}:signer:pending-owner:"
        # id -> (expiry, record or None while reserved, owner)
        self._local: dict[str, tuple[float, bytes | None, str]] = {}
        self._lock = threading.Lock()
        self._reserve_script = (
            redis_client.register_script(_RESERVE) if redis_client is not None else None
        )

    @property
    def ttl(self) -> int:
        """Seconds a prepared signature is kept (at least 1)."""
        return self._ttl

    def reserve(
        self, owner: str, limit: int, setting: str = "limits.max_pending_signatures"
    ) -> str:
        """A new random id, one of at most ``limit`` places of ``owner`` for :attr:`ttl` seconds.

        Raises :class:`ResourceExhausted` (``PENDING_CLIENT_LIMIT`` naming ``setting``;
        ``PENDING_LIMIT`` when this process holds too many in all) and :class:`Unavailable`
        (Redis unreachable)."""
        pending_id = secrets.token_urlsafe(24)
        if self._redis is not None and self._reserve_script is not None:
            try:
                taken = self._reserve_script(
                    keys=[self._owner_prefix + owner], args=[pending_id, limit, self._ttl]
                )
            except Exception as exc:
                raise Unavailable("PENDING_STORE_UNAVAILABLE") from exc
            if not taken:
                raise self._over(owner, limit, setting)
            return pending_id
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (exp, _, _) in self._local.items() if exp <= now]:
                del self._local[key]
            if sum(1 for _, _, who in self._local.values() if who == owner) >= limit:
                raise self._over(owner, limit, setting)
            if len(self._local) >= _MAX_PENDING_IN_PROCESS:
                raise ResourceExhausted("PENDING_LIMIT")
            self._local[pending_id] = (now + self._ttl, None, owner)
        return pending_id

    @staticmethod
    def _over(owner: str, limit: int, setting: str) -> ResourceExhausted:
        return ResourceExhausted("PENDING_CLIENT_LIMIT", client=owner, limit=setting, value=limit)

    def put(self, pending_id: str, owner: str, record: bytes) -> None:
        """Keep ``record`` in the place :meth:`reserve` gave, for :attr:`ttl` seconds.

        Raises :class:`ResourceExhausted` (record too large, too many bytes in this process)
        and :class:`Unavailable` (Redis unreachable); the place is given back then."""
        if len(record) > _MAX_RECORD_BYTES:
            self.release(pending_id, owner)
            raise ResourceExhausted("PENDING_TOO_LARGE")
        if self._redis is not None:
            try:
                self._redis.set(self._prefix + pending_id, record, ex=self._ttl)
            except Exception as exc:
                self.release(pending_id, owner)
                raise Unavailable("PENDING_STORE_UNAVAILABLE") from exc
            return
        now = time.monotonic()
        with self._lock:
            held = sum(len(r) for _, r, _ in self._local.values() if r is not None)
            if held + len(record) > _MAX_IN_PROCESS_BYTES:
                self._local.pop(pending_id, None)
                raise ResourceExhausted("PENDING_LIMIT")
            self._local[pending_id] = (now + self._ttl, record, owner)

    def get(self, pending_id: str) -> bytes | None:
        """The record kept under ``pending_id``; None when unknown, expired, still being
        prepared or malformed. Raises :class:`Unavailable` when Redis is unreachable."""
        if not _ID.match(pending_id):
            return None
        if self._redis is not None:
            try:
                value = self._redis.get(self._prefix + pending_id)
            except Exception as exc:
                raise Unavailable("PENDING_STORE_UNAVAILABLE") from exc
            return bytes(value) if value is not None else None
        with self._lock:
            found = self._local.get(pending_id)
            if found is None or found[0] <= time.monotonic():
                self._local.pop(pending_id, None)
                return None
            return found[1]

    def release(self, pending_id: str, owner: str) -> None:
        """Forget ``pending_id`` and give ``owner`` its place back (best effort: what is left
        behind expires anyway)."""
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline(transaction=False)
                pipe.delete(self._prefix + pending_id)
                pipe.zrem(self._owner_prefix + owner, pending_id)
                pipe.execute()
            except Exception:  # noqa: S110 - it expires anyway
                pass
            return
        with self._lock:
            self._local.pop(pending_id, None)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _verify(cert: x509.Certificate, signature: bytes, data: bytes) -> str:
    """Check a raw signature over ``data`` (SHA-256); return pyHanko's mechanism name."""
    public = serialization.load_der_public_key(cert.public_key.dump())
    try:
        if isinstance(public, rsa.RSAPublicKey):
            try:
                public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
                return "sha256_rsa"
            except InvalidSignature:
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
                public.verify(signature, data, pss, hashes.SHA256())
                return "rsassa_pss"
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return "sha256_ecdsa"
    except (InvalidSignature, ValueError) as exc:
        raise InvalidInput("SIGNATURE_INVALID") from exc
    raise InvalidInput("KEY_UNSUPPORTED", key=type(public).__name__)


def _mechanism(name: str) -> cms.SignedDigestAlgorithm:
    if name == "rsassa_pss":
        return cms.SignedDigestAlgorithm(
            {
                "algorithm": "rsassa_pss",
                "parameters": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": "sha256"},
                    },
                    "salt_length": 32,
                },
            }
        )
    return cms.SignedDigestAlgorithm({"algorithm": name})


class TwoStepSigner:
    """Prepare/complete around :class:`signer.pdf_signer.SigningService`'s planning."""

    def __init__(self, service: SigningService, store: PendingStore) -> None:
        self._service = service
        self._store = store

    def prepare(
        self,
        document: bytes,
        certificate: bytes,
        chain: list[bytes],
        options: SignOptions,
        owner: str = "anonymous",
        max_pending: int = _MAX_PENDING_IN_PROCESS,
        limit_setting: str = "limits.max_pending_signatures",
    ) -> Prepared:
        """Do the PDF work for a certificate whose key stays with the client: field, appearance,
        placeholder and ByteRange digest; keep the prepared document and return what to sign.

        ``owner`` (the calling client) may have at most ``max_pending`` prepared signatures
        waiting (``limit_setting`` names the setting): its place is taken before any work.
        B-B or B-T only. Raises :class:`InvalidInput` (no certificate, level above B-T, and
        what :meth:`SigningService.plan` raises) and the errors of :meth:`PendingStore.reserve`
        and :meth:`PendingStore.put`."""
        if not certificate:
            raise InvalidInput("CERTIFICATE_REQUIRED")
        pending_id = self._store.reserve(owner, max_pending, limit_setting)
        try:
            return self._prepare(pending_id, owner, document, certificate, chain, options)
        except BaseException:
            self._store.release(pending_id, owner)
            raise

    def _prepare(
        self,
        pending_id: str,
        owner: str,
        document: bytes,
        certificate: bytes,
        chain: list[bytes],
        options: SignOptions,
    ) -> Prepared:
        cert = load_certificates(certificate)[0]
        chain_certs = tuple(c for data in chain for c in load_certificates(data))
        config = self._service.settings
        level = levels.resolve(options.level, config.default_level, config.tsa_url)
        if level.rank > PadesLevel.B_T.rank:
            raise InvalidInput("LEVEL_NOT_SUPPORTED")
        opts = SignOptions(
            profile=options.profile or Profile.PERSONAL,
            level=level,
            placement=options.placement,
            image_png=options.image_png,
            document_number=options.document_number,
            reason=options.reason,
            location=options.location,
            field_name=options.field_name,
        )
        self._service.check_signer(cert, chain_certs)
        work = DocumentWork(cert.dump(), tuple(c.dump() for c in chain_certs), opts)
        prepared, pdf = self._document_work(work, document)
        result = prepared.result
        doc_sha = hashlib.sha256(document).hexdigest()
        record = json.dumps(
            {
                "cert": _b64(cert.dump()),
                "chain": [_b64(c.dump()) for c in chain_certs],
                "signed_attrs": _b64(prepared.signed_attributes),
                "document_digest": _b64(prepared.document_digest),
                "start": prepared.start,
                "end": prepared.end,
                "pdf": _b64(zlib.compress(pdf, 6)),
                "document_sha256": doc_sha,
                "level": result.level.value,
                "profile": result.profile.value,
                "field_name": result.field_name,
                "box": [result.box.page, result.box.x1, result.box.y1, result.box.x2, result.box.y2]
                if result.box
                else None,
                "signing_time": result.signing_time.isoformat(),
                "subject": result.signer_subject,
                "pdfa": result.pdfa,
                "owner": owner,
            }
        ).encode()
        self._store.put(pending_id, owner, record)
        return Prepared(
            pending_id,
            prepared.signed_attributes,
            hashlib.sha256(prepared.signed_attributes).digest(),
            "sha256",
            doc_sha,
            datetime.now(UTC) + timedelta(seconds=self._store.ttl),
        )

    def _document_work(self, work: DocumentWork, document: bytes) -> tuple[PreparedDocument, bytes]:
        """The PDF work of a preparation (in the cage when the service has one): what to sign
        and the prepared document."""
        if self._service.isolate is None:
            output = io.BytesIO(document)
            prepared = document_work.perform(self._service, work, output, None, None)
            pdf = output.getvalue()
        else:
            with tempfile.TemporaryFile(prefix="kyso-prepare-") as f:
                f.write(document)
                f.flush()
                prepared = self._service.isolate(work, f, None)
                f.seek(0)
                pdf = f.read()
            if isinstance(prepared, PreparedDocument):  # what the client's key will sign
                self._check_binding(work, prepared, document, pdf)
        if not isinstance(prepared, PreparedDocument):
            raise InvalidInput("SIGNING_REFUSED")
        return prepared, pdf

    @staticmethod
    def _check_binding(
        work: DocumentWork, prepared: PreparedDocument, document: bytes, pdf: bytes
    ) -> None:
        """The attributes a worker prepared bind the prepared file kept here (the same check
        as before the server's own key signs: signer.document_work.check_signed_attributes)."""
        cert = x509.Certificate.load(work.certificate)
        chain = tuple(x509.Certificate.load(der) for der in work.chain)
        level = work.options.level or PadesLevel.B_B
        binding = document_work.check_signed_attributes(
            prepared.signed_attributes,
            cert,
            pdf,
            prepared.start,
            prepared.end,
            reserved=levels.bytes_reserved(cert, chain, level, None),
            original=(len(document), hashlib.sha256(document).digest()),
        )
        if binding.digest != prepared.document_digest or prepared.result.level is not level:
            raise Precondition("SIGNING_BINDING_FAILED", problem="not the work asked for")

    def complete(
        self,
        pending_id: str,
        document_sha256: str,
        signature: bytes | None = None,
        cms_der: bytes | None = None,
    ) -> tuple[bytes, SignResult]:
        """Embed the client's ``signature`` (over the signed attributes) or whole ``cms_der`` into
        the document prepared as ``pending_id``; return the signed PDF and its result.

        The signature is checked against the certificate before anything is written. Raises
        :class:`NotFound` (unknown or expired id), :class:`Precondition` (another
        document's SHA-256) and :class:`InvalidInput` (missing or wrong signature)."""
        raw = self._store.get(pending_id)
        if raw is None:
            raise NotFound("PENDING_NOT_FOUND")
        state = json.loads(raw)
        if not document_sha256:
            raise InvalidInput("DOCUMENT_SHA256_REQUIRED")
        if document_sha256.strip().lower() != state["document_sha256"]:
            raise Precondition("DOCUMENT_MISMATCH")
        cert = x509.Certificate.load(_unb64(state["cert"]))
        signed_attrs_der = _unb64(state["signed_attrs"])
        if cms_der:
            signature = self._from_cms(cms_der, signed_attrs_der)
        if not signature:
            raise InvalidInput("SIGNATURE_REQUIRED")
        mechanism = _verify(cert, signature, signed_attrs_der)
        chain = [x509.Certificate.load(_unb64(c)) for c in state["chain"]]
        registry = SimpleCertificateStore.from_certs([cert, *chain])
        signer = ExternalSigner(
            cert, registry, signature_value=signature, signature_mechanism=_mechanism(mechanism)
        )
        level = PadesLevel(state["level"])
        tsa_url = self._service.settings.tsa_url
        ts = (
            levels.timestamper(tsa_url, self._service.http)
            if tsa_url and level is PadesLevel.B_T
            else None
        )
        output = io.BytesIO(zlib.decompress(_unb64(state["pdf"])))
        prepared = PreparedByteRangeDigest(
            _unb64(state["document_digest"]), int(state["start"]), int(state["end"])
        )
        attrs = cms.CMSAttributes.load(signed_attrs_der)

        async def _go() -> None:
            sig_cms = await signer.async_sign_prescribed_attributes(
                "sha256", signed_attrs=attrs, timestamper=ts
            )
            await PdfTBSDocument.async_finish_signing(output, prepared, sig_cms)

        deadline.check("timestamp")  # a caller that has gone keeps its pending signature
        guard_pyhanko(lambda: event_loop.run(_go()))
        self._store.release(pending_id, str(state.get("owner", "anonymous")))
        data = output.getvalue()
        box = SignatureBox(*state["box"]) if state["box"] else None
        result = SignResult(
            state["field_name"],
            Profile(state["profile"]),
            level,
            state["subject"],
            datetime.fromisoformat(state["signing_time"]),
            box,
            len(data),
            hashlib.sha256(data).hexdigest(),
            str(state.get("pdfa", "")),  # absent in a record prepared before it was kept
        )
        return data, result

    @staticmethod
    def _from_cms(data: bytes, expected_attrs: bytes) -> bytes:
        """The signature value of a client's CMS, which must sign exactly our attributes."""
        try:
            info = cms.ContentInfo.load(data)
            signer_info = info["content"]["signer_infos"][0]
            attrs = signer_info["signed_attrs"]
            attrs_der = attrs.untag().dump() if attrs else b""
            value = bytes(signer_info["signature"].native)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise InvalidInput("CMS_INVALID") from exc
        if attrs_der != expected_attrs:
            raise InvalidInput("CMS_MISMATCH")
        return value
