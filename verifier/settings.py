"""The verifier's settings: the ``[verifier]`` section."""

from __future__ import annotations

from pydantic import Field

from kyso.settings import OptionalExistingDirectory, SettingsModel
from verifier.visual_comparison import VisualLimits


class VerifierSettings(SettingsModel):
    """Which validation policy applies by default, and how long a validation may fetch."""

    policy_dir: OptionalExistingDirectory = Field(
        None, description="directory of extra policies (`<name>.json`); they override shipped ones"
    )
    default_policy: str = Field(
        "vn-gov", description="policy used when a request names none (checked at start-up)"
    )
    fetch_revocation: bool = Field(
        True, description="fetch OCSP/CRL when a request does not say (false: offline)"
    )
    request_timeout_seconds: float = Field(
        30.0, gt=0, description="time budget of one validation, network fetches included"
    )
    layout: bool = Field(
        True,
        description="check the Decree 30/2020 layout in every validation report when a request "
        "does not say (docs/layout.md)",
    )
    layout_ocr: bool = Field(
        True,
        description="read pages without a text layer by OCR (tesseract, Vietnamese model) when "
        "a request does not say; off or unavailable: a TEXT_LAYER finding",
    )
    layout_ocr_budget_seconds: float = Field(
        12.0, gt=0, le=300, description="OCR time budget of one document (all its pages)"
    )
    layout_ocr_dpi: int = Field(
        200, ge=150, le=400, description="resolution pages are rendered at for OCR (dpi)"
    )
    layout_max_document_bytes: int = Field(
        100 * 1024 * 1024,
        ge=1,
        description="larger documents get no layout report (NOT_CHECKED): PDFium reads a copy "
        "of the document in memory",
    )
    layout_max_pages: int = Field(
        60, ge=1, le=10_000, description="pages a layout check reads at most (besides page 1)"
    )
    # -- limits (docs/robustness.md); each is named in the report or error when it is hit
    max_path_certificates: int = Field(
        64,
        ge=1,
        le=10_000,
        description="distinct certificates (by subject, key and issuer) taken from the trust "
        "store, CMS and DSS for one path search; the rest are ignored",
    )
    max_path_signature_checks: int = Field(
        256,
        ge=1,
        le=100_000,
        description="issuer-candidate signature verifications per path search",
    )
    max_issuers_per_certificate: int = Field(
        4, ge=1, le=64, description="verifying issuers kept per certificate in a path search"
    )
    max_chain_length: int = Field(
        8, ge=2, le=64, description="certificates in a path below its trust anchor"
    )
    max_candidate_paths: int = Field(
        8, ge=1, le=1_000, description="candidate paths validated per certificate"
    )
    max_stream_decoded_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024 * 1024,
        description="decoded bytes of any one PDF stream (pyHanko's generic limit is 256 MiB)",
    )
    max_object_stream_decoded_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024 * 1024,
        description="decoded bytes of one object stream (pyHanko's object-stream limit is 64 "
        "MiB; at most 100 times its encoded size above 4 MiB)",
    )
    max_decoded_bytes: int = Field(
        512 * 1024 * 1024,
        ge=1024 * 1024,
        description="decoded stream bytes per request, all streams together",
    )
    max_contents_bytes: int = Field(
        8 * 1024 * 1024,
        ge=64 * 1024,
        description="length of a signature's /Contents hex string, checked before decoding",
    )
    max_objects: int = Field(
        250_000,
        ge=1_000,
        description="objects a document may declare (largest trailer or xref-stream /Size), "
        "checked before the cross-reference data is read; more: only the byte-level checks",
    )
    max_signatures: int = Field(
        100,
        ge=1,
        le=100_000,
        description="signature fields validated per document; more: the document is "
        "INDETERMINATE and the rest are counted",
    )
    max_listed_changes: int = Field(
        50,
        ge=1,
        le=100_000,
        description='changes after signing listed per signature (the rest: "and N more")',
    )
    visual_comparison: bool = Field(
        True,
        description="render the pages changed after each signature at the signed and the final "
        "revision and compare them (VISUAL_DIFFERENCE, VISUAL_ADDITION)",
    )
    visual_dpi: float = Field(
        50.0, ge=36, le=300, description="resolution of those renders (50: a 10-pt glyph ~7 px)"
    )
    visual_max_pixels: int = Field(
        4_000_000,
        ge=100_000,
        description="pixels of one rendered page; a larger page is rendered at a lower "
        "resolution, and not compared below 36 dpi (INDETERMINATE)",
    )
    visual_max_renders: int = Field(
        32, ge=2, description="page renders per document; pages beyond are not compared"
    )
    visual_budget_seconds: float = Field(
        3.0, gt=0, description="rendering time per document; pages beyond are not compared"
    )

    def visual_limits(self) -> VisualLimits:
        """The visual comparison's bounds, for :class:`verifier.validation.Request`."""
        return VisualLimits(
            enabled=self.visual_comparison,
            dpi=self.visual_dpi,
            max_pixels=self.visual_max_pixels,
            max_renders=self.visual_max_renders,
            budget_seconds=self.visual_budget_seconds,
        )


__all__ = ["VerifierSettings"]
