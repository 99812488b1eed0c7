"""End to end: documents signed by kyso's own Signer (SoftHSM2 keys, test TSA) verify as
TOTAL_PASSED through the Verifier, personal signature then organisation signature (Decree 30)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kyso.cli.main import main
from tests.integration.documents import DECREE30_NAME, decree30_pdf


def _cli(server: str, *args: str) -> int:
    return main(["--server", server, *args])


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_kyso_signed_levels_pass(kyso_server: str, tmp_path: Path, capsys: Any, level: str) -> None:
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(decree30_pdf())
    assert (
        _cli(
            kyso_server,
            "sign",
            str(src),
            "-o",
            str(out),
            "--key",
            "personal",
            "--level",
            level,
            "--anchor",
            DECREE30_NAME,
        )
        == 0
    )
    capsys.readouterr()
    assert _cli(kyso_server, "verify", str(out), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["indication"] == "TOTAL_PASSED"
    kinds = [s["kind"] for s in report["signatures"]]
    assert kinds[0] == "SIGNATURE"
    assert ("DOCUMENT_TIMESTAMP" in kinds) == (level == "B-LTA")
    first = report["signatures"][0]
    if level != "B-B":
        assert first["signing_time_source"] == "SIGNATURE_TIMESTAMP"
    if level in ("B-LT", "B-LTA"):
        assert first["revocation"]["source"] == "EMBEDDED"


def test_personal_then_organisation(kyso_server: str, tmp_path: Path, capsys: Any) -> None:
    src, one, two = tmp_path / "in.pdf", tmp_path / "one.pdf", tmp_path / "two.pdf"
    src.write_bytes(decree30_pdf())
    assert (
        _cli(
            kyso_server,
            "sign",
            str(src),
            "-o",
            str(one),
            "--key",
            "personal",
            "--anchor",
            DECREE30_NAME,
        )
        == 0
    )
    assert (
        _cli(
            kyso_server,
            "sign",
            str(one),
            "-o",
            str(two),
            "--key",
            "organisation",
            "--profile",
            "organisation",
            "--anchor",
            DECREE30_NAME,
        )
        == 0
    )
    capsys.readouterr()
    assert _cli(kyso_server, "verify", str(two), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    personal, organisation = report["signatures"]
    assert personal["signer_name"] == "Nguyễn Thị Hồng Nhung"
    assert organisation["signer_name"] == "Ủy ban nhân dân tỉnh Sóc Trăng"
    assert personal["changes_after"]["summary"]["message_vi"] == "Chỉ thêm chữ ký số"
