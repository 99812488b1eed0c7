"""Each package's ``__init__.py`` is its public face: an ``__all__`` whose every name exists.

Read with :mod:`ast` (nothing is imported): a name is a submodule or subpackage of the package,
or bound in the ``__init__`` itself (imported or defined).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FACES = [
    "kyso",
    "kyso.cli",
    "kyso.demo",
    "kyso.pdf",
    "kyso.pki",
    "kyso.server",
    "signer",
    "signer.keys",
    "trust_store",
    "trust_store.backends",
]


def _face(package: str) -> tuple[list[str] | None, set[str]]:
    """``__all__`` (None when absent) and the names bound at the top of the ``__init__``."""
    tree = ast.parse((REPO / Path(*package.split(".")) / "__init__.py").read_text("utf-8"))
    exported: list[str] | None = None
    bound: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if "__all__" in names:
                exported = list(ast.literal_eval(node.value))
            bound.update(names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound.add(node.name)
    return exported, bound


@pytest.mark.parametrize("package", FACES)
def test_package_has_a_public_face(package: str) -> None:
    exported, bound = _face(package)
    assert exported, f"{package}/__init__.py has no __all__"
    assert len(set(exported)) == len(exported), "duplicates in __all__"
    base = REPO / Path(*package.split("."))
    missing = [
        name
        for name in exported
        if name not in bound
        and not (base / f"{name}.py").is_file()
        and not (base / name / "__init__.py").is_file()
    ]
    assert not missing, f"{package}.__all__ names what does not exist: {missing}"
    assert not [n for n in exported if n.startswith("_")], "a private name in __all__"
