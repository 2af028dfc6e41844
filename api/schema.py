"""Tells drf-spectacular how API tokens (personal and service-account) are sent (imported in
ApiConfig.ready), and completes the schema: the error answers of every operation, one
request body each, decimal strings that need a digit."""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "PersonalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token from the portal: `Authorization: Bearer tt_…`",
        }


class ServiceTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ServiceTokenAuthentication"
    name = "ServiceAccountToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A programme's service-account token (a model team's pipeline), "
            "made by a manager: `Authorization: Bearer tts_…`. Good for the training check "
            "and the consent registry of its programme only.",
        }


# The error body every refusal has (`api.errors.exception_handler`).
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person to read."},
        "code": {"type": "string", "description": "A stable code, e.g. `invalid`, `not_found`."},
        "field_errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Per field (of the body or the query), what is wrong with it.",
        },
    },
    "required": ["detail", "code", "field_errors"],
}
ERRORS = {
    "400": "The request does not match this schema (see `field_errors`); nothing was saved.",
    "401": "No valid credentials: send `Authorization: Bearer tt_…`.",
    "403": "Not allowed: a read-only token writing, staff without two-factor, or the rules.",
    "404": "No such record, or not one you may see (also one named in the body).",
    "409": "The programme's rules refuse this in the records' current state (already decided, "
    "results published…); nothing was saved.",
    "422": "The request matches this schema but the programme's rules refuse one of its values "
    "(see `field_errors`), or this Idempotency-Key was already used with another body; "
    "nothing was saved.",
    "429": "Too many requests: wait for the number of seconds in `Retry-After`.",
}
# drf-spectacular's pattern for a decimal string accepts "" (every digit optional).
_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _decimal_patterns(node) -> None:
    r"""Every decimal string needs a digit: `^-?(?:\d{1,N}(?:\.\d{0,M})?|\.\d{1,M})$`."""
    if isinstance(node, dict):
        match = (
            _DECIMAL.match(str(node.get("pattern", "")))
            if node.get("format") == "decimal"
            else None
        )
        if match:
            whole, places = match.groups()
            node["pattern"] = rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
        for value in node.values():
            _decimal_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _decimal_patterns(value)


def _one_request_body(operation: dict, components: dict) -> None:
    """One content type per operation: JSON, or multipart where a file can be sent.

    DRF's parsers accept JSON, form and multipart alike; declaring all three with the same
    schema broke generated clients (openapi-python-client: 7 of 25 operation modules did not
    import). The API still accepts form posts; the schema names the one to use.
    """
    content = operation.get("requestBody", {}).get("content")
    if not content or len(content) == 1:
        return
    wanted = "application/json"
    multipart = content.get("multipart/form-data", {}).get("schema", {})
    ref = multipart.get("$ref", "")
    if ref:  # the body is a component: look inside it for a file
        multipart = components.get(ref.rsplit("/", 1)[-1], {})
    if "binary" in str(multipart):
        wanted = "multipart/form-data"
    operation["requestBody"]["content"] = {wanted: content[wanted]}


def postprocess(result, generator, request, public):
    """drf-spectacular hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): one request body
    per operation, and the error answers every operation can give, with their body."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _one_request_body(operation, result["components"]["schemas"])
            responses = operation.setdefault("responses", {})
            names_records = (
                "{" in path
                or "requestBody" in operation
                or any(p.get("name") == "cursor" for p in operation.get("parameters", []))
            )  # a record in the path or the body, or a page (a cursor that is not ours)
            has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
            for status, description in ERRORS.items():
                if status == "404" and not names_records:
                    continue
                if status == "401" and not operation.get("security"):
                    continue
                if status == "422" and not ("requestBody" in operation or has_query):
                    continue
                if status == "409" and method != "post":
                    continue
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    _decimal_patterns(result.get("components", {}))
    for name, component in result["components"]["schemas"].items():
        if name.endswith("Request"):
            _no_negative_amounts(component)  # no amount sent to the API is below zero
    for name, component in result["components"]["schemas"].items():
        if name.endswith("Request"):
            _no_nul(component)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _no_nul(parameter.get("schema", {}))
    return result


def _no_nul(node) -> None:
    """Text sent to the API never holds NUL (DRF refuses it; PostgreSQL cannot store it)."""
    if isinstance(node, dict):
        plain = node.get("type") == "string" and not {"format", "pattern", "enum"} & set(node)
        if plain:
            node["pattern"] = "^[^\\u0000]*$"
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _no_negative_amounts(node) -> None:
    if isinstance(node, dict):
        if node.get("format") == "decimal" and str(node.get("pattern", "")).startswith("^-?"):
            node["pattern"] = "^" + node["pattern"][3:]
        for value in node.values():
            _no_negative_amounts(value)
    elif isinstance(node, list):
        for value in node:
            _no_negative_amounts(value)


def _no_nul(node) -> None:
    """Text sent to the API never holds NUL (DRF refuses it; PostgreSQL cannot store it)."""
    if isinstance(node, dict):
        plain = node.get("type") == "string" and not {"format", "pattern", "enum"} & set(node)
        if plain:
            node["pattern"] = "^[^\\u0000]*$"
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _no_negative_amounts(node) -> None:
    if isinstance(node, dict):
        if node.get("format") == "decimal" and str(node.get("pattern", "")).startswith("^-?"):
            node["pattern"] = "^" + node["pattern"][3:]
        for value in node.values():
            _no_negative_amounts(value)
    elif isinstance(node, list):
        for value in node:
            _no_negative_amounts(value)


# Every date the API takes is from 2000-01-01 to 2099-12-31 (core.dates); OpenAPI 3.0 has no
# minimum for a date, so the century is a pattern.
CENTURY = "^20[0-9]{2}-"


def _date_patterns(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") in ("date", "date-time"):
            node.setdefault("pattern", CENTURY)
        for value in node.values():
            _date_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _date_patterns(value)
