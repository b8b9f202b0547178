"""Lower layers never import higher ones: each package of src/calldata imports only lower ranks."""

from __future__ import annotations

import ast
from pathlib import Path

import calldata

SOURCE = Path(calldata.__file__).parent
# Each package's rank: a module may import from packages of a lower rank only (or its own).
RANKS = {
    "cdr": 0, "config": 0, "collector": 0,
    "store": 1,
    "queues": 2,
    "rating": 2, "auth": 2, "recordings": 2, "retention": 2,
    "attribution": 3,
    "ingest": 4,
    "reports": 5,
    "calls": 6, "statements": 6, "dashboards": 6, "coverage": 6,
    "demo": 7,
    "console": 7.5,  # the web console: beside the API, just under it (api/app.py serves it at /)
    "api": 8,
    "cli": 9,
    "__main__": 10, "__init__": 10,
}
# Alembic's environment gathers every package's tables for autogenerate: the one place allowed.
EXEMPT = {Path("store/migrations/env.py")}


def imports_of(path: Path) -> set[str]:
    """The calldata packages a module imports (the part after `calldata.`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else \
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        found.update(name.split(".")[1] for name in names if name.startswith("calldata."))
    return found


def test_every_import_goes_down_the_layers() -> None:
    wrong = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.relative_to(SOURCE) in EXEMPT:
            continue
        package = path.relative_to(SOURCE).parts[0].removesuffix(".py")
        assert package in RANKS, f"{package}: give the new package a rank in tests/test_layers.py"
        for imported in imports_of(path) - {package}:
            assert imported in RANKS, f"{imported}: give the new package a rank in tests/test_layers.py"
            if RANKS[imported] >= RANKS[package]:
                wrong.append(f"{path.relative_to(SOURCE)} imports calldata.{imported}")
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from calldata.api.app import create_app\nimport calldata.store.schema\n")
    assert imports_of(module) == {"api", "store"}
