"""Settings for Terms & Testers, read from the environment.

The defaults make the embedded run work on a fresh machine: SQLite, Celery tasks
run in-process, email printed to the console. `DJANGO_ENV=production` refuses to
start on values that are unsafe for real users (see `_refuse_insecure_production`).
"""

import ipaddress
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlparse

import environ
from cryptography import x509
from django.core.exceptions import ImproperlyConfigured

from config.i18n import COMPLETE_LANGUAGES, LANGUAGE_CODE, LANGUAGES, LOCALE_PATHS  # noqa: F401

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# An optional .env next to manage.py, for local overrides; the environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("development", "test", "production"):
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"

INSECURE_DEV_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION and DJANGO_ENV != "test")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute links in emails. `make run` sets it from the port it serves on (PORT).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip(
    "/"
)
# The product's name in account emails ("Hello from Terms & Testers!").
SITE_NAME = env.str("SITE_NAME", default="Terms & Testers")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_structlog",
    "core",
    "audit",
    "programs",
    "participants",
    "feedback",
    "labour",
    "approvals",
    "compensation",
    "publicity",
    "provenance",
    "recourse",
    "integrations",
    "api",
    # Composition: pages that put the apps above together (nothing imports them).
    "portal",
    "transparency",
    "staff",
    "ops",  # metrics, deep health, incidents: what an operator watches
]

MIDDLEWARE = [
    # First and last: request counts and latency by view (django-prometheus).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.LanguageMiddleware",  # the person's, the browser's, the programme's
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.middleware.TimeZoneMiddleware",  # the person's, the browser's (cookie tz), UTC
    "core.logs.RequestMiddleware",  # after authentication: request and person ids in each log
    "core.logs.ContextMiddleware",
    "ops.middleware.RateLimitRefusalsMiddleware",
    "core.middleware.PrivateNoStoreMiddleware",
    "core.middleware.RefusalMiddleware",
    # Inside the refusals: a write's audit receipts go with the response that reports it.
    "audit.receipts.ReceiptMiddleware",
    "programs.middleware.StaffIdleTimeoutMiddleware",
    "programs.middleware.StaffMFAMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "provenance.middleware.TDMRepMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]
# Form widgets are drawn with Django's own widget templates through Jinja2, about three
# times as fast (core.forms.FormRenderer); pages themselves stay Django templates.
FORM_RENDERER = "core.forms.FormRenderer"

# --- Database -----------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers run beside the one writer,
# the busy timeout makes a second writer wait instead of failing at once, and
# IMMEDIATE transactions take the write lock at BEGIN, so two transactions never
# both read and then both try to upgrade to a write (the "database is locked"
# deadlock of DEFERRED transactions).
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["ENGINE"] = "django_prometheus.db.backends.sqlite3"
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    _db.setdefault("TEST", {})
    # Tests on SQLite use a file (not :memory:): the browser tests' live server sees their data.
    _db["TEST"].setdefault(
        "NAME", env.str("SQLITE_TEST_NAME", default=str(VAR_DIR / "test-db.sqlite3"))
    )
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # django-prometheus's wrapper of the same backend: queries, errors and their duration.
    _db["ENGINE"] = "django_prometheus.db.backends.postgresql"
    _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # PostgreSQL's JIT compiles big queries for seconds before their first row (the ledger
    # export's row in the benchmark shows it); our queries are short or streamed.
    _db["OPTIONS"].setdefault("options", "-c jit=off")
    _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
