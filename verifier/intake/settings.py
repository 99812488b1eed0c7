"""The intake's settings: the ``[intake]`` section (edXML packages, docs/intake.md)."""

from __future__ import annotations

from pydantic import Field

from kyso.edxml.attachments import ContentLimits
from kyso.edxml.reader import ReaderLimits
from kyso.settings import OptionalFilePath, SettingsModel

MiB = 1024 * 1024


class IntakeSettings(SettingsModel):
    """Limits of one edXML package and where the intake policy comes from."""

    max_package_bytes: int = Field(
        100 * MiB, ge=1, description="largest package of a unary Intake request (bytes)"
    )
    max_stream_package_bytes: int = Field(
        1024 * MiB, ge=1, description="largest package of IntakeStream (bytes)"
    )
    request_timeout_seconds: float = Field(
        120.0,
        gt=0,
        description="time budget of one intake (reading the package and verifying every "
        "attachment, network fetches included); a caller's shorter deadline wins",
    )
    max_attachments: int = Field(50, ge=1, description="most attachments one package may carry")
    max_attachment_bytes: int = Field(
        512 * MiB, ge=1, description="largest decoded attachment (bytes)"
    )
    max_unzipped_bytes: int = Field(
        512 * MiB, ge=1, description="largest file unpacked from a single-entry ZIP attachment"
    )
    spool_bytes: int = Field(
        8 * MiB, ge=0, description="attachments up to this size stay in memory, larger on disk"
    )
    damaged_replacement_runs: int = Field(
        8,
        ge=1,
        description="UTF-8 replacement sequences (EF BF BD) from which a PDF attachment is "
        "reported as damaged in transit",
    )
    policy_file: OptionalFilePath = Field(
        None,
        description="intake policy (JSON: rules' severities, conclusions); default: the shipped "
        "verifier/intake/intake-policy.json",
    )

    def reader_limits(self) -> ReaderLimits:
        return ReaderLimits(
            max_attachments=self.max_attachments,
            content=ContentLimits(
                max_attachment_bytes=self.max_attachment_bytes,
                max_unzipped_bytes=self.max_unzipped_bytes,
                spool_bytes=self.spool_bytes,
            ),
        )


__all__ = ["IntakeSettings"]
