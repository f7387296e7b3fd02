"""SciPlan settings, read from the environment.

The embedded default (no environment at all) is a development setup: SQLite under ``var/``, local file
storage, DEBUG on. Production sets ``SCIPLAN_DEBUG=0`` and must then provide ``SCIPLAN_SECRET_KEY`` —
the settings refuse to load without it, so a missing secret fails loudly at start, not quietly at run.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
# A relative SCIPLAN_VAR_DIR is anchored at the project, not at whatever directory the process started
# in: the PDFs' fonts are referenced by file URI, which needs an absolute path.
VAR_DIR = (PROJECT_DIR / os.environ.get("SCIPLAN_VAR_DIR", "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("SCIPLAN_DEBUG", True)
DEMO_MODE = env_bool("SCIPLAN_DEMO", DEBUG)

SECRET_KEY = os.environ.get("SCIPLAN_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SCIPLAN_SECRET_KEY must be set when SCIPLAN_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("SCIPLAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("SCIPLAN_CSRF_TRUSTED_ORIGINS", [])
# The public address printed in links and on paper: never the host a request happened to arrive on. In
# production without SCIPLAN_SITE_URL it is the first allowed host over HTTPS, never 127.0.0.1.
_NAMED_HOSTS = [h for h in ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
_DEFAULT_SITE_URL = "http://127.0.0.1:8000" if DEBUG or not _NAMED_HOSTS else f"https://{_NAMED_HOSTS[0]}"
SITE_URL = os.environ.get("SCIPLAN_SITE_URL", _DEFAULT_SITE_URL).rstrip("/")
# The issuing authority (SPEC §13): another city is configuration, not code. See core/authority.py.
SCIPLAN_AUTHORITY = {
    "city": os.environ.get("SCIPLAN_AUTHORITY_CITY", "岳阳市"),
    "region_code": os.environ.get("SCIPLAN_AUTHORITY_REGION_CODE", "4306"),
    "bureau": os.environ.get("SCIPLAN_AUTHORITY_BUREAU", ""),
    "division": os.environ.get("SCIPLAN_AUTHORITY_DIVISION", "基础研究科"),
    "address": os.environ.get("SCIPLAN_AUTHORITY_ADDRESS", "岳阳市南湖大道653号科技局606室"),
    "phone": os.environ.get("SCIPLAN_AUTHORITY_PHONE", "0730-8186096"),
    "system_name": os.environ.get("SCIPLAN_AUTHORITY_SYSTEM_NAME", ""),
    "guideline": os.environ.get("SCIPLAN_AUTHORITY_GUIDELINE", ""),
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "sciplan.core",
    "sciplan.accounts",
    "sciplan.calls",
    "sciplan.applications",
    "sciplan.recommendations",
    "sciplan.review",
    "sciplan.recognition",
    "sciplan.documents",
    "sciplan.api",
    "ninja",  # serves Swagger UI from its own static files: the docs work without internet
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sciplan.core.middleware.SecurityHeadersMiddleware",
    "sciplan.core.middleware.ConcurrencyLimitMiddleware",
    "sciplan.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sciplan.core.middleware.RequestInputMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "sciplan.core.middleware.AuditTrailMiddleware",
    "sciplan.core.middleware.PersonalDataMaskingMiddleware",
    "sciplan.core.middleware.SessionTimeoutMiddleware",
    "sciplan.core.middleware.AccessPolicyMiddleware",
    "sciplan.core.middleware.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sciplan.urls"
WSGI_APPLICATION = "sciplan.wsgi.application"

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
                "sciplan.core.context_processors.site",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sciplan.sqlite3'}",
        conn_max_age=env_int("SCIPLAN_DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
# A connection pooler between the processes and PostgreSQL (SCIPLAN_DB_POOLER=pgbouncer, pool_mode =
# transaction; deploy/pgbouncer.ini): consecutive transactions of one Django connection may run on
# different server connections, so nothing may outlive a transaction — no server-side cursors (a named
# cursor of .iterator() lives across fetches), no prepared statements (Django binds parameters on the
# client; server-side binding is forced off here), advisory locks only transaction-scoped
# (core.audit). Django's connections to the pooler stay persistent (SCIPLAN_DB_CONN_MAX_AGE): they are
# cheap for PgBouncer, which holds the few real ones.
DB_POOLER = os.environ.get("SCIPLAN_DB_POOLER", "").strip().lower()
if DB_POOLER == "pgbouncer":
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("SCIPLAN_DB_POOLER=pgbouncer needs a PostgreSQL DATABASE_URL.")
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = False
elif DB_POOLER:
    raise ImproperlyConfigured("SCIPLAN_DB_POOLER must be empty (no pooler) or pgbouncer.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the one-process embedded default serve a few users at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests run on a file too, as the embedded default does: an in-memory database in shared-cache mode
    # has table locks that fail at once instead of waiting out the busy timeout, so concurrent requests
    # would see errors production never gives.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-sciplan.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("SCIPLAN_REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "sciplan.accounts.passwords.RoleMinimumLengthValidator"},
    {"NAME": "sciplan.accounts.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
PASSWORD_CHANGE_DAYS = env_int("SCIPLAN_PASSWORD_CHANGE_DAYS", 90)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

AXES_FAILURE_LIMIT = env_int("SCIPLAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SCIPLAN_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
# A lockout holds one account at one client address: guessing a password from an address stops after
# AXES_FAILURE_LIMIT failures, while the same account signs in from any other address, so nobody can shut
# a named person out from elsewhere (docs/security.md, "Sign-in lockout"). Guessing across many names from
# one address meets the address limit below; the address is core.http.client_ip, the one decision.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "sciplan.core.http.client_ip"
AXES_RESET_ON_SUCCESS = True
# Failed sign-ins from one address, whatever the names, before that address alone waits out the window.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("SCIPLAN_LOGIN_ADDRESS_FAILURES", 20)
LOGIN_ADDRESS_WINDOW_SECONDS = env_int("SCIPLAN_LOGIN_ADDRESS_WINDOW_SECONDS", 900)
# The proxies in front of the application: only a peer in SCIPLAN_FORWARDED_ALLOW_IPS (the list gunicorn is
# given too; addresses or networks, "*" for any) has its X-Forwarded-For read, and the client is the entry
# SCIPLAN_TRUSTED_PROXY_COUNT places from the right (0: never read the header). See core.http.client_ip.
FORWARDED_ALLOW_IPS = env_list("SCIPLAN_FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
TRUSTED_PROXY_COUNT = env_int("SCIPLAN_TRUSTED_PROXY_COUNT", 1)
AXES_LOCKOUT_CALLABLE = "sciplan.accounts.views.lockout_response"
AXES_VERBOSE = False

# Two-factor sign-in (STANDARDS A4): required for bureau staff, administrators and audit viewers, open to
# everyone. Off only where a test or a scripted client signs in with ``force_login`` and proves
# something else; tests/security proves it on.
OTP_ENFORCED = env_bool("SCIPLAN_OTP_ENFORCED", True)
OTP_TOTP_ISSUER = "SciPlan"
OTP_TOTP_THROTTLE_FACTOR = 1

SESSION_ABSOLUTE_SECONDS = env_int("SCIPLAN_SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_IDLE_SECONDS = env_int("SCIPLAN_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SCIPLAN_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SCIPLAN_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    ("", BASE_DIR / "static"),
    ("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chart.js", PROJECT_DIR / "node_modules" / "chart.js" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Private uploads and generated documents: never under a public URL, only through permission-checked views.
# The embedded default is a directory (``core.storage.private_storage``); ``SCIPLAN_STORAGE=s3`` puts them
# in an S3-compatible bucket instead (docs/deployment.md, "Object storage").
PRIVATE_STORAGE_ROOT = Path(os.environ.get("SCIPLAN_PRIVATE_STORAGE", VAR_DIR / "private"))


def s3_private_storage() -> dict:
    """``STORAGES['private']`` for django-storages' S3 backend, from ``SCIPLAN_S3_*``; fails loudly when
    the bucket or half of a key pair is missing."""
    bucket = os.environ.get("SCIPLAN_S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("SCIPLAN_STORAGE=s3 needs SCIPLAN_S3_BUCKET.")
    access_key = os.environ.get("SCIPLAN_S3_ACCESS_KEY", "")
    secret_key = os.environ.get("SCIPLAN_S3_SECRET_KEY", "")
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured("Set both SCIPLAN_S3_ACCESS_KEY and SCIPLAN_S3_SECRET_KEY, or neither.")
    endpoint = os.environ.get("SCIPLAN_S3_ENDPOINT_URL", "").strip() or None
    # MinIO and most on-premises servers answer only path-style requests (http://host:9000/bucket/key).
    addressing = os.environ.get("SCIPLAN_S3_ADDRESSING_STYLE", "").strip() or ("path" if endpoint else "auto")
    if addressing not in ("path", "virtual", "auto"):
        raise ImproperlyConfigured("SCIPLAN_S3_ADDRESSING_STYLE must be path, virtual or auto.")
    from botocore.config import Config

    options: dict = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": os.environ.get("SCIPLAN_S3_REGION", "").strip() or None,
        # botocore waits 60 s to connect and 60 s per read, with retries, by default: an unreachable
        # object store would hold a request thread for minutes. Fail in seconds, retry twice.
        "client_config": Config(
            s3={"addressing_style": addressing},
            signature_version="s3v4",
            connect_timeout=env_int("SCIPLAN_S3_CONNECT_TIMEOUT", 5),
            read_timeout=env_int("SCIPLAN_S3_READ_TIMEOUT", 30),
            retries={"max_attempts": 3, "mode": "standard"},
        ),
        "location": os.environ.get("SCIPLAN_S3_PREFIX", "").strip().strip("/"),
        # Objects inherit the bucket's own (private) access; no ACL is ever sent that could open one.
        "default_acl": None,
        # Keys are random (``<prefix>/<uuid4>.<ext>``): no existence check (a round trip) before a write.
        "file_overwrite": True,
        # A download is read once into a temporary file that is hashed and then served: up to 2 MB in
        # memory, larger files spill to disk, so a 20 MB attachment does not sit in a worker's memory.
        "max_memory_size": 2 * 1024 * 1024,
    }
    if access_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    ca_bundle = os.environ.get("SCIPLAN_S3_CA_BUNDLE", "").strip()
    if ca_bundle:
        options["verify"] = ca_bundle
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


PRIVATE_STORAGE_BACKEND = os.environ.get("SCIPLAN_STORAGE", "local").strip().lower() or "local"
if PRIVATE_STORAGE_BACKEND == "s3":
    STORAGES["private"] = s3_private_storage()
elif PRIVATE_STORAGE_BACKEND != "local":
    raise ImproperlyConfigured("SCIPLAN_STORAGE must be local (the default) or s3.")
UPLOAD_MAX_BYTES = env_int("SCIPLAN_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
UPLOAD_MAX_FILES_PER_APPLICATION = env_int("SCIPLAN_UPLOAD_MAX_FILES", 200)
DATA_UPLOAD_MAX_NUMBER_FILES = 10
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

EMAIL_BACKEND = os.environ.get(
    "SCIPLAN_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("SCIPLAN_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SCIPLAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("SCIPLAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SCIPLAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SCIPLAN_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("SCIPLAN_EMAIL_FROM", "科管系统 <noreply@sciplan.local>")
SMS_BACKEND = os.environ.get("SCIPLAN_SMS_BACKEND", "sciplan.core.notifications.LogSmsBackend")

# Background work (core.tasks). The embedded default runs jobs in a thread of the web process after
# commit (no broker, no worker); production names a broker and runs `celery -A sciplan.worker worker`.
CELERY_BROKER_URL = os.environ.get("SCIPLAN_CELERY_BROKER", "")
TASK_BACKEND = os.environ.get("SCIPLAN_TASK_BACKEND", "celery" if CELERY_BROKER_URL else "thread")
if TASK_BACKEND not in ("thread", "eager", "celery"):
    raise ImproperlyConfigured("SCIPLAN_TASK_BACKEND must be thread, eager or celery")
if TASK_BACKEND == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "SCIPLAN_TASK_BACKEND=celery needs SCIPLAN_CELERY_BROKER (redis://… or amqp://…)"
    )
# First retry after this many seconds, then ×4 each time (30 s, 2 min, 8 min, 32 min).
TASK_RETRY_BASE_SECONDS = float(os.environ.get("SCIPLAN_TASK_RETRY_BASE_SECONDS", "30"))
# The file audit_head appends to and audit_verify compares with, in the periodic schedule.
AUDIT_HEADS_FILE = os.environ.get("SCIPLAN_AUDIT_HEADS_FILE", "")

AUDIT_RETENTION_DAYS = max(env_int("SCIPLAN_AUDIT_RETENTION_DAYS", 365), 180)  # 等保: at least 6 months
# Signs the recorded audit-log heads (core.audit.record_head). Unset: a key derived from SECRET_KEY, and
# heads signed before a SECRET_KEY rotation verify through SECRET_KEY_FALLBACKS. Once set, never change it:
# heads signed with another key report as forged (docs/deployment.md).
AUDIT_HEAD_KEY = os.environ.get("SCIPLAN_AUDIT_HEAD_KEY", "")

# Where an official without the right sees phone and ID numbers in full (PIPL, STANDARDS E25): the
# official forms, which carry the contact lines the unit signed (each download is audited). Everywhere
# else core.middleware.PersonalDataMaskingMiddleware masks them (138****1234) for every official but the
# bureau, whose unmasked views are each audited.
PII_FULL_ROUTES = (
    "documents:application_docx",
    "documents:application_pdf",
    "documents:plan_docx",
    "documents:plan_pdf",
    "documents:receipt_pdf",
    "api:document_download",
    "recommendations:summary",  # SPEC §7: the 信息汇总表 has a 联系人/职务/手机 column
    "api:summary_table_download",
)

# (route pattern, methods, requests, window seconds, key) — see core.ratelimit. Patterns match
# ``namespace:url_name`` of a page or ``api:<operationId>``; ``user`` keys by the signed-in user.
RATE_LIMITS = [
    ("accounts:login", "POST", env_int("SCIPLAN_RATE_LOGIN", 20), 300, "ip"),
    ("accounts:otp_verify", "POST", 10, 300, "user"),
    ("accounts:otp_setup", "POST", 10, 300, "user"),
    # one budget for a unit's registration, on the page and through the API (unit_register)
    ("accounts:register|api:unit_register", "POST", env_int("SCIPLAN_RATE_REGISTER", 10), 3600, "ip"),
    ("api:auth_token_create", "POST", env_int("SCIPLAN_RATE_TOKEN", 20), 300, "ip"),
    # Looking up an objection by 受理编号 and phone: few tries, so receipt numbers cannot be guessed.
    ("recognition:objection_lookup", "POST", env_int("SCIPLAN_RATE_OBJECTION_LOOKUP", 10), 3600, "ip"),
    ("*objection*", "POST", env_int("SCIPLAN_RATE_OBJECTION", 5), 3600, "ip"),
    ("*export*", "GET,POST", env_int("SCIPLAN_RATE_EXPORT", 30), 300, "user"),
    ("*summary_table*", "GET,POST", env_int("SCIPLAN_RATE_EXPORT", 30), 300, "user"),
    ("recommendations:summary", "GET", env_int("SCIPLAN_RATE_EXPORT", 30), 300, "user"),
]
API_TOKEN_HOURS = env_int("SCIPLAN_API_TOKEN_HOURS", 8)
# Each API key of an integration account has its own budget of requests (accounts.api_keys).
API_KEY_RATE_LIMIT = env_int("SCIPLAN_RATE_API_KEY", 600)
API_KEY_RATE_WINDOW = env_int("SCIPLAN_RATE_API_KEY_WINDOW", 60)
# The most requests one process works on at once; beyond it clients get a fast 503 with Retry-After.
MAX_CONCURRENT_REQUESTS = env_int("SCIPLAN_MAX_CONCURRENT_REQUESTS", 0)
# Requests that find every slot taken wait for one in a short line instead of being refused at once
# (-1: as many places as slots); a request that waited this long is refused with the same 503.
MAX_QUEUED_REQUESTS = env_int("SCIPLAN_MAX_QUEUED_REQUESTS", -1)
QUEUE_WAIT_MS = env_int("SCIPLAN_QUEUE_WAIT_MS", 2000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every record passes the scrubber: no full phone or ID numbers, control characters escaped (E23).
    "filters": {"scrub": {"()": "sciplan.core.scrubbing.ScrubFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("SCIPLAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Uploaded PDFs are opened leniently to check their structure; pypdf's warnings about the
        # quirks of ordinary PDFs are not worth a log line each (a broken PDF is refused anyway).
        "pypdf": {"level": "ERROR"},
    },
}