DATABASE_VENDOR = "sqlite" if "sqlite" in _db["ENGINE"] else "postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, Celery, cache -----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The broker: Redis when REDIS_URL is set; `make run` sets CELERY_BROKER_URL=filesystem://,
# kombu's broker of files in a folder (var/broker/), so the embedded run has a real worker and
# beat with no server to install. Neither: tasks run in-process (the tests, a shell).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Bounded publishing: a request that queues a task while Redis is down gives up
# within about two seconds; the outbox row it wrote is retried by beat.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    # A task whose worker died unacknowledged is handed out again after this many seconds.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often a worker sweeps for such tasks (seconds × every Nth poll).
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Without it kombu writes its broadcast exchanges to ./control in the checkout.
        "control_folder": str(BROKER_DIR / "control"),
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# The audit sequencer seals committed events into the Merkle tree and signs a checkpoint this
# often (seconds): the window in which events not yet sealed could be cut unnoticed.
AUDIT_SEQUENCE_SECONDS = env.int("AUDIT_SEQUENCE_SECONDS", default=5)
# The whole log (every event, the tree against every checkpoint, the bound records) is
# verified this often (minutes); a failure stops the sequencer from signing.
AUDIT_VERIFY_MINUTES = env.int("AUDIT_VERIFY_MINUTES", default=60)
CELERY_BEAT_SCHEDULE = {
    "outbox-retry-pending": {
        "task": "core.tasks.retry_pending_outbox",
        "schedule": timedelta(minutes=1),
    },
    "approvals-sweep-deadlines": {
        "task": "approvals.tasks.sweep_review_deadlines",
        "schedule": timedelta(minutes=5),
    },
    "participants-reminders": {
        "task": "participants.tasks.send_reminders",
        "schedule": timedelta(hours=1),
    },
    "compensation-stipends": {
        "task": "compensation.tasks.accrue_stipends",
        "schedule": timedelta(hours=6),
    },
    "compensation-pay-floor": {
        "task": "compensation.tasks.accrue_floor_topups",
        "schedule": timedelta(hours=6),
    },
    "recourse-escalate": {
        "task": "recourse.tasks.escalate_contests",
        "schedule": timedelta(hours=1),
    },
    "compensation-forget-payout-files": {
        "task": "compensation.tasks.forget_old_payout_files",
        "schedule": timedelta(hours=12),
    },
    "compensation-accrue-work": {
        "task": "compensation.tasks.accrue_from_work",
        "schedule": timedelta(minutes=10),
    },
    "transparency-refresh": {
        "task": "transparency.tasks.refresh_transparency",
        "schedule": timedelta(minutes=env.int("TRANSPARENCY_REFRESH_MINUTES", default=10)),
    },
    "core-forget-form-tokens": {
        "task": "core.tasks.forget_used_form_tokens",
        "schedule": timedelta(hours=6),
    },
    "webhooks-retry-due": {
        "task": "integrations.tasks.retry_due_webhooks",
        "schedule": timedelta(seconds=30),
    },
    "provenance-sign-pending": {
        "task": "provenance.tasks.sign_pending",
        "schedule": timedelta(minutes=2),
    },
    "audit-sequence": {
        "task": "audit.tasks.sequence",
        "schedule": timedelta(seconds=AUDIT_SEQUENCE_SECONDS),
    },
    "audit-verify": {
        "task": "audit.tasks.verify",
        "schedule": timedelta(minutes=AUDIT_VERIFY_MINUTES),
    },
    "ops-check-incidents": {"task": "ops.tasks.check_incidents", "schedule": timedelta(minutes=1)},
}
# Reminders (participants.tasks.send_reminders): a participant who has not accepted the terms
# in force is reminded this many days after they took effect (once per version); an
# invitation is reminded of this many hours before it expires (once per expiry).
CONSENT_REMINDER_DAYS = env.int("CONSENT_REMINDER_DAYS", default=3)
INVITATION_REMINDER_HOURS = env.int("INVITATION_REMINDER_HOURS", default=48)
# Tests and demonstrations only: every periodic task runs this often (seconds).
BEAT_EVERY_SECONDS = env.int("BEAT_EVERY_SECONDS", default=0)
# Every entry runs through core.tasks.run_periodic, which takes a lock named after the task for
# most of its interval: a second beat (started by mistake, or during a hand-over) finds the
# lock taken and skips, so a sweep runs once per interval however many beats tick.
for _name, _entry in CELERY_BEAT_SCHEDULE.items():
    if BEAT_EVERY_SECONDS:
        _entry["schedule"] = timedelta(seconds=BEAT_EVERY_SECONDS)
    _entry["args"] = (_entry["task"], _entry["schedule"].total_seconds(), *_entry.get("args", ()))
    _entry["task"] = "core.tasks.run_periodic"
