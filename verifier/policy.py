"""Validation policy as data: every constraint has a level (FAIL/WARN/INFORM/IGNORE).

Policies are JSON files (``verifier/policies/*.json`` plus an optional
``[verifier] policy_dir``).  The checks only say what they found; the policy
says how much it matters.  Constraints that guard integrity and identity are
*mandatory*: a policy that tries to lower them below FAIL is refused, so no
policy file can turn a forged signature into a PASSED one.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kyso.errors import InvalidInput, NotFound
from kyso.pki.algorithms import (
    CIRCULAR_SIGNATURE_SCHEMES,
    DEPRECATED_DIGESTS,
    SIGNATURE_SCHEMES,
    STRONG_DIGESTS,
    AlgorithmRules,
)
from verifier.constraints import CONSTRAINTS, MANDATORY, Constraint
from verifier.layout.policy import LayoutPolicy, default_layout_policy, parse_layout
from verifier.messages import render
from verifier.model import CheckResult, Indication, Level, Outcome, Status

SHIPPED_DIR = Path(__file__).with_name("policies")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Policy:
    name: str
    description_en: str
    description_vi: str
    levels: dict[str, Level]
    algorithms: AlgorithmRules = field(default_factory=AlgorithmRules)
    citations: dict[str, dict[str, str]] = field(default_factory=dict)
    # Constraints whose violation fails the signature outright instead of ETSI's INDETERMINATE.
    escalations: frozenset[str] = frozenset()
    # The Decree 30/2020 layout rules (the policy file's "layout" section; docs/layout.md).
    layout: LayoutPolicy = field(default_factory=default_layout_policy)

    def level(self, constraint: str) -> Level:
        return self.levels.get(constraint, Level.FAIL)

    def citation(self, constraint: str) -> tuple[str, str]:
        """(English, Vietnamese) legal basis the report cites for a constraint."""
        c = self.citations.get(constraint, {})
        return c.get("en", ""), c.get("vi", "")

    def judge(
        self,
        constraint: Constraint,
        outcome: Outcome,
        /,
        **params: Any,
    ) -> CheckResult:
        """Turn what a check found into a result, at this policy's level.

        ``params`` fill the constraint's message (:mod:`verifier.messages`).
        """
        c = constraint
        name, block = c.name, c.block
        level = self.level(c.level_name)
        ok = outcome is Outcome.OK
        code = c.ok if ok else c.fail
        en, vi = render(f"{c.key}.{'ok' if ok else 'fail'}", **params)
        if ok:
            return CheckResult(name, block, Status.PASSED, level, code, en, vi)
        sub_indication = c.sub
        if level is Level.FAIL:
            if outcome is Outcome.UNKNOWN:
                return CheckResult(
                    name, block, Status.INDETERMINATE, level, code, en, vi,
                    Indication.INDETERMINATE, sub_indication,
                )  # fmt: skip
            # the constraint is violated; ``failure`` says how much
            failure = Indication.TOTAL_FAILED if c.level_name in self.escalations else c.failure
            return CheckResult(
                name, block, Status.FAILED, level, code, en, vi, failure, sub_indication
            )
        status = {
            Level.WARN: Status.WARNING,
            Level.INFORM: Status.INFORMATION,
            Level.IGNORE: Status.SKIPPED,
        }[level]
        return CheckResult(name, block, status, level, code, en, vi)


def _parse(raw: dict[str, Any], source: str) -> Policy:
    def bad(why: str) -> InvalidInput:
        return InvalidInput("POLICY_INVALID", policy=source, problem=why)

    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise bad("missing or invalid name")
    levels: dict[str, Level] = {}
    escalations: set[str] = set()
    for cname, spec in (raw.get("constraints") or {}).items():
        if cname not in CONSTRAINTS:
            raise bad(f"unknown constraint {cname}")
        value = spec.get("level") if isinstance(spec, dict) else spec
        try:
            level = Level(str(value).upper())
        except ValueError as exc:
            raise bad(f"constraint {cname}: level must be FAIL, WARN, INFORM or IGNORE") from exc
        if cname in MANDATORY and level is not Level.FAIL:
            raise bad(f"constraint {cname} is mandatory and must stay FAIL")
        levels[cname] = level
        if isinstance(spec, dict) and spec.get("indication") is not None:
            if spec["indication"] != "TOTAL_FAILED":
                raise bad(f"constraint {cname}: indication may only be TOTAL_FAILED")
            escalations.add(cname)
    for cname in CONSTRAINTS:
        levels.setdefault(cname, Level.FAIL)
    alg = raw.get("algorithms") or {}
    acceptable = frozenset(str(d).lower() for d in alg.get("acceptable_digests", STRONG_DIGESTS))
    if not acceptable <= STRONG_DIGESTS:
        raise bad("acceptable_digests may only list SHA-2/SHA-3/SHAKE digests")
    schemes = frozenset(
        str(x).lower() for x in alg.get("signature_algorithms", sorted(CIRCULAR_SIGNATURE_SCHEMES))
    )
    if not schemes <= frozenset(SIGNATURE_SCHEMES):
        raise bad(f"signature_algorithms may only list {', '.join(sorted(SIGNATURE_SCHEMES))}")
    until: list[tuple[str, datetime]] = []
    for digest, when in (alg.get("deprecated_until") or {}).items():
        if str(digest).lower() not in DEPRECATED_DIGESTS:
            raise bad("deprecated_until may only date deprecated digests")
        try:
            moment = datetime.fromisoformat(str(when))
        except ValueError as exc:
            raise bad(f"deprecated_until {digest}: not an ISO 8601 date") from exc
        until.append((str(digest).lower(), moment if moment.tzinfo else moment.replace(tzinfo=UTC)))
    rules = AlgorithmRules(
        acceptable_digests=acceptable,
        deprecated_digests=frozenset(
            str(d).lower() for d in alg.get("deprecated_digests", sorted(DEPRECATED_DIGESTS))
        )
        & DEPRECATED_DIGESTS,
        rsa_min_bits=max(1024, int(alg.get("rsa_min_bits", 2048))),
        ecdsa_min_bits=max(160, int(alg.get("ecdsa_min_bits", 256))),
        signature_schemes=schemes,
        pss_min_salt_bytes=max(0, int(alg.get("pss_min_salt_bytes", 0))),
        deprecated_until=tuple(until),
    )
    citations = {
        str(k): {"en": str(v.get("en", "")), "vi": str(v.get("vi", ""))}
        for k, v in (raw.get("citations") or {}).items()
        if isinstance(v, dict)
    }
    return Policy(
        name=name,
        description_en=str(raw.get("description_en", "")),
        description_vi=str(raw.get("description_vi", "")),
        levels=levels,
        algorithms=rules,
        citations=citations,
        escalations=frozenset(escalations),
        layout=parse_layout(raw.get("layout"), source),
    )


class PolicyRegistry:
    """Loads policies once; a custom directory may add or override shipped ones."""

    def __init__(self, extra_dir: Path | None = None) -> None:
        self._dirs = [d for d in (extra_dir, SHIPPED_DIR) if d is not None]
        self._cache: dict[str, Policy] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Policy:
        if not _NAME.match(name):
            raise InvalidInput("POLICY_INVALID", policy=name, problem="invalid policy name")
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None:
                return cached
            for d in self._dirs:
                path = d / f"{name}.json"
                if path.is_file():
                    try:
                        raw = json.loads(path.read_text(encoding="utf-8"))
                    except (OSError, ValueError) as exc:
                        raise InvalidInput(
                            "POLICY_INVALID", policy=name, problem="cannot read"
                        ) from exc
                    policy = _parse(raw, name)
                    if policy.name != name:
                        raise InvalidInput(
                            "POLICY_INVALID",
                            policy=name,
                            problem=f"the file names itself {policy.name}",
                        )
                    self._cache[name] = policy
                    return policy
        raise NotFound("POLICY_NOT_FOUND", policy=name)

    def names(self) -> list[str]:
        return sorted({p.stem for d in self._dirs if d.is_dir() for p in d.glob("*.json")})


__all__ = ["CONSTRAINTS", "MANDATORY", "AlgorithmRules", "Policy", "PolicyRegistry"]
