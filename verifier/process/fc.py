"""FC (format checking, EN 319 102-1 5.2.2): the dictionary, /ByteRange, /Contents, coverage.

This is where Universal Signature Forgery, Signature Wrapping and non-standard-coverage attacks
die: the signed bytes must be the whole revision the signature belongs to, minus exactly the
/Contents hex string.  The changes after signing (DocMDP, annotations over content) are FC too
(DSS ``fc/checks``): :func:`changes_after_signing`, judged in :mod:`verifier.process._changes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader

from verifier import constraints as C
from verifier.constraints import Constraint
from verifier.facts import SignatureFacts
from verifier.model import CheckResult, Kind, Outcome
from verifier.policy import Policy
from verifier.process._changes import changes_after_signing
from verifier.process._context import Context
from verifier.signatures import DETACHED_SUBFILTERS, TIMESTAMP_SUBFILTER

_HEX = re.compile(rb"<(?:[0-9A-Fa-f]{2})*>")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF$")


@dataclass
class Coverage:
    """What the byte range covers, once it passed the checks."""

    ranges: tuple[tuple[int, int], tuple[int, int]]
    end: int  # end of the signed revision
    revision: int  # index of the signed revision (0 = original)
    whole_document: bool


def _fail(policy: Policy, c: Constraint, reason: str) -> CheckResult:
    return policy.judge(c, Outcome.NOT_OK, reason=reason)


def _ok(policy: Policy, c: Constraint, **params: object) -> CheckResult:
    return policy.judge(c, Outcome.OK, **params)


def _eol_stripped_end(data: bytes | memoryview, end: int) -> int:
    """Where %%EOF ends when the signed part ends with it plus at most one EOL."""
    tail = bytes(data[max(0, end - 2) : end])
    if tail.endswith(b"\r\n"):
        return end - 2
    if tail.endswith((b"\n", b"\r")):
        return end - 1
    return end


_NO_EOF = "the signed bytes do not end with startxref/%%EOF"


def _signed_startxref(data: bytes | memoryview, end: int) -> int | None:
    """The startxref value the signed bytes end with (plus at most one EOL), if any."""
    eof_end = _eol_stripped_end(data, end)
    window = bytes(data[max(0, eof_end - 64) : eof_end])
    matches = list(_STARTXREF.finditer(window))
    return int(matches[-1].group(1)) if matches else None


def _revision_coverage(
    data: bytes | memoryview, reader: PdfFileReader, found: SignatureFacts, end: int
) -> tuple[int | None, str]:
    """The revision whose %%EOF ends the signed bytes, or a reason why there is none."""
    startxref = _signed_startxref(data, end)
    if startxref is None:
        return None, _NO_EOF
    xrefs = reader.xrefs
    revision = None
    for rev in range(xrefs.total_revisions):
        if xrefs.get_startxref_for_revision(rev) == startxref:
            revision = rev
            break
    if revision is None:
        return None, "the signed bytes end with a startxref that matches no revision"
    for rev in range(revision + 1):
        if xrefs.get_xref_container_info(rev).end_location > end:
            return None, f"the cross-reference data of revision {rev} is not signed"
    if found.sig_ref is not None:
        try:
            introduced = xrefs.get_introducing_revision(found.sig_ref)
        except Exception:
            introduced = None
        if introduced is None or introduced > revision:
            return None, "the signature dictionary is not part of the signed revision"
    return revision, ""


def format_checks(
    found: SignatureFacts, ctx: Context, policy: Policy
) -> tuple[list[CheckResult], Coverage | None]:
    """Run every FC check; the coverage is only returned when all of them pass.

    Without a reader (the byte-level fallback for unreadable files) the revision can only be
    checked at byte level: the signed bytes must still end with startxref/%%EOF, and whether
    that revision's cross-reference data is all signed stays unknown (INDETERMINATE).
    """
    data, reader = ctx.data, ctx.reader
    results: list[CheckResult] = []
    problems = found.problems
    results.append(
        _fail(policy, C.SIGNATURE_DICTIONARY, problems["SIGNATURE_DICTIONARY"])
        if "SIGNATURE_DICTIONARY" in problems
        else _ok(policy, C.SIGNATURE_DICTIONARY)
    )
    results.append(
        _fail(policy, C.SUB_FILTER, problems["SUB_FILTER"])
        if "SUB_FILTER" in problems
        else _ok(
            policy,
            C.SUB_FILTER,
            sub_filter=found.sub_filter,
            sub_filter_name=found.sub_filter_name,
        )
    )
    coverage: Coverage | None = None
    raw_coverage: Coverage | None = None
    raw_check: CheckResult | None = None  # byte-level REVISION_COVERAGE (UNKNOWN) of the fallback
    br_reason = problems.get("BYTE_RANGE")
    contents = found.contents
    size = len(data)
    if br_reason is None:
        br: tuple[int, ...] = found.byte_range or ()
        if len(br) != 4:
            br_reason = f"/ByteRange has {len(br)} numbers, expected exactly two ranges"
        elif br[0] != 0:
            br_reason = "the first range does not start at offset 0"
        elif min(br) < 0 or br[1] <= 0 or br[3] <= 0:
            br_reason = "/ByteRange has negative or empty ranges"
        elif not br[1] < br[2] or br[2] + br[3] > size:
            br_reason = "/ByteRange ranges overlap or run past the end of the file"
        elif contents is None:
            br_reason = "no /Contents to match the gap against"
        else:
            gap = bytes(data[br[1] : br[2]])
            if not _HEX.fullmatch(gap):
                br_reason = "the gap between the ranges is not exactly an even-length hex string"
            elif bytes.fromhex(gap[1:-1].decode("ascii")) != contents:
                br_reason = "the gap between the ranges is not the /Contents of this signature"
            else:
                end = br[2] + br[3]
                ranges = ((0, br[1]), (br[2], br[3]))
                if reader is None:
                    results.append(_ok(policy, C.BYTE_RANGE))
                    if _signed_startxref(data, end) is None:
                        results.append(_fail(policy, C.REVISION_COVERAGE, _NO_EOF))
                    else:
                        raw_coverage = Coverage(ranges, end, -1, end == size)
                        raw_check = policy.judge(C.REVISION_COVERAGE_UNREADABLE, Outcome.UNKNOWN)
                        results.append(raw_check)
                else:
                    revision, why = _revision_coverage(data, reader, found, end)
                    if revision is None:
                        results.append(_ok(policy, C.BYTE_RANGE))
                        results.append(_fail(policy, C.REVISION_COVERAGE, why))
                    else:
                        coverage = Coverage(ranges, end, revision, end == size)
    if br_reason is not None:
        results.append(_fail(policy, C.BYTE_RANGE, br_reason))
    elif raw_coverage is not None:
        coverage = raw_coverage  # the REVISION_COVERAGE result is already in (UNKNOWN)
    elif coverage is not None:
        results.append(_ok(policy, C.BYTE_RANGE))
        results.append(_ok(policy, C.REVISION_COVERAGE, revision=coverage.revision + 1))

    sd = found.signed_data
    contents_problem = problems.get("CONTENTS")
    if contents_problem is None and sd is None:
        contents_problem = "/Contents holds no signature"
    if contents_problem is None and found.signer_info is not None:
        contents_problem = _unlisted_digest_algorithm(sd, found.signer_info)
    if contents_problem is not None or sd is None:
        results.append(_fail(policy, C.CONTENTS, contents_problem or "no SignedData"))
    else:
        results.append(_ok(policy, C.CONTENTS))
        eci = sd["encap_content_info"]
        ctype = eci["content_type"].native
        has_content = eci["content"].native is not None if eci["content"] is not None else False
        reason = ""
        if found.sub_filter in DETACHED_SUBFILTERS or found.kind is Kind.SIGNATURE:
            if ctype != "data":
                reason = f"encapsulated content type {ctype} under a detached signature"
            elif has_content:
                reason = "the CMS carries encapsulated content although the signature is detached"
        elif found.sub_filter == TIMESTAMP_SUBFILTER and (ctype != "tst_info" or not has_content):
            reason = "a document timestamp must encapsulate a TSTInfo"
        results.append(
            _fail(policy, C.DETACHED_CONTENT, reason) if reason else _ok(policy, C.DETACHED_CONTENT)
        )
    if any(r.indication is not None for r in results if r is not raw_check):
        coverage = None
    return results, coverage


def _unlisted_digest_algorithm(sd: cms.SignedData | None, si: cms.SignerInfo) -> str | None:
    """Why the SignedData does not declare the signer's digest algorithm (None: it does).

    RFC 5652 5.1 makes ``digestAlgorithms`` the list of the signers' digest algorithms (it may be
    empty); it lies outside what the signature covers, so a value that contradicts the SignerInfo
    is an alteration of the container or a broken writer, never a signature to pass as it is.
    Every signature of the public corpus lists its algorithm.
    """
    if sd is None:
        return None
    listed = {a["algorithm"].dotted for a in sd["digest_algorithms"]}
    used = si["digest_algorithm"]["algorithm"]
    if not listed or used.dotted in listed:
        return None
    return (
        f"the SignedData's digestAlgorithms ({', '.join(sorted(listed))}) does not list the "
        f"signer's digest algorithm {used.native} ({used.dotted})"
    )


__all__ = ["Coverage", "changes_after_signing", "format_checks"]