# Beat records each tick where every process reads it (core.beat): /healthz/ready, the
# metrics and the incident check tell a beat that stopped from one that is idle.
CELERY_BEAT_SCHEDULER = "core.beat:Scheduler"
BEAT_INTERVAL_SECONDS = min(e["schedule"].total_seconds() for e in CELERY_BEAT_SCHEDULE.values())
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_TIMEZONE = "UTC"

if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down: reads miss, writes are dropped; requests keep answering.
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="tt"),
        }
    }
else:
    # A real, shared cache for the embedded run (allauth's rate limits need one
    # that every process sees), without asking for Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tt_cache",
        }
    }

# --- Accounts (django-allauth) ---------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
if DJANGO_ENV == "test":
    # Every test persona has a password; PBKDF2 at full cost would dominate the suite's time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Verifying in the browser that signed up signs the person in (allauth checks the sign-up
# is pending in that session), so an invitee lands on the invitation ready to join.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_RATE_LIMITS = {
    # Failed logins per IP and per account: past this, allauth answers 429 and
    # the form says to wait; the window is the cool-off.
    "login_failed": env.str("LOGIN_FAILED_RATE", default="10/m/ip,5/5m/key"),
    "login": env.str("LOGIN_RATE", default="30/m/ip"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Terms & Testers] "
ACCOUNT_ADAPTER = "core.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Terms & Testers"
# allauth refuses new addresses on an account with two-factor when addresses are verified by
# link. People with two-factor may change their address here: making one primary asks for
# the second factor again, a new address gets no security mail for 24 hours, and the old one
# is mailed a link that undoes the change (programs.accounts, core.accounts).
MFA_ALLOW_UNVERIFIED_EMAIL = True
REQUIRE_STAFF_MFA = env.bool("REQUIRE_STAFF_MFA", default=PRODUCTION)

# --- Email ------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Terms & Testers <noreply@localhost>")

# --- Static and media ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Uploads and generated files: the local disk (MEDIA_ROOT) by default; S3-compatible object
# storage (django-storages) when AWS_STORAGE_BUCKET_NAME is set, so every web and worker
# machine reads what any of them stored. Files are private: they leave only through
# programs/downloads.py, after the policy's check, streamed by the web process.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# What an upload may decode to (core.uploads), checked before the rest is decoded: an
# image's width × height × frames, its frames, and a video's length (read by ffprobe).
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=50_000_000)
UPLOAD_MAX_FRAMES = env.int("UPLOAD_MAX_FRAMES", default=300)
UPLOAD_MAX_VIDEO_SECONDS = env.int("UPLOAD_MAX_VIDEO_SECONDS", default=600)
FFPROBE = env.str("FFPROBE", default="ffprobe")  # Debian's ffmpeg (scripts/services.sh)

# --- Terms: what coherent terms may say (programs.services.validate_terms) ---------
# Expected hours per week: at most the EU Working Time Directive's average (2003/88/EC, art. 6).
TERMS_MAX_HOURS_PER_WEEK = env.int("TERMS_MAX_HOURS_PER_WEEK", default=48)
TERMS_MAX_REVIEW_DAYS = env.int("TERMS_MAX_REVIEW_DAYS", default=60)


# Words of the full text that the structured terms cover, and the terms each touches. Where a
# new passage of the full text holds one, publishing shows it beside those terms and waits
# until the manager confirms they say the same or changes them (programs.changes). Matched
# as the start of a word, in English and in the interface's language (translated like it).
def _(text: str) -> str:
    """Marks a word for `makemessages` (gettext_noop would read these settings mid-read)."""
    return text


