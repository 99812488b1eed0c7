"""The Python client of kyso: sign, verify, check layout, keys and trust-store reads.

Every call has a deadline (``timeout`` seconds, default :data:`DEFAULT_TIMEOUT`) that bounds
the whole call, retries included; a call refused with UNAVAILABLE (server not up yet, a
replica stopping) is retried with exponential backoff and jitter (:class:`RetryPolicy`)
while the deadline allows. Documents above ``unary_limit`` bytes (default
:data:`~kyso_client.channel.UNARY_LIMIT`, 3 MiB) go through the streaming RPCs
(SignStream, VerifyStream, IntakeStream) in :data:`~kyso_client.channel.CHUNK` chunks, so a
default channel never meets gRPC's 4 MiB message limit. Failures raise
:class:`~kyso_client.errors.KysoRpcError` (stable code, English and Vietnamese text).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    wait_exponential,
    wait_random,
)

from kyso_client.channel import CHUNK, UNARY_LIMIT, TlsOptions, make_channel
from kyso_client.errors import KysoRpcError
from kyso_client.v1 import intake_pb2 as ipb
from kyso_client.v1 import intake_pb2_grpc as ipb_grpc
from kyso_client.v1 import signer_pb2 as spb
from kyso_client.v1 import signer_pb2_grpc as spb_grpc
from kyso_client.v1 import trust_store_pb2 as tpb
from kyso_client.v1 import trust_store_pb2_grpc as tpb_grpc
from kyso_client.v1 import verifier_pb2 as vpb
from kyso_client.v1 import verifier_pb2_grpc as vpb_grpc

T = TypeVar("T")

#: Seconds a call may take, retries included, unless the caller says otherwise.
DEFAULT_TIMEOUT = 120.0

#: ``sign(profile=...)`` names: Decree 30/2020 Appendix I signature kinds.
PROFILES = {
    "personal": spb.PROFILE_PERSONAL,
    "organisation": spb.PROFILE_ORGANISATION,
    "attachment": spb.PROFILE_ATTACHMENT,
}
#: ``sign(level=...)`` names: PAdES baseline levels (ETSI EN 319 142-1).
LEVELS = {
    "B-B": spb.PADES_B_B,
    "B-T": spb.PADES_B_T,
    "B-LT": spb.PADES_B_LT,
    "B-LTA": spb.PADES_B_LTA,
}

Document = bytes | Path


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of a call refused with UNAVAILABLE: up to ``attempts`` tries in all, waiting
    ``initial_backoff`` seconds, doubling up to ``max_backoff``, plus up to ``jitter``
    seconds at random; never past the call's deadline."""

    attempts: int = 6
    initial_backoff: float = 0.2
    max_backoff: float = 3.0
    jitter: float = 0.2


@dataclass(frozen=True)
class SignResult:
    """A signed document: its bytes, the signature's summary, and whether it was streamed."""

    document: bytes
    signature: spb.SignatureSummary
    streamed: bool


