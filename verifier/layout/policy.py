"""Layout rules as data: levels per rule and per finding code, and tolerances.

Defaults come from ``rules.json`` (Decree 30/2020). A validation policy's optional ``layout``
section changes them::

    "layout": {
      "enabled": true,
      "rules": {"RECIPIENTS": "IGNORE", "PAGE_SIZE": {"level": "FAIL"}},
      "codes": {"PLACE_DATE_NOT_ITALIC": "INFORM"},
      "tolerances": {"page_size_mm": 2.0}
    }

A rule at IGNORE is not evaluated. Unknown rules, codes, tolerances or levels are refused
(``POLICY_INVALID``), as for the validation constraints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kyso.errors import InvalidInput
from verifier.layout.messages import CODES
from verifier.model import Level

_RULES_FILE = Path(__file__).with_name("rules.json")


@dataclass(frozen=True)
class LayoutPolicy:
    levels: dict[str, Level]
    codes: dict[str, Level] = field(default_factory=dict)
    tolerances: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    enabled: bool = True

    def level(self, rule: str, code: str) -> Level:
        if code in self.codes:
            return self.codes[code]
        return self.levels.get(rule, Level.FAIL)

    def applies(self, rule: str) -> bool:
        return self.enabled and self.levels.get(rule, Level.FAIL) is not Level.IGNORE

    def tolerance(self, name: str) -> float:
        return self.tolerances[name]


def _level(value: Any, what: str, source: str) -> Level:
    raw = value.get("level") if isinstance(value, dict) else value
    try:
        return Level(str(raw).upper())
    except ValueError as exc:
        raise InvalidInput(
            "POLICY_INVALID",
            policy=source,
            problem=f"layout {what}: level must be FAIL, WARN, INFORM or IGNORE",
        ) from exc


@cache
def default_layout_policy() -> LayoutPolicy:
    raw = json.loads(_RULES_FILE.read_text(encoding="utf-8"))
    return LayoutPolicy(
        levels={k: Level(v["level"]) for k, v in raw["rules"].items()},
        codes={k: Level(v) for k, v in raw["codes"].items()},
        tolerances={k: float(v) for k, v in raw["tolerances"].items()},
        sources={k: str(v.get("source", "")) for k, v in raw["rules"].items()},
    )


def parse_layout(raw: Any, source: str) -> LayoutPolicy:
    """The default rules changed by a policy file's ``layout`` section (None: defaults)."""
    base = default_layout_policy()
    if raw is None:
        return base

    def bad(problem: str) -> InvalidInput:
        return InvalidInput("POLICY_INVALID", policy=source, problem=f"layout: {problem}")

    if not isinstance(raw, dict):
        raise bad("must be an object")
    unknown = set(raw) - {"enabled", "rules", "codes", "tolerances"}
    if unknown:
        raise bad(f"unknown keys {sorted(unknown)}")
    levels = dict(base.levels)
    for name, value in (raw.get("rules") or {}).items():
        if name not in levels:
            raise bad(f"unknown rule {name}")
        levels[name] = _level(value, f"rule {name}", source)
    codes = dict(base.codes)
    for name, value in (raw.get("codes") or {}).items():
        if name not in CODES:
            raise bad(f"unknown finding code {name}")
        codes[name] = _level(value, f"code {name}", source)
    tolerances = dict(base.tolerances)
    for name, value in (raw.get("tolerances") or {}).items():
        if name not in tolerances:
            raise bad(f"unknown tolerance {name}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise bad(f"tolerance {name} must be a number >= 0")
        tolerances[name] = float(value)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise bad("enabled must be true or false")
    return LayoutPolicy(levels, codes, tolerances, base.sources, enabled)


__all__ = ["LayoutPolicy", "default_layout_policy", "parse_layout"]