TERMS_WATCHED_WORDS = {
    _("training"): ("training_use",),
    _("machine learning"): ("training_use",),
    _("promotion"): ("promotional_use", "promotion_fee", "promotion_credit"),
    _("advertising"): ("promotional_use", "promotion_fee", "promotion_credit"),
    _("marketing"): ("promotional_use", "promotion_fee", "promotion_credit"),
    _("licence"): ("training_use", "promotional_use", "credit_attribution"),
    _("license"): ("training_use", "promotional_use", "credit_attribution"),
    _("perpetual"): ("training_use", "promotional_use", "nda_until", "nda_until_text"),
    _("irrevocable"): ("training_use", "promotional_use", "right_to_withdraw"),
    _("royalty-free"): ("pay_model", "promotion_fee"),
    _("exclusive"): ("promotional_use", "credit_attribution", "nda_public_scope"),
    _("without credit"): ("credit_attribution", "promotion_credit"),
}

TIME_ZONE, USE_I18N, USE_TZ = "UTC", True, True  # languages: config/i18n.py

# --- REST framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.auth.TokenScopePermission",
        "api.auth.StaffTwoFactorPermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_RATE", default="600/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["api.filtering.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.auth.CursorPage",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Terms & Testers API",
    "DESCRIPTION": "Programmes, terms, consent, the access check, and the testers' work.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One request body per operation and the 400/401/403/404/429 answers (api.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProgrammeStatusEnum": "programs.models.Programme.Status",
        "TermsStatusEnum": "programs.models.TermsVersion.Status",
    },
}

# --- Security ------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
if REDIS_URL:
    # Sessions are read from Redis and kept in the database too, so every request saves a
    # query and a Redis restart logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every page (django-csp): scripts, styles, fonts and frames only
# from this site, no inline script or style, images from here or data: URIs (the two-factor
# QR code), videos from here (an output's preview on the review page), forms post only
# here, nobody frames us. Output files carry their own `sandbox`
# policy (programs.downloads). CSP_REPORT_URI sends violation reports where you name.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("CSP_REPORT_URI")]
# Staff sessions end after this many idle minutes (participants keep SESSION_COOKIE_AGE).
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logs (core/logs.py) ------------------------------------------------------------------
# JSON lines (LOG_FORMAT=json, production's default) for a log collector, or plain readable
# lines (the embedded run's default). Every line of a request carries its request id (also
# sent back as X-Request-ID), the person's id (never their email), the programme and the
# action; tasks a request started carry the same request id (django-structlog). Emails,
# IBANs, tokens in URLs and the secrets of these settings are masked in every line.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "core.logs.formatter", "format": LOG_FORMAT}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Into the lines above only: no error mail per 500 or 503 (Django's mail_admins);
        # ADMINS get one mail per incident (ops).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "celery": {"level": env.str("CELERY_LOG_LEVEL", default="WARNING").upper()},
        # One line per request is enough: request_finished (with its status and duration).
        "django_structlog.middlewares": {"level": "INFO"},
    },
}
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # an address is personal data; not needed here
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = 10  # request_started only at DEBUG
# Celery keeps the logging set up here (config/celery.py) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics, health and incidents (ops/) --------------------------------------------------
# /metrics (and the worker's and beat's metrics ports) answer only a request carrying
# `Authorization: Bearer <METRICS_TOKEN>` or coming from METRICS_ALLOWED_NETWORKS (loopback by
# default in development); with neither they answer nobody (`check --deploy` warns).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list(
    "METRICS_ALLOWED_NETWORKS",
    default=["127.0.0.1/32", "::1/128"] if DJANGO_ENV == "development" else [],
)
for _net in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_net.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS: {_net!r} is not a network (e.g. 10.0.0.0/8)"
        ) from None
