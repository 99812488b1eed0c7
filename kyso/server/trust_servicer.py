"""gRPC adapter for the trust store (``kyso.v1.TrustStore``).

Wiring only: access control is done by :mod:`kyso.server.auth`'s interceptor
before a method runs, the rules of a change live in ``trust_store``.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from kyso.errors import InvalidInput, Unauthenticated
from kyso.server.auth import Identity, current_identity
from kyso.server.context import AppContext
from kyso.server.status import grpc_errors
from kyso.v1 import trust_store_pb2 as pb
from kyso.v1 import trust_store_pb2_grpc as pb_grpc
from signer.audit import SigningAuditEntry
from trust_store import ChangeOutcome, Purpose, TrustEntry, TrustRole
from trust_store.audit import AuditEntry, AuditReport, parse_since
from trust_store.bundles import available
from trust_store.certificates import (
    describe_name,
    is_expired,
    serial_hex,
    to_p7b,
    to_pem,
    validity,
)

SERVICE_NAME = "kyso.v1.TrustStore"
STORAGE_HEALTH_NAME = "kyso.v1.TrustStore.storage"  # NOT_SERVING while Redis is unreachable
_SOON = timedelta(days=90)

_PURPOSE_TO_PB = {
    Purpose.SIGNATURE: pb.TRUST_PURPOSE_SIGNATURE,
    Purpose.TIMESTAMPING: pb.TRUST_PURPOSE_TIMESTAMPING,
    Purpose.OCSP_SIGNING: pb.TRUST_PURPOSE_OCSP_SIGNING,
}
_PURPOSE_FROM_PB = {v: k for k, v in _PURPOSE_TO_PB.items()}
_ROLE_TO_PB = {
    TrustRole.ANCHOR: pb.TRUST_ROLE_ANCHOR,
    TrustRole.INTERMEDIATE: pb.TRUST_ROLE_INTERMEDIATE,
}
_ROLE_FROM_PB = {v: k for k, v in _ROLE_TO_PB.items()}


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def certificate_message(entry: TrustEntry, *, with_der: bool = False) -> pb.TrustCertificate:
    cert = entry.certificate
    not_before, not_after = validity(cert)
    now = datetime.now(UTC)
    msg = pb.TrustCertificate(
        sha256=entry.sha256,
        subject=describe_name(cert.subject),
        issuer=describe_name(cert.issuer),
        serial=serial_hex(cert),
        not_before=_ts(not_before),
        not_after=_ts(not_after),
        purposes=sorted(_PURPOSE_TO_PB[p] for p in entry.purposes),
        role=_ROLE_TO_PB[entry.role],
        added_by=entry.added_by,
        reason=entry.reason,
        expired=is_expired(cert, now),
        expires_within_90_days=now <= not_after <= now + _SOON,
    )
    if entry.added_at is not None:
        msg.added_at.CopyFrom(_ts(entry.added_at))
    if with_der:
        msg.der = cert.dump()
    return msg


def _audit_message(entry: AuditEntry) -> pb.AuditEntry:
    return pb.AuditEntry(
        seq=entry.seq,
        time=entry.time,
        actor=entry.actor,
        action=entry.action,
        outcome=entry.outcome,
        reason=entry.reason,
        version=entry.version,
        before=list(entry.before),
        after=list(entry.after),
        subjects=list(entry.subjects),
        code=entry.code,
        prev=entry.prev,
        hash=entry.hash,
    )


def _signing_message(entry: SigningAuditEntry) -> pb.SigningAuditEntry:
    return pb.SigningAuditEntry(**{**asdict(entry)})


def _which_log(name: str) -> str:
    """ "" and "trust" name the trust store's audit; "signing" the signing audit."""
    name = name.strip().lower() or "trust"
    if name not in ("trust", "signing"):
        raise InvalidInput("OPTION_INVALID", option="log", problem="expected trust or signing")
    return name


