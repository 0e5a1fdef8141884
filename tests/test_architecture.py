"""The shape of the package (docs/architecture.md): checked, so it cannot drift.

- imports point only down the flow and never in a circle (import-linter's contracts in
  pyproject.toml, run here as well as by ``make test``);
- no module reaches for another module's private names;
- every stage says what it owns and what it may import;
- no module grows past what one sitting reads.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "payeropt_lib"
MAX_LINES = 900
MIGRATIONS = PACKAGE / "store" / "migrations"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if MIGRATIONS not in p.parents)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` reads from."""
    if not node.level:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def test_imports_point_down_the_flow_and_never_in_a_circle() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_module_takes_another_modules_private_names() -> None:
    """``from x import _name`` and ``x._name`` across modules: a private helper used in two
    places is a concept that needs a public name (and one home)."""
    found = []
    for path in _modules():
        here = _module_name(path)
        tree = ast.parse(path.read_text())
        imported: dict[str, str] = {}  # local name -> module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _resolve(path, node)
                if not source.startswith("payeropt_lib"):
                    continue
                for alias in node.names:
                    name = alias.name
                    if name.startswith("_") and not name.startswith("__") and source != here:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
                    imported[alias.asname or name] = f"{source}.{name}"
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}"
                )
    assert found == []


@pytest.mark.parametrize(
    "stage",
    sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py") if p.parent != MIGRATIONS),
)
def test_every_stage_says_what_it_owns_and_may_import(stage: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text())) or ""
    assert "May import" in doc, f"payeropt_lib/{stage}/__init__.py docstring"


def test_no_module_grows_past_one_sitting() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
