"""Imports at module level (issue 26), so that lint-imports and a reader see every dependency.

An import inside a function is allowed where Django says so (an app's `ready()`, which
connects receivers once the apps are loaded) or with a comment on or above it saying why: a
cycle at import, a heavy library only one path needs, the product loaded after the module.
Before: 184 imports inside functions, none with a reason.
"""

import ast

from tests.core.test_code_shape import ROOT, _modules


def _function_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "ready" and path.name == "apps.py":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                # The reason on the import's line, or in the comment just above it.
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                yield node.lineno, lines[node.lineno - 1], above.startswith("#")


def test_every_import_inside_a_function_says_why():
    unexplained, explained = [], 0
    for path in _modules():
        for line, text, commented_above in _function_imports(path):
            if "#" in text or commented_above:
                explained += 1
            else:
                unexplained.append(f"{path.relative_to(ROOT)}:{line}: {text.strip()}")
    assert not unexplained, (
        "Import these at module level, or say why not in a comment on the line:\n"
        + "\n".join(unexplained)
    )
    print(f"\nFIGURE imports inside functions (outside ready()): {explained}, each with its reason")
