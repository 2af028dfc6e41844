"""House rules a reader can check by eye, checked here so nobody has to.

- No module is loaded by a name held in a string: lint-imports sees every import (STYLE 15).
- Views ask the policy who owns what: no queryset filter on `request.user` in a view;
  `Model.objects.mine(request.user)` or `restrict(request.user, action)` say it (STYLE 5).
- Every model whose rows belong to a programme builds on the policy's restricted queryset.
- Pages catch no refusal by hand: `core.forms.refusal_shown_on` shows it where the person
  acted, `core.middleware.RefusalMiddleware` maps the rest once (issue 26: 46 catches before).
"""

import ast
from pathlib import Path

from django.apps import apps

from programs import policy

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (
    "config", "core", "audit", "programs", "participants", "integrations", "feedback",
    "labour", "approvals", "compensation", "publicity", "api", "portal", "transparency",
    "staff", "ops", "provenance", "demo", "tools",
)  # fmt: skip
LOADERS = {"import_module", "import_string", "__import__", "find_spec"}
QUERIES = {"filter", "exclude", "get", "get_or_create", "get_object_or_404", "get_list_or_404"}


def _modules(*, views_only=False):
    for package in SHIPPED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if views_only and not (
                path.name in ("views.py", "accounts.py")
                or path.name.endswith("_views.py")
                or path.parent.name == "views"
            ):
                continue
            yield path.relative_to(ROOT), ast.parse(path.read_text())


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def test_no_module_is_loaded_by_a_name_held_in_a_string():
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "importlib" in names or any(n in LOADERS for n in names):
                    found.append(f"{path}:{node.lineno} imports a module loader")
            elif isinstance(node, ast.Call) and _name(node.func) in LOADERS | {"include"}:
                if node.args and isinstance(node.args[0], ast.Constant):
                    if isinstance(node.args[0].value, str):
                        found.append(
                            f"{path}:{node.lineno} {_name(node.func)}({node.args[0].value!r})"
                        )
    assert found == []


def _is_request_user(node) -> bool:
    while isinstance(node, ast.Attribute) and node.attr in ("pk", "id"):
        node = node.value
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "user"
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
    )


def test_no_view_filters_a_query_on_the_person_asking():
    found = []
    for path, tree in _modules(views_only=True):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in QUERIES | {"Q"}:
                for keyword in node.keywords:
                    if _is_request_user(keyword.value):
                        found.append(f"{path}:{node.lineno} {_name(node.func)}({keyword.arg}=…)")
    assert found == [], "say it with .mine(request.user) or .restrict(request.user, action)"


def test_every_model_of_a_programme_builds_on_the_policy_s_restricted_queryset():
    below_the_policy = {"core", "audit"}
    wrong = []
    for model in apps.get_models():
        spec = getattr(model, "visibility", None)
        if spec is None or model._meta.app_label in below_the_policy or spec.staff is None:
            continue
        if not isinstance(model._default_manager.all(), policy.RestrictedQuerySet):
            wrong.append(model._meta.label)
    assert wrong == []


# JSON documents that answer a bad query in their own format (not pages, not the DRF API).
JSON_DOCUMENTS = {("provenance/views.py", "registry_json")}
REFUSALS = {"DomainError", "NotAllowed"}


def test_no_page_catches_a_refusal_by_hand():
    found = []
    for path, tree in _modules(views_only=True):
        if path.parts[0] == "api" and path.parts[1] == "views" and path.name != "service_tokens.py":
            continue  # DRF views: the API's handler (api.errors) and its field errors
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            if (path.as_posix(), function.name) in JSON_DOCUMENTS:
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ExceptHandler) and node.type is not None:
                    caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                    if REFUSALS & {_name(c) for c in caught}:
                        found.append(f"{path}:{node.lineno} in {function.name}()")
    assert found == [], (
        "use `with refusal_shown_on(form or request):` or let it reach the middleware"
    )


def test_database_engine_branches_live_only_in_core_db_and_core_search():
    """Issue 26: 16 branches on the database vendor in 7 files, one in a view. Code that has a
    faster PostgreSQL way asks `core.db.fast_path` (or `is_postgresql`), which holds the branch."""
    found = []
    for path, tree in _modules():
        if path.as_posix() in ("core/db.py", "core/search.py"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "vendor":
                found.append(f"{path}:{node.lineno}")
    assert found == [], "branch through core.db.fast_path or core.db.is_postgresql"
