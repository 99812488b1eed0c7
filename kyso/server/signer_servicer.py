"""gRPC adapter for the signer: proto messages in, :class:`signer.SigningService` calls, out."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import grpc
from google.protobuf import timestamp_pb2

from kyso.errors import InvalidInput, KysoError
from kyso.pdf.input import check_size
from kyso.server import request_log
from kyso.server.auth import caller_actor, current_identity
from kyso.server.context import AppContext
from kyso.server.deadlines import work_deadline
from kyso.server.status import grpc_errors
from kyso.v1 import signer_pb2 as pb
from kyso.v1 import signer_pb2_grpc as pb_grpc
from signer import (
    PadesLevel,
    Placement,
    Profile,
    SignatureBox,
    SigningService,
    SignOptions,
    SignResult,
    deadline,
)
from signer.audit import SigningAttempt, SigningAudit, SigningResult
from signer.consent import OwnerAuthorization
from signer.key_use import KeyStatus
from signer.two_step import TwoStepSigner

log = logging.getLogger("kyso.signer.api")

_CHUNK = 1024 * 1024

_PROFILES = {
    pb.PROFILE_PERSONAL: Profile.PERSONAL,
    pb.PROFILE_ORGANISATION: Profile.ORGANISATION,
    pb.PROFILE_ATTACHMENT: Profile.ATTACHMENT,
}
_PROFILES_PB = {v: k for k, v in _PROFILES.items()}
_LEVELS = {
    pb.PADES_B_B: PadesLevel.B_B,
    pb.PADES_B_T: PadesLevel.B_T,
    pb.PADES_B_LT: PadesLevel.B_LT,
    pb.PADES_B_LTA: PadesLevel.B_LTA,
}
_LEVELS_PB = {v: k for k, v in _LEVELS.items()}


def _timestamp(when: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when)
    return ts


def options_from_pb(msg: pb.SignOptions) -> SignOptions:
    """Proto options as the library's; unknown enum values are refused, not defaulted."""
    if msg.profile and msg.profile not in _PROFILES:
        raise InvalidInput("OPTION_INVALID", option="profile", problem="unknown signature profile")
    if msg.level and msg.level not in _LEVELS:
        raise InvalidInput("OPTION_INVALID", option="level", problem="unknown PAdES level")
    where = msg.placement.WhichOneof("where")
    placement = Placement()
    if where == "anchor_text":
        placement = Placement(anchor_text=msg.placement.anchor_text)
    elif where == "field_name":
        placement = Placement(field_name=msg.placement.field_name)
    elif where == "rect":
        r = msg.placement.rect
        placement = Placement(rect=SignatureBox(r.page, r.x1, r.y1, r.x2, r.y2))
    return SignOptions(
        profile=_PROFILES.get(msg.profile),
        level=_LEVELS.get(msg.level),
        placement=placement,
        image_png=msg.image_png or None,
        document_number=msg.document_number or None,
        reason=msg.reason or None,
        location=msg.location or None,
        field_name=msg.field_name or None,
    )


def authorization_from_pb(msg: pb.OwnerAuthorization) -> OwnerAuthorization:
    """The owner's code or PIN as sent (checked by :mod:`signer.consent`, never logged)."""
    which = msg.WhichOneof("method")
    if which == "totp":
        return OwnerAuthorization(totp=msg.totp)
    if which == "pin":
        return OwnerAuthorization(pin=msg.pin)
    return OwnerAuthorization()


def usage_pb(status: KeyStatus) -> pb.KeyUsage:
    usage = pb.KeyUsage(
        signatures_total=status.usage.total,
        signatures_today=status.usage.today,
        max_signatures_per_day=status.max_per_day or 0,
        max_signatures_total=status.max_total or 0,
    )
    if status.usage.last_use is not None:
        usage.last_used.CopyFrom(_timestamp(status.usage.last_use))
    return usage


