"""Log lines: JSON for a log collector or plain for a person, never carrying a secret.

structlog renders every line, ours and those of Django, Celery and gunicorn, through one
formatter (`formatter`, named in settings.LOGGING), so every line gets the same fields: the
time, the level, the logger, the event, and what is bound for the request or the task:
`request_id` (django-structlog; sent back as `X-Request-ID` and carried into the Celery
tasks the request queues), `user_id` (the person's id, never their email), `programme` (the
slug in the address) and `action` (the view's name, or the task's).

Whatever a line says passes through `redact` last: email addresses, IBANs, secret-looking
parts of addresses (an invitation's token, a password-reset key), query strings and the
values of the secret settings are masked. A request line names the route, not the address
("GET /portal/invitations/<str:token>/").
"""

import logging
import re

import structlog
from django.conf import settings
from django_structlog.middlewares import RequestMiddleware as _RequestMiddleware

EMAIL = re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# An IBAN: country, check digits, 11 to 30 letters and digits, printed whole or in fours.
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# An address path (from a / to a space or quote) and the query string after it.
PATH = re.compile(r"(?<![\w.:])(/[\w.~%:+@=!$&'()*,;-]*)+/?")
QUERY = re.compile(r"\?[^\s\"']+")
# A value after a word that announces a secret: "Bearer …", "password=…", "token": "…".
ANNOUNCED = re.compile(
    r"(?i)\b(bearer|token|secret|password|passwd|api[_-]?key)(\"?\s*[=:]\s*\"?|\s+)([^\s\"',;]+)"
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MASK = "[redacted]"


def _secret_segment(segment: str) -> bool:
    """A part of an address that looks like a token or a key rather than a word or an id."""
    if len(segment) >= 32:
        return True
    if len(segment) < 16 or UUID.fullmatch(segment):
        return False
    has_digit = any(c.isdigit() for c in segment)
    has_alpha = any(c.isalpha() for c in segment)
    mixed_case = any(c.isupper() for c in segment) and any(c.islower() for c in segment)
    return has_digit and (has_alpha or mixed_case)


def _redact_path(match: re.Match) -> str:
    return "/".join(MASK if _secret_segment(s) else s for s in match.group(0).split("/"))


def _setting_secrets() -> list[str]:
    """The values of the secret settings, longest first, as they could appear in a line."""
    values = [
        getattr(settings, "SECRET_KEY", ""),
        getattr(settings, "METRICS_TOKEN", ""),
        getattr(settings, "EMAIL_HOST_PASSWORD", ""),
        getattr(settings, "AUDIT_SIGNING_KEY", ""),
    ]
    for name in ("AUDIT_HMAC_KEYS", "PAYOUT_DETAILS_KEYS"):
        for entry in getattr(settings, name, []):
            values += [entry, entry.split(":", 1)[-1]]
    values.append(getattr(settings, "AUDIT_SIGNING_KEY", "").split(":", 1)[-1])
    storage = getattr(settings, "STORAGES", {}).get("default", {}).get("OPTIONS", {})
    values.append(storage.get("secret_key") or "")
    for database in getattr(settings, "DATABASES", {}).values():
        values.append(database.get("PASSWORD") or "")
    url = getattr(settings, "REDIS_URL", "")
    if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
        values.append(url.split("@")[0].split("//")[-1].split(":", 1)[1])
    return sorted({v for v in values if v and len(v) >= 8}, key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """`text` with every email, IBAN, secret-looking address part, query string and secret
    setting masked."""
    for secret in _setting_secrets() if secrets is None else secrets:
        text = text.replace(secret, MASK)
    text = ANNOUNCED.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = EMAIL.sub("[email]", text)
    text = IBAN.sub("[iban]", text)
    text = QUERY.sub("?" + MASK, text)
    return PATH.sub(_redact_path, text)


class _Redacting:
    """The renderer, then `redact` over the whole line (tracebacks included)."""

    def __init__(self, renderer):
        self.renderer = renderer
        self.secrets = None

    def __call__(self, logger, name, event_dict):
        if self.secrets is None:
            self.secrets = _setting_secrets()
        return redact(self.renderer(logger, name, event_dict), self.secrets)


def _processors():
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def formatter(format: str = "plain") -> logging.Formatter:
    """The one formatter of settings.LOGGING; it also sets structlog up for this process."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    if format == "json":
        renderer = structlog.processors.JSONRenderer()
        last = [structlog.processors.format_exc_info]
    else:
        # Plain tracebacks: rich's (structlog's default when installed) prints local variables.
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, pad_event_to=0, exception_formatter=structlog.dev.plain_traceback
        )
        last = []
    return structlog.stdlib.ProcessorFormatter(
        # Not the records' `extra`: Celery's carries a task's arguments.
        foreign_pre_chain=_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *last,
            _Redacting(renderer),
        ],
    )


class RequestMiddleware(_RequestMiddleware):
    """django-structlog's request logging, naming the route instead of the address."""

    @staticmethod
    def format_request(request) -> str:
        match = getattr(request, "resolver_match", None)
        if match is not None and match.route:
            return f"{request.method} /{match.route}"
        return f"{request.method} {redact(request.path)}"


class ContextMiddleware:
    """Binds the programme and the action to the request's log lines; answers with the
    request's id (`X-Request-ID`), the one its log lines and its tasks' lines carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view, args, kwargs):
        context = {"action": request.resolver_match.view_name}
        if "slug" in kwargs:
            context["programme"] = kwargs["slug"]
        structlog.contextvars.bind_contextvars(**context)
