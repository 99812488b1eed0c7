"""The error catalogue is whole, and every raise site uses it.

The source scan reads each module's syntax tree and resolves the called name in
the imported module, so an alias or a subclass of a catalogue class is checked
like the class itself: the first argument must be a literal code of that
class's group, and the keyword arguments must be exactly the template's fields.
"""

from __future__ import annotations

import ast
import importlib
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kyso.errors import CATALOGUE, MEANINGS, RENAMED, InvalidInput, KysoError, NotFound

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kyso", "signer", "verifier", "trust_store")
# Generated stubs raise nothing of kyso's.
NOT_SCANNED = ("kyso/v1/",)
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if any(rel.startswith(prefix) for prefix in NOT_SCANNED):
                continue
            yield rel.removesuffix(".py").removesuffix("/__init__").replace("/", "."), path


def _resolve(module: Any, func: ast.expr) -> object:
    if isinstance(func, ast.Name):
        return getattr(module, func.id, None)
    if isinstance(func, ast.Attribute):
        owner = _resolve(module, func.value)
        return getattr(owner, func.attr, None) if owner is not None else None
    return None


def _error_calls() -> Iterator[tuple[str, ast.Call, type[KysoError]]]:
    for package in ("verifier.diff_analysis", "signer", "trust_store", "kyso.server"):
        importlib.import_module(package)
    for name, path in _modules():
        module = importlib.import_module(name)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                kind = _resolve(module, node.func)
                if isinstance(kind, type) and issubclass(kind, KysoError):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node, kind


def test_every_raise_site_uses_a_catalogued_code_of_its_class() -> None:
    problems: list[str] = []
    seen = 0
    for where, call, kind in _error_calls():
        seen += 1
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            problems.append(f"{where}: {kind.__name__} without a literal code")
            continue
        if len(call.args) != 1:
            problems.append(f"{where}: {kind.__name__} with messages (old form): use the catalogue")
            continue
        code = first.value
        if code not in CATALOGUE:
            problems.append(f"{where}: {code} is not in the catalogue")
            continue
        meaning, texts = CATALOGUE[code]
        if not issubclass(kind, meaning):
            problems.append(
                f"{where}: {code} is a {meaning.__name__} code, raised as {kind.__name__}"
            )
        if any(k.arg is None for k in call.keywords):
            continue  # **params: cannot be checked statically
        given = {k.arg for k in call.keywords if k.arg}
        wanted = _fields(texts.en) | _fields(texts.vi)
        if given != wanted:
            problems.append(f"{where}: {code} takes {sorted(wanted)}, given {sorted(given)}")
    assert not problems, "\n".join(problems)
    assert seen > 100  # the scan found the raise sites


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_catalogue_entry(code: str) -> None:
    _, texts = CATALOGUE[code]
    assert _CODE.match(code)
    assert texts.en and texts.vi and texts.en != texts.vi
    assert _fields(texts.vi) <= _fields(texts.en), "the Vietnamese text may only use English fields"


def test_renamed_codes_are_gone_and_point_at_catalogued_codes() -> None:
    for old, (new, why) in RENAMED.items():
        assert old not in CATALOGUE
        assert why
        for code in new.split(" or "):
            assert code in CATALOGUE, (old, code)


def test_no_source_or_test_still_says_a_renamed_code() -> None:
    pattern = re.compile(r"[\"'`](" + "|".join(RENAMED) + r")[\"'`]")
    offenders = []
    for top in (*PACKAGES, "tests"):
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ("kyso/_error_codes.py", "tests/unit/test_error_catalogue.py") or any(
                rel.startswith(p) for p in NOT_SCANNED
            ):
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(rel)
    assert offenders == []


def test_every_meaning_is_a_kyso_error_with_codes() -> None:
    assert len(set(MEANINGS)) == len(MEANINGS)
    for kind in MEANINGS:
        assert issubclass(kind, KysoError) and kind.codes


def test_docs_list_every_code_and_every_rename() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    missing = [code for code in [*CATALOGUE, *RENAMED] if f"`{code}`" not in doc]
    assert missing == []


def test_messages_are_filled_from_parameters() -> None:
    err = NotFound("KEY_NOT_FOUND", key="seal")
    assert (err.code, err.message_en, err.message_vi) == (
        "KEY_NOT_FOUND",
        "unknown key 'seal'",
        "không có khóa ký tên 'seal'",
    )
    assert str(err) == "KEY_NOT_FOUND: unknown key 'seal' (không có khóa ký tên 'seal')"


def test_a_code_of_another_class_is_refused() -> None:
    with pytest.raises(LookupError):
        InvalidInput("KEY_NOT_FOUND", key="seal")
    with pytest.raises(LookupError):
        InvalidInput("NO_SUCH_CODE")


_PRINTED_CODE = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\s*:")


def _printed_codes(source: str) -> Iterator[tuple[int, str]]:
    """Code-shaped words followed by a colon in the string literals of ``source`` (f-strings
    included), docstrings left out."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                for match in _PRINTED_CODE.finditer(node.value):
                    yield node.lineno, match[1]


def test_the_cli_prints_no_code_of_its_own() -> None:
    """Every code the CLI prints comes from a :class:`KysoError` (``err.code``) or the server's
    ErrorInfo, never from a literal like ``"kyso: FILE_UNREADABLE: ..."`` that can drift out of
    the catalogue: a code-shaped literal followed by a colon is refused, catalogued or not."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in sorted((ROOT / "kyso" / "cli").rglob("*.py"))
        for line, code in _printed_codes(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_cli_scan_finds_a_literal_code() -> None:
    found = _printed_codes('"""Doc: NOT_A_CODE: here."""\nprint(f"kyso: FILE_UNREADABLE: {n}")')
    assert [code for _, code in found] == ["FILE_UNREADABLE"]