def _change(outcome: ChangeOutcome) -> pb.TrustChangeResponse:
    return pb.TrustChangeResponse(
        version=outcome.version,
        added=[certificate_message(e) for e in outcome.added],
        removed=[certificate_message(e) for e in outcome.removed],
        audit_seq=outcome.audit_seq,
    )


def _purposes(values: Any) -> list[Purpose]:
    return [_PURPOSE_FROM_PB[v] for v in values if v in _PURPOSE_FROM_PB]


def _expected(request: Any) -> int | None:
    return int(request.expected_version) if request.HasField("expected_version") else None


def _identity() -> Identity:
    identity = current_identity()
    if identity is None:  # the interceptor always sets it; never change the store anonymously
        raise Unauthenticated("UNAUTHENTICATED")
    return identity


class TrustStoreServicer(pb_grpc.TrustStoreServicer):
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    @property
    def _store(self) -> Any:
        return self._ctx.trust

    @grpc_errors
    def Add(self, request: pb.AddTrustCertificateRequest, context: grpc.ServicerContext) -> Any:
        outcome = self._store.add(
            request.certificate,
            actor=_identity().actor,
            reason=request.reason,
            purposes=_purposes(request.purposes),
            role=_ROLE_FROM_PB.get(request.role),
            allow_expired=request.allow_expired,
            expected_version=_expected(request),
        )
        return _change(outcome)

    @grpc_errors
    def Remove(
        self, request: pb.RemoveTrustCertificateRequest, context: grpc.ServicerContext
    ) -> Any:
        outcome = self._store.remove(
            request.sha256,
            actor=_identity().actor,
            reason=request.reason,
            confirm_in_use=request.confirm_anchor_in_use,
            expected_version=_expected(request),
        )
        return _change(outcome)

    @grpc_errors
    def Import(self, request: pb.ImportTrustBundleRequest, context: grpc.ServicerContext) -> Any:
        outcome = self._store.import_bundle(
            request.bundle,
            actor=_identity().actor,
            reason=request.reason,
            purposes=_purposes(request.purposes),
            allow_expired=request.allow_expired,
            skip_existing=request.skip_existing,
            expected_version=_expected(request),
        )
        return _change(outcome)

    @grpc_errors
    def InstallBundle(
        self, request: pb.InstallTrustBundleRequest, context: grpc.ServicerContext
    ) -> Any:
        outcome = self._store.install_bundle(
            request.name,
            actor=_identity().actor,
            reason=request.reason,
            expected_version=_expected(request),
        )
        return _change(outcome)

    @grpc_errors
    def List(self, request: pb.ListTrustCertificatesRequest, context: grpc.ServicerContext) -> Any:
        snap = self._store.snapshot()
        role = _ROLE_FROM_PB.get(request.role)
        purpose = _PURPOSE_FROM_PB.get(request.purpose)
        return pb.ListTrustCertificatesResponse(
            version=snap.version,
            certificates=[
                certificate_message(e)
                for e in snap.entries
                if (role is None or e.role is role) and (purpose is None or purpose in e.purposes)
            ],
        )

    @grpc_errors
    def Get(self, request: pb.GetTrustCertificateRequest, context: grpc.ServicerContext) -> Any:
        return certificate_message(self._store.get(request.sha256), with_der=True)

    @grpc_errors
    def Export(self, request: pb.ExportTrustStoreRequest, context: grpc.ServicerContext) -> Any:
        snap = self._store.snapshot()
        entries = [
            e for e in snap.entries if not request.anchors_only or e.role is TrustRole.ANCHOR
        ]
        certs = [e.certificate for e in entries]
        if request.format == pb.TRUST_EXPORT_FORMAT_P7B:
            data, content_type = to_p7b(certs), "application/pkcs7-mime"
        else:
            data, content_type = b"".join(to_pem(c) for c in certs), "application/x-pem-file"
        return pb.ExportTrustStoreResponse(
            version=snap.version, data=data, content_type=content_type, count=len(certs)
        )

    @grpc_errors
    def ListBundles(
        self, request: pb.ListTrustBundlesRequest, context: grpc.ServicerContext
    ) -> Any:
        return pb.ListTrustBundlesResponse(names=available(self._store.bundles_path))

    @grpc_errors
    def History(self, request: pb.TrustHistoryRequest, context: grpc.ServicerContext) -> Any:
        limit = int(request.limit) or 100
        entries = self._store.history(limit=min(limit, 10000), fingerprint=request.sha256)
        return pb.TrustHistoryResponse(entries=[_audit_message(e) for e in entries])

    @grpc_errors
    def VerifyAudit(self, request: pb.VerifyAuditRequest, context: grpc.ServicerContext) -> Any:
        report: AuditReport = (
            self._ctx.signing_audit.verify()
            if _which_log(request.log) == "signing"
            else self._store.verify_audit()
        )
        return pb.VerifyAuditResponse(
            ok=report.ok,
            entries=report.entries,
            head_seq=report.head_seq,
            problems=[
                pb.AuditProblem(position=p.position, seq=p.seq or 0, kind=p.kind, message=p.message)
                for p in report.problems
            ],
            checkpoints_checked=report.checkpoints_checked,
            checkpoints=report.checkpoints,
            covered_seq=report.covered_seq,
            uncovered=report.uncovered,
        )

    @grpc_errors
    def ListAudit(self, request: pb.ListAuditRequest, context: grpc.ServicerContext) -> Any:
        since = parse_since(request.since)
        limit = min(int(request.limit) or 100, 10000)
        if _which_log(request.log) == "signing":
            entries = self._ctx.signing_audit.entries(key=request.key, since=since, newest=limit)
            return pb.ListAuditResponse(signing_entries=[_signing_message(e) for e in entries])
        if request.key:
            raise InvalidInput(
                "OPTION_INVALID", option="key", problem="only the signing audit names keys"
            )
        trust = [
            e
            for e in self._store.history(limit=0)
            if since is None or datetime.fromisoformat(e.time) >= since
        ]
        return pb.ListAuditResponse(trust_entries=[_audit_message(e) for e in trust[-limit:]])

    @grpc_errors
    def Status(self, request: pb.TrustStoreStatusRequest, context: grpc.ServicerContext) -> Any:
        status = self._store.status()
        msg = pb.TrustStoreStatus(
            version=status["version"],
            storage=status["storage"],
            degraded=bool(status["degraded"]),
            warning=status.get("warning", ""),
            redis_errors=int(status.get("redis_errors", 0)),
        )
        stats = self._ctx.revocation.stats()
        msg.revocation_cache_hits = stats.hits
        msg.revocation_cache_misses = stats.misses
        msg.revocation_stale_served = stats.stale_served
        msg.revocation_redis_errors = stats.redis_errors
        identity = current_identity()
        if identity is not None:
            msg.identity = identity.name
            msg.role = ",".join(sorted(r.value for r in identity.roles))
        return msg


def _publish_storage_health(ctx: AppContext, stop: threading.Event) -> None:
    """Mirror the store's Redis state into the health service (it exists only after build)."""
    from grpc_health.v1 import health_pb2

    last: bool | None = None
    while not stop.wait(0.25):
        health = ctx.health
        if health is None:
            continue
        degraded = bool(ctx.trust.status().get("degraded"))
        if degraded != last:
            health.set(
                STORAGE_HEALTH_NAME,
                health_pb2.HealthCheckResponse.NOT_SERVING
                if degraded
                else health_pb2.HealthCheckResponse.SERVING,
            )
            last = degraded


def register(server: grpc.Server, ctx: AppContext) -> list[str]:
    """Add this API's servicers to `server`; return their full service names."""
    pb_grpc.add_TrustStoreServicer_to_server(TrustStoreServicer(ctx), server)
    stop = threading.Event()
    thread = threading.Thread(
        target=_publish_storage_health, args=(ctx, stop), name="kyso-trust-health", daemon=True
    )
    thread.start()
    ctx.closers.append(stop.set)
    return [SERVICE_NAME]
