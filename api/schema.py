"""Tells drf-spectacular how API tokens (personal and service-account) are sent (imported in
ApiConfig.ready)."""

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
    "400": "The request or one of its fields is invalid (see `field_errors`); nothing was saved.",
    "401": "No valid credentials: send `Authorization: Bearer tt_…`.",
    "403": "Not allowed: a read-only token writing, staff without two-factor, or the rules.",
    "404": "No such record, or not one you may see.",
    "422": "This Idempotency-Key was already used with a different request body.",
    "429": "Too many requests: wait for the number of seconds in `Retry-After`.",
}


def _one_request_body(operation: dict) -> None:
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
    if "binary" in str(multipart):
        wanted = "multipart/form-data"
    operation["requestBody"]["content"] = {wanted: content[wanted]}


def postprocess(result, generator, request, public):
    """drf-spectacular hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): one request body
    per operation, and the error answers every operation can give, with their body."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            _one_request_body(operation)
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status == "404" and "{" not in path:
                    continue
                if status == "401" and not operation.get("security"):
                    continue
                if status == "422" and "requestBody" not in operation:
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
    return result
