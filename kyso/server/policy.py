"""Who may call what: the access policy of every gRPC method, as one table.

A client has one or more :class:`Role` (``[[clients]]`` tables, :mod:`kyso.server.settings`);
:data:`POLICY` says, for each full gRPC method name, which roles may call it (any one of them
suffices), whether the request names a signing key the client must be allowed to use, and
which audit records a refusal of an identified client. A method missing from the table is
denied (deny by default); only the health and reflection services are open. The interceptor
of :mod:`kyso.server.auth` applies it before any servicer runs (docs/security.md, "Roles").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


class Role(enum.StrEnum):
    """What a client may do (docs/security.md has the table of methods)."""

    VERIFIER = "verifier"  # Verify, VerifyStream, CheckLayout, Intake, IntakeStream
    SIGNER = "signer"  # Sign, SignStream, two-step, ListKeys: with its listed keys only
    SECURITY_OFFICER = "security_officer"  # trust-store changes
    AUDITOR = "auditor"  # the trust store's and the signing audit


#: The names a ``[[clients]]`` table may give in ``roles`` (the values of :class:`Role`).
RoleName = Literal["verifier", "signer", "security_officer", "auditor"]

#: Which audit records the refusal of an identified client.
AuditName = Literal["signing", "trust"]


@dataclass(frozen=True)
class Rule:
    """One method's rule.

    ``roles``: any one of them lets a client call the method; empty means open to every
    caller, without a credential (health, reflection). ``key``: the request field naming the
    signing key (``header.key`` is the first message of a stream), which must be one of the
    client's ``keys``; when that field names a key, ``key_roles`` (if any) are needed besides
    ``roles`` (a Verify that asks for its report to be signed). ``audit``: where a refusal of
    an identified client is chained (refusals of callers without a credential are only
    counted: docs/security.md).
    """

    roles: frozenset[Role]
    key: str | None = None
    audit: AuditName | None = None
    key_roles: frozenset[Role] = frozenset()

    @property
    def open(self) -> bool:
        return not self.roles

    def describe_roles(self) -> str:
        """``signer``, or ``security_officer or auditor``: for error messages."""
        return " or ".join(sorted(r.value for r in self.roles))


ANY_ROLE = frozenset(Role)
OPEN = Rule(frozenset())
_SIGNER = frozenset({Role.SIGNER})
_OFFICER = frozenset({Role.SECURITY_OFFICER})
_AUDITOR = frozenset({Role.AUDITOR})

_VERIFIER = "/kyso.v1.Verifier/"
_SIGNER_SERVICE = "/kyso.v1.Signer/"
_TRUST = "/kyso.v1.TrustStore/"
_INTAKE = "/kyso.v1.Intake/"

#: Full gRPC method name -> rule. Every method kyso serves is here; anything else is denied.
POLICY: Mapping[str, Rule] = {
    # a signed report (sign_report_with) also needs the signer role and that key
    f"{_VERIFIER}Verify": Rule(
        frozenset({Role.VERIFIER}), key="options.sign_report_with", key_roles=_SIGNER
    ),
    f"{_VERIFIER}VerifyStream": Rule(
        frozenset({Role.VERIFIER}), key="options.sign_report_with", key_roles=_SIGNER
    ),
    # the layout report alone: also for a signing system checking its drafts before signing
    f"{_VERIFIER}CheckLayout": Rule(frozenset({Role.VERIFIER, Role.SIGNER})),
    # edXML packages: read, every attachment verified, cross-checked (docs/intake.md)
    f"{_INTAKE}Intake": Rule(frozenset({Role.VERIFIER})),
    f"{_INTAKE}IntakeStream": Rule(frozenset({Role.VERIFIER})),
    f"{_SIGNER_SERVICE}Sign": Rule(_SIGNER, key="key", audit="signing"),
    f"{_SIGNER_SERVICE}SignStream": Rule(_SIGNER, key="header.key", audit="signing"),
    # two-step: the client holds the key; kyso prepares and completes the document
    f"{_SIGNER_SERVICE}PrepareSignature": Rule(_SIGNER, audit="signing"),
    f"{_SIGNER_SERVICE}CompleteSignature": Rule(_SIGNER, audit="signing"),
    f"{_SIGNER_SERVICE}ListKeys": Rule(_SIGNER),  # lists the client's own keys only
    f"{_TRUST}Add": Rule(_OFFICER, audit="trust"),
    f"{_TRUST}Remove": Rule(_OFFICER, audit="trust"),
    f"{_TRUST}Import": Rule(_OFFICER, audit="trust"),
    f"{_TRUST}InstallBundle": Rule(_OFFICER, audit="trust"),
    # what is trusted is public (certificates): every client with a role may read it
    f"{_TRUST}List": Rule(ANY_ROLE),
    f"{_TRUST}Get": Rule(ANY_ROLE),
    f"{_TRUST}Export": Rule(ANY_ROLE),
    f"{_TRUST}ListBundles": Rule(ANY_ROLE),
    f"{_TRUST}Status": Rule(ANY_ROLE),
    # the trust store's change history: the officers who make changes, and the auditors
    f"{_TRUST}History": Rule(_OFFICER | _AUDITOR),
    # the audits (trust and signing): auditors only
    f"{_TRUST}VerifyAudit": Rule(_AUDITOR),
    f"{_TRUST}ListAudit": Rule(_AUDITOR),
    "/grpc.health.v1.Health/Check": OPEN,
    "/grpc.health.v1.Health/Watch": OPEN,
    "/grpc.health.v1.Health/List": OPEN,
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": OPEN,
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": OPEN,
}


def rule_for(method: str, policy: Mapping[str, Rule] = POLICY) -> Rule | None:
    """The rule of ``method`` (``/package.Service/Method``), None when it is not in the table."""
    return policy.get(method)


def short_name(method: str) -> str:
    """``/kyso.v1.Signer/Sign`` -> ``Signer.Sign`` (for messages and logs)."""
    service, _, name = method.strip("/").rpartition("/")
    return f"{service.rpartition('.')[2]}.{name}" if service else method[:128]


__all__ = [
    "ANY_ROLE",
    "OPEN",
    "POLICY",
    "AuditName",
    "Role",
    "RoleName",
    "Rule",
    "rule_for",
    "short_name",
]
