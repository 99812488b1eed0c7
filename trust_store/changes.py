"""The rules of a trust-store change, as pure functions of the current snapshot.

Storage-independent on purpose: a change is planned against the version it
will replace, refused as a whole or applied as a whole, and re-planned when a
concurrent writer got there first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import x509

from kyso.errors import AlreadyExists, InvalidInput, NotFound, Precondition
from trust_store.certificates import describe_name, is_ca, is_self_signed, issued_by, validity
from trust_store.model import Purpose, TrustEntry, TrustRole, TrustSnapshot, sha256_fingerprint

MAX_REASON = 2000


@dataclass(frozen=True)
class ChangePlan:
    entries: tuple[TrustEntry, ...]
    added: tuple[TrustEntry, ...] = ()
    removed: tuple[TrustEntry, ...] = ()

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(e.sha256 for e in (*self.added, *self.removed))

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed


def check_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("TRUST_REASON_REQUIRED")
    if len(text) > MAX_REASON:
        raise InvalidInput("TRUST_REASON_TOO_LONG")
    return text


def normalise_fingerprint(text: str) -> str:
    value = (text or "").replace(":", "").replace(" ", "").strip().upper()
    if not value or any(c not in "0123456789ABCDEF" for c in value) or len(value) > 64:
        raise InvalidInput("TRUST_BAD_FINGERPRINT")
    return value


def find(snapshot: TrustSnapshot, fingerprint: str) -> TrustEntry:
    """The one entry whose fingerprint starts with ``fingerprint``."""
    prefix = normalise_fingerprint(fingerprint)
    matches = [e for e in snapshot.entries if e.sha256.startswith(prefix)]
    if not matches:
        raise NotFound("TRUST_CERTIFICATE_NOT_FOUND", prefix=prefix)
    if len(matches) > 1:
        raise InvalidInput("TRUST_AMBIGUOUS_FINGERPRINT", prefix=prefix, count=len(matches))
    return matches[0]


def dependents(snapshot: TrustSnapshot, entry: TrustEntry) -> list[TrustEntry]:
    """Certificates in the store issued under ``entry`` (directly or through others)."""
    found: list[TrustEntry] = []
    frontier = [entry.certificate]
    seen = {entry.sha256}
    while frontier:
        parent = frontier.pop()
        for e in snapshot.entries:
            if e.sha256 not in seen and issued_by(e.certificate, parent):
                seen.add(e.sha256)
                found.append(e)
                frontier.append(e.certificate)
    return found


def _validate(cert: x509.Certificate, role: TrustRole, allow_expired: bool, now: datetime) -> None:
    name = describe_name(cert.subject)
    if not is_ca(cert):
        raise InvalidInput("TRUST_NOT_CA", name=name, role=role.value)
    if role is TrustRole.ANCHOR and not is_self_signed(cert):
        raise InvalidInput("TRUST_ANCHOR_NOT_SELF_SIGNED", name=name)
    not_before, not_after = validity(cert)
    if not allow_expired and not_after < now:
        raise Precondition("TRUST_CERTIFICATE_EXPIRED", name=name, not_after=not_after)
    if not allow_expired and not_before > now:
        raise Precondition("TRUST_CERTIFICATE_NOT_YET_VALID", name=name, not_before=not_before)


def plan_add(
    snapshot: TrustSnapshot,
    certs: Iterable[x509.Certificate],
    *,
    actor: str,
    reason: str,
    purposes: Iterable[Purpose] = (),
    role: TrustRole | None = None,
    allow_expired: bool = False,
    skip_existing: bool = False,
    purposes_by_fingerprint: dict[str, frozenset[Purpose]] | None = None,
    role_by_fingerprint: dict[str, TrustRole] | None = None,
    now: datetime | None = None,
) -> ChangePlan:
    """Add every certificate or none; duplicates in the request itself are folded."""
    reason = check_reason(reason)
    now = now or datetime.now(UTC)
    default_purposes = frozenset(purposes) or frozenset({Purpose.SIGNATURE})
    present = {e.sha256 for e in snapshot.entries}
    added: list[TrustEntry] = []
    seen: set[str] = set()
    for cert in certs:
        fp = sha256_fingerprint(cert)
        if fp in seen:
            continue
        seen.add(fp)
        if fp in present:
            if skip_existing:
                continue
            raise AlreadyExists(
                "TRUST_CERTIFICATE_EXISTS", name=describe_name(cert.subject), fingerprint=fp[:16]
            )
        this_role = (
            (role_by_fingerprint or {}).get(fp)
            or role
            or (TrustRole.ANCHOR if is_self_signed(cert) else TrustRole.INTERMEDIATE)
        )
        _validate(cert, this_role, allow_expired, now)
        added.append(
            TrustEntry(
                certificate=cert,
                role=this_role,
                purposes=(purposes_by_fingerprint or {}).get(fp, default_purposes),
                added_by=actor,
                added_at=now,
                reason=reason,
            )
        )
    return ChangePlan(entries=(*snapshot.entries, *added), added=tuple(added))


def plan_remove(
    snapshot: TrustSnapshot, fingerprint: str, *, reason: str, confirm_in_use: bool = False
) -> ChangePlan:
    """Remove one entry; an anchor with certificates under it needs confirmation."""
    check_reason(reason)
    entry = find(snapshot, fingerprint)
    if entry.role is TrustRole.ANCHOR and not confirm_in_use:
        # kyso keeps no index of the signatures it verified, so "still in use" is approximated:
        # certificates in the store chaining to it, or the anchor itself still being valid.
        under = dependents(snapshot, entry)
        still_valid = validity(entry.certificate)[1] > datetime.now(UTC)
        if under or still_valid:
            raise Precondition("TRUST_ANCHOR_IN_USE", count=len(under))
    remaining = tuple(e for e in snapshot.entries if e.sha256 != entry.sha256)
    return ChangePlan(entries=remaining, removed=(entry,))