# The worker's and beat's metrics are served on this port (honcho gives each process its
# own PORT; the Procfile passes it), on BIND_ADDRESS. 0: not served.
METRICS_PORT = env.int("METRICS_PORT", default=0)
METRICS_BIND_ADDRESS = env.str("METRICS_BIND_ADDRESS", default=env.str("BIND_ADDRESS", "0.0.0.0"))
PROMETHEUS_EXPORT_MIGRATIONS = False  # it would query the database at every start
# /healthz/ready fails when fewer workers than this answer a ping within HEALTH_PING_SECONDS.
HEALTH_MIN_WORKERS = env.int("HEALTH_MIN_WORKERS", default=1)
HEALTH_PING_SECONDS = env.float("HEALTH_PING_SECONDS", default=2.0)
# The oldest unsent mail, the audit sequencer's lag and the newest checkpoint's age past
# which /healthz/ready fails (seconds). Beat is stale after BEAT_STALE_INTERVALS of its
# shortest interval without a tick (see the schedule below).
HEALTH_OUTBOX_MAX_AGE = env.int("HEALTH_OUTBOX_MAX_AGE", default=15 * 60)
HEALTH_AUDIT_MAX_LAG = env.int("HEALTH_AUDIT_MAX_LAG", default=5 * 60)
BEAT_STALE_INTERVALS = env.int("BEAT_STALE_INTERVALS", default=3)
# Every worker also runs the incident check (so a stopped beat is noticed); the tests' own
# workers do not, as they share a database with tests that count mails.
OPS_WORKER_WATCH = env.bool("OPS_WORKER_WATCH", default=DJANGO_ENV != "test")
# The product mails these people once per incident (the audit log refused, beat stale, a
# payout file failed) and again when it is over: "Name <address>" or addresses, commas.
ADMINS = [
    (name or address, address)
    for name, address in (parseaddr(a) for a in env.list("ADMINS", default=[]))
    if "@" in address
]

# --- Client addresses --------------------------------------------------------------------
# Proxies of the operator's own (addresses or CIDRs). X-Forwarded-For is believed only when
# the connecting peer is one of them; otherwise rate limits key on the peer's address.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _net in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_net.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_net!r} is not an address or network (e.g. 10.0.0.2)"
        ) from None

# --- Outbound calls (webhooks) -------------------------------------------------------
# A webhook URL that resolves to loopback, private, link-local, multicast or reserved
# addresses is refused (at save and at each delivery) unless its network is listed here.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
for _net in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_net.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS: {_net!r} is not a network (e.g. 10.0.0.0/8)"
        ) from None
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=PRODUCTION)
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)
# --- Audit: the chain key and the checkpoints (audit/keys.py, audit/checkpoints.py) -------
# Development keys, for the embedded run and the tests only; production refuses them.
DEV_AUDIT_HMAC_KEY = "dev:DEVELOPMENT-ONLY-audit-chain-key-not-for-production"
DEV_AUDIT_SIGNING_KEY = "dev:REVWLU9OTFktYXVkaXQtc2lnbmluZy1rZXktMDAwMSE="
# `id:secret` entries, newest first: new events are keyed with the first, the others verify
# older events (rotation: put a new key in front, keep the old ones).
AUDIT_HMAC_KEYS = env.list("AUDIT_HMAC_KEYS", default=[DEV_AUDIT_HMAC_KEY])
# `id:base64 private key` that signs checkpoints; retired signing keys' public keys stay in
# AUDIT_VERIFY_KEYS (`id:base64 public key`) so older checkpoints still verify.
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default=DEV_AUDIT_SIGNING_KEY)
AUDIT_VERIFY_KEYS = env.list("AUDIT_VERIFY_KEYS", default=[])
# Witnesses whose cosignatures of the checkpoints are kept and published (C2SP verifier keys,
# `name+id+base64`, as `audit_witness` prints them).
AUDIT_WITNESS_KEYS = env.list("AUDIT_WITNESS_KEYS", default=[])
# Where signed checkpoints of the chain head are written and where audit_verify reads them:
# a directory outside the database (mount it from another machine or sync it off-site).
AUDIT_CHECKPOINT_DIR = Path(
    env.str("AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints"))
)
# AUDIT_SEQUENCE_SECONDS (how often beat seals and signs the log) is read with the beat schedule.

