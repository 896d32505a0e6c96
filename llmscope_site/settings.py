"""LLMscope settings: read only from the environment, with safe defaults for the embedded mode.

Embedded mode (no DATABASE_URL, no REDIS_URL): SQLite under var/, tasks run in-process, the
beat schedule runs inside the web process (`manage.py serve`), in-memory channel layer.
Production mode (REDIS_URL set): Redis broker for Celery, channels_redis, separate worker and
beat processes. Every variable is listed in .env.example.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from llmscope_site.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LLMSCOPE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

# A placeholder only good for local development; production refuses to start with it.
_DEVELOPMENT_SECRET_KEY = "llmscope-development-only-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set SECRET_KEY to a long random value, or DEBUG=1 for local "
        "development (`make run` does that for you)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_htmx",
    "axes",
    "tenants",
    "monitoring",
    "monitoring.probes",
    "spc",
    "alerts",
    "billing",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "llmscope_site.prometheus.RequestMetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "llmscope_site.admin_gate.AdminGateMiddleware",
    # Last, as django-axes asks: it answers the locked-out admin logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "llmscope_site.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "llmscope_site.asgi.application"

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
                "tenants.context_processors.navigation",
                "billing.context_processors.billing_banner",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'llmscope.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the embedded web process read while its in-process tasks write.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES and env_bool("LLMSCOPE_DB_POOL", True):
    # Under ASGI each request runs its sync code in a new thread: per-thread persistent
    # connections would mean a new PostgreSQL connection per request. A pool lends them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env_int("LLMSCOPE_DB_POOL_SIZE", 10, minimum=1),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, Celery, Channels ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
# Prefix of every key LLMscope keeps in Redis (cache, rate-limit buckets).
LLMSCOPE_CACHE_PREFIX = env_str("LLMSCOPE_CACHE_PREFIX", "llmscope")
EMBEDDED = not REDIS_URL

if EMBEDDED:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # A task taken by a worker that died (acks late) goes back to the queue after this long.
    # Workers look for such tasks every 10 s (kombu's default scans only every 100 s).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("LLMSCOPE_CELERY_VISIBILITY_TIMEOUT_S", 3600, minimum=10),
        "unacked_restore_throttle": 1,
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str("LLMSCOPE_CHANNEL_PREFIX", "llmscope"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": LLMSCOPE_CACHE_PREFIX,
        }
    }

CELERY_TASK_DEFAULT_QUEUE = env_str("LLMSCOPE_CELERY_QUEUE", "llmscope")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "evaluate-dirty-charts": {
        "task": "spc.tasks.evaluate_dirty_charts",
        "schedule": timedelta(seconds=2),
    },
    "expire-stale-invitations": {
        "task": "tenants.tasks.expire_stale_invitations",
        "schedule": timedelta(hours=1),
    },
    "purge-expired-monitoring-data": {
        "task": "monitoring.tasks.purge_expired_data",
        "schedule": timedelta(days=1),
    },
    # Metered overage to Stripe; idempotent per organization and hour, so a rerun is harmless.
    "billing-report-overage": {
        "task": "billing.tasks.report_overage_task",
        "schedule": timedelta(hours=1),
    },
    # Synthetic probes: claim due probes every second (a stale tick is dropped, not queued).
    "probes-tick": {"task": "probes.tick", "schedule": 1.0, "options": {"expires": 5}},
    # Alerts: threshold rules read the rollups every 30 s; reminders and due retries (and
    # deliveries whose worker died) are picked up every 5 s.
    "alerts-check-thresholds": {
        "task": "alerts.tasks.check_threshold_rules",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "alerts-sweep": {"task": "alerts.tasks.sweep", "schedule": 5.0, "options": {"expires": 5}},
}

# --- Auth (django-allauth, email as the login) -------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: it refuses locked-out admin logins before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "LLMSCOPE_EMAIL_VERIFICATION",
    "optional" if DEBUG else "mandatory",
    ("mandatory", "optional", "none"),
)
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_USER_DISPLAY = "tenants.users.display_name"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email ------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LLMscope <noreply@llmscope.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "llmscope_site.api_errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LLMscope API",
    "DESCRIPTION": "Ingest LLM events and OpenTelemetry spans; read metrics, SPC charts and "
    "violations. Authenticate with `Authorization: Bearer lls_…` (a project API key).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Request bodies above this size (after gzip decompression) answer 413.
LLMSCOPE_MAX_BODY_BYTES = env_int("LLMSCOPE_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = LLMSCOPE_MAX_BODY_BYTES + 1024
# Open WebSockets re-check their user's access this often, behind the immediate signals.
LLMSCOPE_SOCKET_RECHECK_SECONDS = env_int("LLMSCOPE_SOCKET_RECHECK_SECONDS", 60, minimum=1)
# Ingest refuses timestamps more than this far ahead of the server's clock (clients' skew).
LLMSCOPE_MAX_CLOCK_SKEW_SECONDS = env_int("LLMSCOPE_MAX_CLOCK_SKEW_SECONDS", 300, minimum=0)
# API keys refresh last_used_at at most this often, to keep the ingest path write-free.
LLMSCOPE_KEY_LAST_USED_RESOLUTION_S = 60
# Per-API-key rate limit of the REST API (requests per second, burst); an ApiKeyRateLimit
# row overrides both for its key.
LLMSCOPE_API_RATE_LIMIT = env_int("LLMSCOPE_API_RATE_LIMIT", 100, minimum=1)
LLMSCOPE_API_RATE_BURST = env_int("LLMSCOPE_API_RATE_BURST", LLMSCOPE_API_RATE_LIMIT * 2, minimum=1)

# --- Operations: /metrics and /admin/ -------------------------------------------------------
# Prometheus scrapes /metrics with this bearer token (its `authorization` config), or from
# one of these networks (comma-separated CIDRs); with neither, /metrics answers 401.
LLMSCOPE_METRICS_TOKEN = env_str("LLMSCOPE_METRICS_TOKEN", "")
LLMSCOPE_METRICS_ALLOWED_NETWORKS = env_list("LLMSCOPE_METRICS_ALLOWED_NETWORKS", [])
# The Django admin: off entirely, or only from these networks (comma-separated CIDRs; empty:
# from anywhere). Its login locks an address or a user name out for AXES_COOLOFF_TIME after
# AXES_FAILURE_LIMIT wrong passwords (django-axes, admin site only; allauth has its own).
LLMSCOPE_ADMIN_ENABLED = env_bool("LLMSCOPE_ADMIN_ENABLED", True)
LLMSCOPE_ADMIN_ALLOWED_NETWORKS = env_list("LLMSCOPE_ADMIN_ALLOWED_NETWORKS", [])
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env_int("LLMSCOPE_ADMIN_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LLMSCOPE_ADMIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# --- LLMscope ---------------------------------------------------------------------------
LLMSCOPE_PUBLIC_URL = env_str("LLMSCOPE_PUBLIC_URL", "http://127.0.0.1:8000")
LLMSCOPE_INVITATION_DAYS = env_int("LLMSCOPE_INVITATION_DAYS", 7, minimum=1)
# Outbound calls to user-supplied URLs refuse private targets unless this is on.
LLMSCOPE_ALLOW_PRIVATE_TARGETS = env_bool("LLMSCOPE_ALLOW_PRIVATE_TARGETS", DEBUG)
# Probe credentials: comma-separated Fernet keys, the first encrypts (rotation). Unset: a key
# derived from SECRET_KEY (see monitoring/probes/crypto.py).
LLMSCOPE_ENCRYPTION_KEYS = env_list("LLMSCOPE_ENCRYPTION_KEY", [])
LLMSCOPE_PROBE_MIN_INTERVAL_S = env_int("LLMSCOPE_PROBE_MIN_INTERVAL_S", 10, minimum=1)
LLMSCOPE_EMBEDDED_PROBE_THREADS = env_int("LLMSCOPE_EMBEDDED_PROBE_THREADS", 4, minimum=1)
LLMSCOPE_PROBE_DB_THREADS = env_int("LLMSCOPE_PROBE_DB_THREADS", 0, minimum=0)
LLMSCOPE_DEMO_INCIDENT_PERIOD_S = env_int("LLMSCOPE_DEMO_INCIDENT_PERIOD_S", 480, minimum=30)
LLMSCOPE_DEMO_INCIDENTS = env_bool("LLMSCOPE_DEMO_INCIDENTS", True)
LLMSCOPE_DEMO_SEED = env_int("LLMSCOPE_DEMO_SEED", 7)
# The demo LLM (/demo-llm/...) answers only with DEBUG on (make run) or this on.
LLMSCOPE_DEMO_LLM = env_bool("LLMSCOPE_DEMO_LLM", DEBUG)

# --- Alerts -------------------------------------------------------------------------------
# A delivery is tried this many times (network errors, 429, 5xx), with exponential backoff
# from the base delay up to the maximum, then marked failed.
LLMSCOPE_ALERT_MAX_ATTEMPTS = env_int("LLMSCOPE_ALERT_MAX_ATTEMPTS", 6, minimum=1)
LLMSCOPE_ALERT_RETRY_BASE_S = env_float("LLMSCOPE_ALERT_RETRY_BASE_S", 10.0, minimum=0.0)
LLMSCOPE_ALERT_RETRY_MAX_S = env_float("LLMSCOPE_ALERT_RETRY_MAX_S", 900.0, minimum=0.0)
LLMSCOPE_ALERT_TIMEOUT_S = env_float("LLMSCOPE_ALERT_TIMEOUT_S", 10.0, minimum=0.1)
# Chart pictures linked from notifications stop loading after this many days.
LLMSCOPE_ALERT_IMAGE_DAYS = env_int("LLMSCOPE_ALERT_IMAGE_DAYS", 30, minimum=1)
LLMSCOPE_SLACK_API_URL = env_str("LLMSCOPE_SLACK_API_URL", "https://slack.com/api/")
LLMSCOPE_PAGERDUTY_EVENTS_URL = env_str(
    "LLMSCOPE_PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue"
)

# Subgroup charts chart a time bucket this long after it closed, so late flushes still count.
LLMSCOPE_SUBGROUP_GRACE_SECONDS = env_int("LLMSCOPE_SUBGROUP_GRACE_SECONDS", 30, minimum=0)

# --- Billing (Stripe). Off without STRIPE_SECRET_KEY: nothing is billed or refused. ---------
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
# Price ids by plan: the monthly (licensed) price, and the metered overage price.
STRIPE_PRICES = {
    "team": env_str("STRIPE_PRICE_TEAM", ""),
    "enterprise": env_str("STRIPE_PRICE_ENTERPRISE", ""),
}
STRIPE_METERED_PRICES = {"team": env_str("STRIPE_PRICE_TEAM_OVERAGE", "")}
STRIPE_METER_EVENT_NAME = env_str("STRIPE_METER_EVENT_NAME", "llmscope_events")
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: without it no subscription "
        "change could be verified. Set both, or neither (billing off)."
    )
# The plan every organization has while billing is off (self-hosted): a Plan slug.
LLMSCOPE_DEFAULT_PLAN = env_str("LLMSCOPE_DEFAULT_PLAN", "unlimited")

# --- i18n, static -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("LLMSCOPE_MANIFEST_STATIC", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# --- Security (production) --------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("LLMSCOPE_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("LLMSCOPE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("LLMSCOPE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Health probes come from the load balancer over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
