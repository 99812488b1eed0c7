"""Collects findings at the policy's levels and knows which rules held."""

from __future__ import annotations

from kyso.layout.geometry import Rect
from verifier.layout.messages import CODES, NOT_APPLICABLE_WHY, render
from verifier.layout.model import Finding, Outcome
from verifier.layout.policy import LayoutPolicy
from verifier.model import Level

_ORDER = {Level.FAIL: 0, Level.WARN: 1, Level.INFORM: 2, Level.IGNORE: 3}


class Judge:
    def __init__(self, policy: LayoutPolicy) -> None:
        self.policy = policy
        self.findings: list[Finding] = []
        self._applied: list[str] = []
        self._broken: set[str] = set()

    def applies(self, rule: str) -> bool:
        """True when the policy evaluates ``rule``; records that it was evaluated."""
        if not self.policy.applies(rule):
            return False
        if rule not in self._applied:
            self._applied.append(rule)
        return True

    def add(
        self,
        code: str,
        *,
        outcome: Outcome = Outcome.VIOLATED,
        page: int | None = None,
        rect: Rect | None = None,
        expected: str = "",
        found: str = "",
        source: str = "",
    ) -> None:
        rule = CODES[code][0]
        if outcome is Outcome.NOT_APPLICABLE:
            level = Level.INFORM
        else:
            level = self.policy.level(rule, code)
            if outcome is Outcome.UNKNOWN and _ORDER[level] < _ORDER[Level.WARN]:
                level = Level.WARN  # could not be established: never a FAIL on a guess
        if level is Level.IGNORE:
            return
        if outcome in (Outcome.VIOLATED, Outcome.UNKNOWN) and level in (Level.FAIL, Level.WARN):
            self._broken.add(rule)
        if outcome is Outcome.NOT_APPLICABLE:
            why_en, why_vi = NOT_APPLICABLE_WHY[found]
            found = why_en
            en, vi = render(code, "", why_en)[0], render(code, "", why_vi)[1]
        else:
            en, vi = render(code, expected, found)
        self.findings.append(
            Finding(
                rule=rule,
                code=code,
                severity=level,
                outcome=outcome,
                page=page,
                rect=rect.as_tuple() if rect is not None else None,
                expected=expected,
                found=found,
                message_en=en,
                message_vi=vi,
                text_source=source,
            )
        )

    def not_applicable(self, rule: str, why: str) -> None:
        """``rule`` does not apply; ``why`` is a key of :data:`NOT_APPLICABLE_WHY`."""
        if self.applies(rule):
            self.add(f"{rule}_NOT_APPLICABLE", outcome=Outcome.NOT_APPLICABLE, found=why)
            self._applied.remove(rule)

    def passed(self) -> list[str]:
        return [r for r in self._applied if r not in self._broken]


__all__ = ["Judge"]