# --- Content credentials and the consent registry (provenance) ------------------------
# The operator's C2PA signing key (PEM) and its certificate chain (PEM, the signing certificate
# first, then the intermediates) from a CA on the C2PA trust list; production refuses to start
# without them. The embedded run and the tests make a test chain here on first use
# (provenance.testchain): files it signs verify, but no public validator trusts them.
C2PA_TEST_CHAIN_DIR = VAR_DIR / "c2pa"
C2PA_SIGNING_KEY_FILE = env.str(
    "C2PA_SIGNING_KEY_FILE",
    default="" if PRODUCTION else str(C2PA_TEST_CHAIN_DIR / "test-signing-key.pem"),
)
C2PA_CERT_CHAIN_FILE = env.str(
    "C2PA_CERT_CHAIN_FILE",
    default="" if PRODUCTION else str(C2PA_TEST_CHAIN_DIR / "test-cert-chain.pem"),
)
# Root certificates (PEM) the proof page's server-side check trusts besides none: the test
# root in the embedded run; in production the trust list's anchors (optional).
C2PA_TRUST_ANCHORS_FILE = env.str(
    "C2PA_TRUST_ANCHORS_FILE",
    default="" if PRODUCTION else str(C2PA_TEST_CHAIN_DIR / "test-root.pem"),
)
C2PA_SIGNING_ALG = env.str("C2PA_SIGNING_ALG", default="es256")
# An RFC 3161 time-stamping authority for the signatures (none: no time-stamp).
C2PA_TSA_URL = env.str("C2PA_TSA_URL", default="")
# The key name of the signed notes (C2SP signed-note) that carry the consent registry,
# signed with AUDIT_SIGNING_KEY.
SIGNED_NOTE_KEY_NAME = env.str(
    "SIGNED_NOTE_KEY_NAME", default=(urlparse(SITE_URL).netloc or "localhost") + "/audit"
)

# --- Payouts: payee details encrypted at rest, the account money leaves from --------------
# Fernet keys (urlsafe base64 of 32 bytes), newest first: details are encrypted with the
# first, the others still decrypt (rotation: put a new key in front, keep the old ones).
DEV_PAYOUT_DETAILS_KEY = "REVWRUxPUE1FTlQtT05MWS1wYXlvdXQta2V5LTAwMDE="
PAYOUT_DETAILS_KEYS = env.list("PAYOUT_DETAILS_KEYS", default=[DEV_PAYOUT_DETAILS_KEY])
# The organisation's account that SEPA credit transfers are paid from (the debtor), and the
# account whose camt.053 statements settle them. Production has no default: until it is set,
# SEPA batches are refused with a message saying so. A paid batch's files are kept some days.
DEMO_PAYOUT_IBAN = "DE89370400440532013000"
PAYOUT_DEBTOR_NAME = env.str("PAYOUT_DEBTOR_NAME", default="Terms and Testers payouts")
PAYOUT_DEBTOR_IBAN = env.str("PAYOUT_DEBTOR_IBAN", default="" if PRODUCTION else DEMO_PAYOUT_IBAN)
PAYOUT_DEBTOR_BIC = env.str("PAYOUT_DEBTOR_BIC", default="" if PRODUCTION else "COBADEFFXXX")
PAYOUT_FILE_RETENTION_DAYS = env.int("PAYOUT_FILE_RETENTION_DAYS", default=90)

# Review claims expire so two reviewers do not work the same item for long; after
# withdrawing, a tester may still log the hours they worked before for some days.
REVIEW_CLAIM_MINUTES = env.int("REVIEW_CLAIM_MINUTES", default=30)
HOURS_AFTER_WITHDRAWAL_DAYS = env.int("HOURS_AFTER_WITHDRAWAL_DAYS", default=30)

