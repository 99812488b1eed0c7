"""The verifier's settings: the ``[verifier]`` section."""

from __future__ import annotations

from pydantic import Field

from kyso.settings import OptionalExistingDirectory, SettingsModel


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


__all__ = ["VerifierSettings"]
