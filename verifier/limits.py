"""The ``[verifier]`` limits as the lower layers take them, and how a hit limit is reported.

Every limit is a setting (:class:`verifier.settings.VerifierSettings`, docs/configuration.md)
and is named in the report when it stopped some work: a warning ``LIMIT_REACHED`` whose text
names the setting and its value (docs/robustness.md).  A limit never turns a signature
PASSED; work it cut short leaves the affected signature or document INDETERMINATE.
"""

from __future__ import annotations

from collections.abc import Iterable

from kyso.pdf.parse_limits import ParseLimits
from kyso.pki.candidates import PathLimits
from verifier.messages import note
from verifier.model import Message
from verifier.settings import VerifierSettings


def parse_limits(s: VerifierSettings) -> ParseLimits:
    """The parsing bounds of one request."""
    return ParseLimits(
        max_stream_decoded_bytes=s.max_stream_decoded_bytes,
        max_object_stream_decoded_bytes=s.max_object_stream_decoded_bytes,
        max_decoded_bytes=s.max_decoded_bytes,
        max_contents_bytes=s.max_contents_bytes,
        max_objects=s.max_objects,
    )


#: PathLimits field -> the setting's name (they differ only where the setting says "path").
_PATH_SETTINGS = {
    "max_certificates": "max_path_certificates",
    "max_signature_checks": "max_path_signature_checks",
    "max_issuers_per_certificate": "max_issuers_per_certificate",
    "max_chain_length": "max_chain_length",
    "max_candidate_paths": "max_candidate_paths",
}


def path_limits(s: VerifierSettings) -> PathLimits:
    """The bounds of one certificate path search."""
    return PathLimits(**{field: getattr(s, name) for field, name in _PATH_SETTINGS.items()})


def path_limits_reached(limits: PathLimits, fields: Iterable[str]) -> list[Message]:
    """``LIMIT_REACHED`` warnings for the :class:`PathLimits` fields that bounded a search."""
    return [
        note("LIMIT_REACHED", limit=_PATH_SETTINGS.get(f, f), value=getattr(limits, f, "?"))
        for f in sorted(set(fields))
    ]


def reached(s: VerifierSettings, names: Iterable[str]) -> list[Message]:
    """One ``LIMIT_REACHED`` warning per setting name in ``names`` (sorted, each once)."""
    return [
        note("LIMIT_REACHED", limit=name, value=getattr(s, name, "?"))
        for name in sorted(set(names))
    ]


__all__ = ["parse_limits", "path_limits", "path_limits_reached", "reached"]