# What an hour of unpaid work is worth on the public page when a programme states no
# reference rate of its own: an instance-wide rate, its currency and where it comes from.
REFERENCE_HOURLY_RATE = env.str("REFERENCE_HOURLY_RATE", default="12.82")
REFERENCE_RATE_CURRENCY = env.str("REFERENCE_RATE_CURRENCY", default="EUR").upper()
REFERENCE_RATE_SOURCE = env.str(
    "REFERENCE_RATE_SOURCE", default="the German statutory minimum wage from 1 January 2025"
)
try:
    if Decimal(REFERENCE_HOURLY_RATE) < 0:
        raise ImproperlyConfigured("REFERENCE_HOURLY_RATE cannot be negative.")
except InvalidOperation:
    raise ImproperlyConfigured(
        f"REFERENCE_HOURLY_RATE must be an amount, e.g. 12.82, not {REFERENCE_HOURLY_RATE!r}."
    ) from None


def _c2pa_problems() -> list[str]:
    """A real C2PA signing key and chain: readable, and not the test chain."""
    if not C2PA_SIGNING_KEY_FILE or not C2PA_CERT_CHAIN_FILE:
        return [
            "C2PA_SIGNING_KEY_FILE and C2PA_CERT_CHAIN_FILE must name the operator's key "
            "and certificate chain (from a CA on the C2PA trust list)"
        ]
    for name, path in (
        ("C2PA_SIGNING_KEY_FILE", C2PA_SIGNING_KEY_FILE),
        ("C2PA_CERT_CHAIN_FILE", C2PA_CERT_CHAIN_FILE),
    ):
        if not Path(path).is_file():
            return [f"{name} ({path}) is not a readable file"]
    try:  # read here, before any app is loaded: production must not start on the test chain
        first = x509.load_pem_x509_certificates(Path(C2PA_CERT_CHAIN_FILE).read_bytes())[0]
    except ValueError:
        return ["C2PA_CERT_CHAIN_FILE holds no PEM certificate"]
    if "TEST CHAIN" in first.issuer.rfc4514_string():
        return ["C2PA_CERT_CHAIN_FILE is the test chain of the embedded run"]
    return []


def _refuse_insecure_production():
    """Production must not run with development secrets or open hosts."""
    problems = []
    if SECRET_KEY == INSECURE_DEV_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of 50 or more characters")
    if DEBUG:
        problems.append("DEBUG must be off")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the real host names")
    if DATABASE_VENDOR != "postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL")
    if not REDIS_URL:
        problems.append("REDIS_URL must be set (Celery broker and shared cache)")
    if DEV_AUDIT_HMAC_KEY in AUDIT_HMAC_KEYS:
        problems.append("AUDIT_HMAC_KEYS must not list the development key")
    if AUDIT_SIGNING_KEY == DEV_AUDIT_SIGNING_KEY:
        problems.append("AUDIT_SIGNING_KEY must be set (not the development key)")
    if DEV_PAYOUT_DETAILS_KEY in PAYOUT_DETAILS_KEYS:
        problems.append("PAYOUT_DETAILS_KEYS must not list the development key")
    if CELERY_BROKER_URL != REDIS_URL:
        problems.append("CELERY_BROKER_URL must be unset (the broker is REDIS_URL)")
    if EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend")):
        problems.append("EMAIL_BACKEND must send real email")
    if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
        problems.append("METRICS_TOKEN must be 32 or more random characters")
    if any(
        ipaddress.ip_network(n.strip(), strict=False).prefixlen == 0
        for n in METRICS_ALLOWED_NETWORKS
    ):
        problems.append("METRICS_ALLOWED_NETWORKS must not open the metrics to every address")
    problems.extend(_c2pa_problems())
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DJANGO_ENV=production: " + "; ".join(problems)
        )


if PRODUCTION:
    _refuse_insecure_production()