def summary_pb(result: SignResult) -> pb.SignatureSummary:
    msg = pb.SignatureSummary(
        field_name=result.field_name,
        profile=_PROFILES_PB[result.profile],
        level=_LEVELS_PB[result.level],
        signer_subject=result.signer_subject,
        signing_time=_timestamp(result.signing_time),
        size=result.size,
        sha256=result.sha256,
        pdfa=result.pdfa,
    )
    if result.box is not None:
        b = result.box
        msg.rect.CopyFrom(pb.PageRect(page=b.page, x1=b.x1, y1=b.y1, x2=b.x2, y2=b.y2))
    return msg


class _Audited:
    """One signing RPC's audit entry: ``with`` it around the work (a refusal or failure is
    recorded, then re-raised), then :meth:`ok` before anything signed is returned — which
    raises ``AUDIT_UNAVAILABLE`` when the entry cannot be written durably."""

    def __init__(
        self, audit: SigningAudit, actor: str, operation: str, options: pb.SignOptions | None
    ) -> None:
        self._audit = audit
        self.fields: dict[str, str] = {"actor": actor, "operation": operation}
        if options is not None:
            if options.profile in _PROFILES:
                self.fields["profile"] = _PROFILES[options.profile].value
            if options.level in _LEVELS:
                self.fields["level"] = _LEVELS[options.level].value
            if options.field_name:
                self.fields["field_name"] = options.field_name

    def __enter__(self) -> _Audited:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, KysoError) and exc.signature_made:
            self._write(SigningResult.SIGNED_NOT_RETURNED, code=exc.code)
        elif isinstance(exc, KysoError):
            self._write(SigningResult.REFUSED, code=exc.code)
        elif isinstance(exc, Exception):
            self._write(SigningResult.ERROR, code="INTERNAL")

    def _write(self, result: SigningResult, **fields: str) -> None:
        request_log.note_document(self.fields.get("input_sha256", ""))
        self._audit.record_failure(SigningAttempt(result=result, **{**self.fields, **fields}))

    def ok(self, result: SignResult | None = None, **fields: str) -> None:
        if result is not None:
            fields = {
                "profile": result.profile.value,
                "level": result.level.value,
                "field_name": result.field_name,
                **fields,
            }
        self._audit.record(SigningAttempt(result=SigningResult.OK, **{**self.fields, **fields}))
        request_log.note_document(self.fields.get("input_sha256", ""))  # the access log
        if result is not None:  # the metrics: a signature made
            request_log.note_signature(
                self.fields.get("key", ""), result.profile.value, result.level.value
            )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SignerServicer(pb_grpc.SignerServicer):
    def __init__(self, ctx: AppContext, service: SigningService, two_step: TwoStepSigner) -> None:
        self._ctx = ctx
        self._service = service
        self._two_step = two_step

    def _audited(
        self, context: grpc.ServicerContext, operation: str, options: pb.SignOptions | None
    ) -> _Audited:
        actor = caller_actor(context)
        return _Audited(self._ctx.signing_audit, actor, operation, options)

    def _deadline(self, context: grpc.ServicerContext) -> contextlib.AbstractContextManager[Any]:
        """The RPC's deadline for the signer's checks (:mod:`signer.deadline`): the caller's,
        else ``[signer] request_timeout_seconds``."""
        default = self._ctx.settings.signer.request_timeout_seconds
        return deadline.scope(work_deadline(context, default, "signer.request_timeout_seconds"))

    @grpc_errors
    def Sign(self, request: pb.SignRequest, context: grpc.ServicerContext) -> pb.SignResponse:
        with contextlib.ExitStack() as stack:
            with (
                self._audited(context, "Sign", request.options) as audit,
                self._deadline(context),
            ):
                input_sha256 = _sha256(request.document)
                audit.fields.update(key=request.key, input_sha256=input_sha256)
                check_size(len(request.document), self._ctx.settings.max_document_bytes)
                options = options_from_pb(request.options)
                use = stack.enter_context(
                    self._ctx.key_guard.begin(
                        self._service.keys.config(request.key),
                        input_sha256,
                        authorization_from_pb(request.authorization),
                    )
                )
                out = io.BytesIO()
                result = self._service.sign(
                    request.key,
                    options,
                    io.BytesIO(request.document),
                    out,
                    owner_pin=use.owner_pin,
                )
                document = out.getvalue()
            # the signer hashed its output already; durable before the reply
            audit.ok(result, output_sha256=result.sha256 or _sha256(document))
            use.commit()
        return pb.SignResponse(document=document, signature=summary_pb(result))

    @grpc_errors
    def SignStream(
        self, request_iterator: Iterator[pb.SignStreamRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.SignStreamResponse]:
        limit = self._ctx.settings.max_stream_bytes
        first = next(request_iterator, None)
        header = first.header if first is not None and first.HasField("header") else None
        with contextlib.ExitStack() as stack:
            audit = self._audited(context, "SignStream", header.options if header else None)
            with audit, self._deadline(context):
                if header is None:
                    raise InvalidInput("STREAM_HEADER_REQUIRED")
                audit.fields["key"] = header.key
                check_size(header.size, limit)
                options = options_from_pb(header.options)
                key_config = self._service.keys.config(header.key)  # unknown: before the body
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kyso-sign-")))
                source = stack.enter_context((tmp / "document.pdf").open("w+b"))
                received = 0
                digest = hashlib.sha256()
                for msg in request_iterator:
                    if msg.WhichOneof("part") != "chunk":
                        raise InvalidInput("STREAM_INVALID")
                    received += len(msg.chunk)
                    check_size(received, limit)
                    if not header.size or received <= header.size:
                        source.write(msg.chunk)  # past the declared size: counted, not kept
                        digest.update(msg.chunk)
                audit.fields["input_sha256"] = digest.hexdigest()
                if header.size and received != header.size:
                    # size 0 is "not declared" (proto3 uint64 without presence)
                    raise InvalidInput(
                        "STREAM_SIZE_MISMATCH", declared=header.size, received=received
                    )
                source.flush()
                use = stack.enter_context(
                    self._ctx.key_guard.begin(
                        key_config,
                        audit.fields["input_sha256"],
                        authorization_from_pb(header.authorization),
                    )
                )
                # signed in place: the incremental update is appended to the spooled file
                result = self._service.sign(
                    header.key,
                    options,
                    source,
                    source,
                    source_path=tmp / "document.pdf",
                    hash_output=False,
                    owner_pin=use.owner_pin,
                )
            # Signed in place, the output is the input followed by the update: the input's digest
            # continued over the appended bytes, not a second pass over the whole file.
            audit.ok(result, output_sha256=_appended_sha256(digest, source, received))
            use.commit()  # counted even if the client goes away while it is streamed back
            yield pb.SignStreamResponse(signature=summary_pb(result))
            yield from _chunks(source, received if header.return_update_only else 0)

    @grpc_errors
    def ListKeys(
        self, request: pb.ListKeysRequest, context: grpc.ServicerContext
    ) -> pb.ListKeysResponse:
        keys = []
        identity = current_identity()  # the guard admitted a signer: only its keys are listed
        allowed = identity.keys if identity is not None else frozenset()
        for name in self._service.keys.names():
            if name not in allowed:
                continue
            config = self._service.keys.config(name)
            info = pb.SigningKeyInfo(
                name=name,
                backend=config.backend,
                profiles=[
                    _PROFILES_PB[Profile(p)]
                    for p in config.profiles
                    if p in Profile._value2member_map_
                ],
                consent=config.owner_consent,
            )
            try:
                status = self._ctx.key_guard.status(config)
            except KysoError as exc:
                log.warning("key %s: usage state unavailable: %s", name, exc.code)
            else:
                info.consent_enrolled = status.enrolled
                info.usage.CopyFrom(usage_pb(status))
                if status.consent_state.locked_until > time.time():
                    info.locked_until.FromSeconds(status.consent_state.locked_until)
            try:
                key = self._service.keys.get(name)
            except Exception as exc:
                log.warning(
                    "key %s unavailable: %s", name, getattr(exc, "code", type(exc).__name__)
                )
                info.unavailable_code = getattr(exc, "code", "INTERNAL")
                keys.append(info)
                continue
            # The certificate is cached; whether the token still holds the key is asked now.
            try:
                self._service.keys.probe(name)
                info.available = True
            except Exception as exc:
                info.unavailable_code = getattr(exc, "code", "INTERNAL")
            cert = key.certificate
            validity = cert["tbs_certificate"]["validity"]
            pub = cert.public_key
            info.subject = cert.subject.human_friendly
            info.issuer = cert.issuer.human_friendly
            info.not_before.CopyFrom(_timestamp(validity["not_before"].native))
            info.not_after.CopyFrom(_timestamp(validity["not_after"].native))
            info.serial_hex = format(cert.serial_number, "X")
            info.sha256 = hashlib.sha256(cert.dump()).hexdigest().upper()
            info.key_algorithm = (
                f"rsa-{pub.bit_size}"
                if pub.algorithm == "rsa"
                else f"{pub.algorithm}-{pub.curve[1]}"
                if pub.algorithm == "ec"
                else pub.algorithm
            )
            keys.append(info)
        return pb.ListKeysResponse(keys=keys)

    @grpc_errors
    def PrepareSignature(
        self, request: pb.PrepareSignatureRequest, context: grpc.ServicerContext
    ) -> pb.PrepareSignatureResponse:
        with (
            self._audited(context, "PrepareSignature", request.options) as audit,
            self._deadline(context),
        ):
            audit.fields["input_sha256"] = _sha256(request.document)
            check_size(len(request.document), self._ctx.settings.max_document_bytes)
            limits = self._ctx.client_limits.of(current_identity())
            prepared = self._two_step.prepare(
                request.document,
                request.certificate,
                list(request.chain),
                options_from_pb(request.options),
                owner=caller_actor(context),
                max_pending=limits.max_pending_signatures,
                limit_setting=limits.setting("max_pending_signatures"),
            )
        audit.ok(output_sha256=prepared.document_sha256, pending_id=prepared.id)
        return pb.PrepareSignatureResponse(
            id=prepared.id,
            signed_attributes=prepared.signed_attributes,
            digest=prepared.digest,
            digest_algorithm=prepared.digest_algorithm,
            document_sha256=prepared.document_sha256,
            expires_at=_timestamp(prepared.expires_at),
        )

    @grpc_errors
    def CompleteSignature(
        self, request: pb.CompleteSignatureRequest, context: grpc.ServicerContext
    ) -> pb.CompleteSignatureResponse:
        which = request.WhichOneof("value")
        with self._audited(context, "CompleteSignature", None) as audit, self._deadline(context):
            audit.fields.update(
                pending_id=request.id[:128],
                input_sha256=request.document_sha256.strip().lower()[:64],
            )
            document, result = self._two_step.complete(
                request.id,
                request.document_sha256,
                signature=request.signature if which == "signature" else None,
                cms_der=request.cms if which == "cms" else None,
            )
        audit.ok(result, output_sha256=result.sha256 or _sha256(document))
        return pb.CompleteSignatureResponse(document=document, signature=summary_pb(result))


def _appended_sha256(prefix: hashlib._Hash, stream: BinaryIO, start: int) -> str:
    """SHA-256 of ``stream`` whose first ``start`` bytes ``prefix`` has already hashed."""
    digest = prefix.copy()
    stream.seek(start)
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _chunks(stream: BinaryIO, start: int = 0) -> Iterator[pb.SignStreamResponse]:
    stream.seek(start)
    while chunk := stream.read(_CHUNK):
        yield pb.SignStreamResponse(chunk=chunk)


def register(server: grpc.Server, ctx: AppContext) -> list[str]:
    """Add the Signer servicer (its keys were loaded by ``build_context``)."""
    pb_grpc.add_SignerServicer_to_server(SignerServicer(ctx, ctx.signing, ctx.two_step), server)
    return [pb.DESCRIPTOR.services_by_name["Signer"].full_name]


__all__: list[Any] = ["register"]
