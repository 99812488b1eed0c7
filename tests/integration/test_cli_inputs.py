"""What a user types wrong reaches them as one line ``kyso: CODE: ...`` and exit status 3.

Each case runs ``python -m kyso.cli`` as a user would, against the real server: a bad file,
a bad number or a rectangle off the page is a catalogue code on stderr, never a traceback,
and a failed ``kyso sign`` leaves neither OUT nor its ``.part`` file behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from documents import decree30_pdf

from kyso.cli.channel import EXIT_ERROR
from kyso.errors import CATALOGUE

_SIGN = ["sign", "{pdf}", "-o", "{out}", "--key", "personal", "--level", "B-B"]
_RECT = ["--rect", "350,150,500,210"]

CASES = {
    # P1/P2: the rectangle and the page go to the signer as typed; it refuses them
    "rect-infinite": ([*_SIGN, "--rect", "0,0,inf,480"], "PLACEMENT_INVALID"),
    "rect-nan": ([*_SIGN, "--rect", "0,0,nan,480"], "PLACEMENT_INVALID"),
    "rect-inverted": ([*_SIGN, "--rect", "500,150,350,210"], "PLACEMENT_INVALID"),
    "page-0": ([*_SIGN, *_RECT, "--page", "0"], "PLACEMENT_INVALID"),
    "page-negative": ([*_SIGN, *_RECT, "--page", "-1"], "PLACEMENT_INVALID"),
    "page-over-uint32": ([*_SIGN, *_RECT, "--page", str(2**32)], "PLACEMENT_INVALID"),
    "page-not-a-number": ([*_SIGN, *_RECT, "--page", "one"], "OPTION_INVALID"),
    "rect-not-numbers": ([*_SIGN, "--rect", "a,b,c,d"], "OPTION_INVALID"),
    "anchor-empty": ([*_SIGN, "--anchor", ""], "ANCHOR_INVALID"),
    "timeout-nan": ([*_SIGN, *_RECT, "--timeout", "nan"], "OPTION_INVALID"),
    # P3: files
    "sign-input-directory": (
        ["sign", "{dir}", "-o", "{out}", "--key", "personal", *_RECT],
        "FILE_UNREADABLE",
    ),
    "sign-input-missing": (
        ["sign", "{dir}/missing.pdf", "-o", "{out}", "--key", "personal", *_RECT],
        "FILE_UNREADABLE",
    ),
    "sign-output-dir-missing": (
        ["sign", "{pdf}", "-o", "{dir}/no-such-dir/x.pdf", "--key", "personal", *_RECT],
        "FILE_UNWRITABLE",
    ),
    "sign-output-is-a-directory": (
        ["sign", "{pdf}", "-o", "{dir}", "--key", "personal", *_RECT],
        "FILE_UNWRITABLE",
    ),
    "sign-image-directory": ([*_SIGN, *_RECT, "--image", "{dir}"], "FILE_UNREADABLE"),
    "verify-empty-directory": (["verify", "{dir}"], "OPTION_INVALID"),  # a batch of nothing
    "verify-missing": (["verify", "{dir}/missing.pdf"], "FILE_UNREADABLE"),
    "verify-batch-with-pdf-report": (
        ["verify", "{pdf}", "{pdf}", "--pdf-report", "{dir}/r.pdf"],
        "OPTION_INVALID",
    ),
    "verify-jobs-zero": (["verify", "{pdf}", "{pdf}", "--jobs", "0"], "OPTION_INVALID"),
    # a bad command line: exit 3 like every mistake, never argparse's 2 (INDETERMINATE)
    "no-command": ([], "COMMAND_LINE_INVALID"),
    "unknown-option": (["verify", "{pdf}", "--no-such-option"], "COMMAND_LINE_INVALID"),
    "verify-no-file": (["verify"], "COMMAND_LINE_INVALID"),
    "unknown-choice": (["sign", "{pdf}", "-o", "{out}", "--level", "B-X"], "COMMAND_LINE_INVALID"),
    "verify-timeout-negative": (["verify", "{pdf}", "--timeout", "-1"], "OPTION_INVALID"),
    "verify-at-not-a-date": (["verify", "{pdf}", "--at", "yesterday"], "OPTION_INVALID"),
    "verify-report-unwritable": (
        ["verify", "{pdf}", "--pdf-report", "{dir}/no-such-dir/r.pdf"],
        "FILE_UNWRITABLE",
    ),
    "trust-add-directory": (["trust", "add", "{dir}", "--reason", "x"], "FILE_UNREADABLE"),
    "trust-history-negative": (["trust", "history", "--limit", "-1"], "OPTION_INVALID"),
    "trust-expected-version-negative": (
        ["trust", "remove", "AB" * 32, "--reason", "x", "--expected-version", "-1"],
        "OPTION_INVALID",
    ),
    "trust-token-file-directory": (
        ["trust", "list", "--token-file", "{dir}"],
        "FILE_UNREADABLE",
    ),
    "audit-file-directory": (["audit", "verify", "--file", "{dir}"], "FILE_UNREADABLE"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_mistake_is_one_catalogued_line_and_exit_3(kyso_server: str, tmp_path: Path, name: str):
    args, code = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    pdf, out = tmp_path / "qd.pdf", work / "qd.signed.pdf"
    pdf.write_bytes(decree30_pdf())
    argv = [a.format(pdf=pdf, out=out, dir=work) for a in args]
    env = {**os.environ, "KYSO_SERVER": kyso_server}
    proc = subprocess.run(
        [sys.executable, "-m", "kyso.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == EXIT_ERROR, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"kyso: {code}: "), proc.stderr
    vietnamese = CATALOGUE[code][1].vi.split("{")[0]
    assert vietnamese in lines[0]  # the clerk's message is on the line
    assert list(work.iterdir()) == []  # no OUT, no .part