class KysoClient:
    """A client of one kyso server (``address``: ``HOST:PORT``).

    ``tls``: :class:`TlsOptions` (TLS, mTLS with ``cert``/``key``) or None for plaintext (the
    server accepts plaintext on loopback only); ``token``: bearer token sent on every call;
    ``channel``: an existing channel instead (``tls``/``token`` are then ignored).
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        address: str = "",
        *,
        tls: TlsOptions | None = None,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        unary_limit: int = UNARY_LIMIT,
        chunk_size: int = CHUNK,
        channel: grpc.Channel | None = None,
    ) -> None:
        if channel is None and not address:
            raise ValueError("give the server's address (HOST:PORT) or a channel")
        self._own = channel is None
        self._channel = channel if channel is not None else make_channel(address, tls, token)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.unary_limit = unary_limit
        self.chunk_size = chunk_size
        self.signer = spb_grpc.SignerStub(self._channel)
        self.verifier = vpb_grpc.VerifierStub(self._channel)
        self.trust_store = tpb_grpc.TrustStoreStub(self._channel)
        self.intake_service = ipb_grpc.IntakeStub(self._channel)

    @property
    def channel(self) -> grpc.Channel:
        return self._channel

    def close(self) -> None:
        if self._own:
            self._channel.close()

    def __enter__(self) -> KysoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ calls
    def call(self, rpc: Callable[..., T], make: Callable[[], Any], timeout: float | None) -> T:
        """``rpc(make(), timeout=...)`` with the deadline and retries of this client; any
        ``grpc.RpcError`` becomes :class:`KysoRpcError`. ``make`` builds the request (or
        request iterator) anew for each attempt."""
        budget = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        policy = self.retry

        def attempt() -> T:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KysoRpcError.from_rpc_error(_Expired())
            try:
                return rpc(make(), timeout=remaining)
            except grpc.RpcError as err:
                raise KysoRpcError.from_rpc_error(err) from err

        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, KysoRpcError) and exc.status is grpc.StatusCode.UNAVAILABLE

        def stop(state: RetryCallState) -> bool:
            # out of attempts, or the next wait would end past the deadline: give up now
            wait = state.upcoming_sleep or 0.0
            return state.attempt_number >= policy.attempts or time.monotonic() + wait >= deadline

        retrying = Retrying(
            retry=retry_if_exception(retryable),
            stop=stop,
            wait=wait_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)
            + wait_random(0, policy.jitter),
            reraise=True,
        )
        return retrying(attempt)

    def _chunks(self, document: Document) -> Iterator[bytes]:
        size = self.chunk_size
        if isinstance(document, bytes):
            view = memoryview(document)
            for start in range(0, len(document), size):
                yield bytes(view[start : start + size])
            return
        with Path(document).open("rb") as f:
            while chunk := f.read(size):
                yield chunk

    # ------------------------------------------------------------------ signer
    def sign(
        self,
        document: Document,
        key: str,
        *,
        profile: str | spb.SignatureProfile | None = None,
        level: str | spb.PadesLevel | None = None,
        placement: spb.SignPlacement | None = None,
        options: spb.SignOptions | None = None,
        totp: str | None = None,
        pin: str | None = None,
        timeout: float | None = None,
    ) -> SignResult:
        """Sign ``document`` (bytes or a PDF's path) with the server's key ``key``.

        ``profile``: ``"personal"`` (competent person's signature image), ``"organisation"``
        (the organisation's seal over the personal signature), ``"attachment"`` or a
        ``SignatureProfile`` value; default: the key's first profile. ``level``: ``"B-B"``,
        ``"B-T"``, ``"B-LT"``, ``"B-LTA"``; default: B-T with a TSA. ``options`` is the whole
        ``SignOptions`` (``profile``/``level``/``placement`` override its fields). ``totp`` or
        ``pin``: the key owner's authorisation when the key asks for one. Streams above
        ``unary_limit``. Raises :class:`KysoRpcError`.
        """
        opts = spb.SignOptions()
        if options is not None:
            opts.CopyFrom(options)
        if profile is not None:
            opts.profile = PROFILES[profile] if isinstance(profile, str) else profile
        if level is not None:
            opts.level = LEVELS[level] if isinstance(level, str) else level
        if placement is not None:
            opts.placement.CopyFrom(placement)
        if totp is not None and pin is not None:
            raise ValueError("give totp or pin, not both")
        auth = spb.OwnerAuthorization(totp=totp) if totp is not None else None
        if pin is not None:
            auth = spb.OwnerAuthorization(pin=pin)
        size = _size(document)
        if size <= self.unary_limit:
            data = _read(document)
            resp = self.call(
                self.signer.Sign,
                lambda: spb.SignRequest(document=data, key=key, options=opts, authorization=auth),
                timeout,
            )
            return SignResult(resp.document, resp.signature, streamed=False)

        def requests() -> Iterator[spb.SignStreamRequest]:
            yield spb.SignStreamRequest(
                header=spb.SignStreamHeader(
                    key=key, options=opts, size=size, return_update_only=True, authorization=auth
                )
            )
            for chunk in self._chunks(document):
                yield spb.SignStreamRequest(chunk=chunk)

        def sign_stream(reqs: Iterator[spb.SignStreamRequest], timeout: float) -> SignResult:
            summary = None
            update = bytearray()
            for msg in self.signer.SignStream(reqs, timeout=timeout):
                if msg.WhichOneof("part") == "signature":
                    summary = msg.signature
                else:
                    update += msg.chunk
            if summary is None:
                raise KysoRpcError(
                    grpc.StatusCode.INTERNAL,
                    "STREAM_INVALID",
                    "the server sent no signature summary",
                    "máy chủ không gửi thông tin chữ ký",
                )
            return SignResult(_read(document) + bytes(update), summary, streamed=True)

        return self.call(sign_stream, requests, timeout)

    def list_keys(self, *, timeout: float | None = None) -> spb.ListKeysResponse:
        """The keys the server signs with (and their usage, consent, availability)."""
        return self.call(self.signer.ListKeys, spb.ListKeysRequest, timeout)

    # ------------------------------------------------------------------ verifier
    def verify(
        self,
        document: Document,
        options: vpb.VerifyOptions | None = None,
        *,
        timeout: float | None = None,
        **fields: Any,
    ) -> vpb.ValidationReport:
        """The validation report of ``document`` (bytes or a path). ``options`` or keyword
        fields of ``VerifyOptions`` (``policy="vn-gov"``, ``check_layout=True``,
        ``file_name=...``). Streams above ``unary_limit``. Raises :class:`KysoRpcError`."""
        opts = vpb.VerifyOptions(**fields)
        if options is not None:
            opts.MergeFrom(options)
        if _size(document) <= self.unary_limit:
            data = _read(document)
            return self.call(
                self.verifier.Verify,
                lambda: vpb.VerifyRequest(document=data, options=opts),
                timeout,
            )

        def requests() -> Iterator[vpb.VerifyStreamRequest]:
            yield vpb.VerifyStreamRequest(options=opts)
            for chunk in self._chunks(document):
                yield vpb.VerifyStreamRequest(chunk=chunk)

        return self.call(self.verifier.VerifyStream, requests, timeout)

    def check_layout(
        self,
        document: Document,
        *,
        policy: str = "",
        ocr: bool | None = None,
        timeout: float | None = None,
    ) -> vpb.CheckLayoutResponse:
        """The Decree 30/2020 layout report of ``document`` alone. CheckLayout has no streaming
        form: the document goes in one message, up to the server's ``max_document_bytes`` and
        the channel's limit (:data:`~kyso_client.channel.MAX_RECEIVE`, 64 MiB)."""
        opts = vpb.CheckLayoutOptions(policy=policy)
        if ocr is not None:
            opts.ocr = ocr
        data = _read(document)
        return self.call(
            self.verifier.CheckLayout,
            lambda: vpb.CheckLayoutRequest(document=data, options=opts),
            timeout,
        )

    # ------------------------------------------------------------------ intake
    def intake(
        self,
        package: Document,
        options: ipb.IntakeOptions | None = None,
        *,
        timeout: float | None = None,
    ) -> ipb.IntakeReport:
        """The intake report of an edXML package (bytes or a path); streams above
        ``unary_limit``."""
        opts = options or ipb.IntakeOptions()
        if _size(package) <= self.unary_limit:
            data = _read(package)
            return self.call(
                self.intake_service.Intake,
                lambda: ipb.IntakeRequest(package=data, options=opts),
                timeout,
            )

        def requests() -> Iterator[ipb.IntakeStreamRequest]:
            yield ipb.IntakeStreamRequest(options=opts)
            for chunk in self._chunks(package):
                yield ipb.IntakeStreamRequest(chunk=chunk)

        return self.call(self.intake_service.IntakeStream, requests, timeout)

    # ------------------------------------------------------------------ trust store (reads)
    def trust_list(
        self,
        *,
        role: tpb.TrustRole = tpb.TRUST_ROLE_UNSPECIFIED,
        purpose: tpb.TrustPurpose = tpb.TRUST_PURPOSE_UNSPECIFIED,
        timeout: float | None = None,
    ) -> tpb.ListTrustCertificatesResponse:
        """The trust store's certificates, optionally one ``TrustRole`` / ``TrustPurpose``."""
        return self.call(
            self.trust_store.List,
            lambda: tpb.ListTrustCertificatesRequest(role=role, purpose=purpose),
            timeout,
        )

    def trust_get(self, sha256: str, *, timeout: float | None = None) -> tpb.TrustCertificate:
        """One certificate (with its DER) by SHA-256 fingerprint (hex, unique prefix)."""
        return self.call(
            self.trust_store.Get, lambda: tpb.GetTrustCertificateRequest(sha256=sha256), timeout
        )

    def trust_export(
        self, *, p7b: bool = False, anchors_only: bool = False, timeout: float | None = None
    ) -> tpb.ExportTrustStoreResponse:
        """The store as PEM (default) or a PKCS#7 bundle."""
        fmt = tpb.TRUST_EXPORT_FORMAT_P7B if p7b else tpb.TRUST_EXPORT_FORMAT_PEM
        return self.call(
            self.trust_store.Export,
            lambda: tpb.ExportTrustStoreRequest(format=fmt, anchors_only=anchors_only),
            timeout,
        )

    def trust_bundles(self, *, timeout: float | None = None) -> Sequence[str]:
        """Names of the bundles shipped with the server (e.g. ``vn-gov``)."""
        return list(
            self.call(self.trust_store.ListBundles, tpb.ListTrustBundlesRequest, timeout).names
        )

    def trust_history(
        self, *, limit: int = 0, sha256: str = "", timeout: float | None = None
    ) -> tpb.TrustHistoryResponse:
        """The trust store's audit entries, newest last (``limit`` 0: 100)."""
        return self.call(
            self.trust_store.History,
            lambda: tpb.TrustHistoryRequest(limit=limit, sha256=sha256),
            timeout,
        )

    def trust_status(self, *, timeout: float | None = None) -> tpb.TrustStoreStatus:
        """Version, storage, degraded state and who the server thinks is asking."""
        return self.call(self.trust_store.Status, tpb.TrustStoreStatusRequest, timeout)


class _Expired(grpc.RpcError):
    """The deadline passed between two attempts (no call was made)."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.DEADLINE_EXCEEDED

    def details(self) -> str:
        return "deadline passed before the next attempt"


def _size(document: Document) -> int:
    return len(document) if isinstance(document, bytes) else Path(document).stat().st_size


def _read(document: Document) -> bytes:
    return document if isinstance(document, bytes) else Path(document).read_bytes()
