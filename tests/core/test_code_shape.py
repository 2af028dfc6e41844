"""The code keeps a shape a newcomer can read: no module over 800 lines, no function over 80.

Services grow by concept into packages (`compensation/services/`), and a long function is
split into named steps. Migrations and tests are exempt, and so are the benchmark's
functions (its modules are not). See docs/development/services.md.
"""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
# Shipped code: every first-party package (the import-linter's root packages but the tests),
# read from pyproject.toml so that a new app is checked from its first commit.
PACKAGES = [
    name
    for name in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]["root_packages"]
    if name != "tests"
]


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_the_shape_check_sees_the_whole_shipped_code():
    modules = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert "compensation/services/batches.py" in modules
    assert "tools/bench/run.py" in modules
    assert {"staff/views.py", "ops/views.py", "provenance/views.py"} <= modules
    assert not any("/migrations/" in m or m.startswith("tests/") for m in modules)


def test_no_shipped_module_is_longer_than_800_lines():
    long = []
    for path in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, (
        f"Modules over {MAX_MODULE_LINES} lines; split them by concept (a package of "
        "modules, as compensation/services/ is):\n" + "\n".join(long)
    )


def test_no_shipped_function_is_longer_than_80_lines():
    long = []
    for path in _modules():
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("tools", "bench"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _functions(tree):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                long.append(f"{relative}:{node.lineno} {node.name}(): {lines} lines")
    assert not long, (
        f"Functions over {MAX_FUNCTION_LINES} lines; split them into named steps that read "
        "well:\n" + "\n".join(long)
    )
