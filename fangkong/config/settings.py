"""Settings for fangkong, read from the environment.

DATABASE_URL      default: SQLite file in FANGKONG_DATA_DIR (default ./var)
SECRET_KEY        default: generated once into the data dir; required with FANGKONG_SECURE=1
PASSES_KEY_SECRET encrypts the pass-signing keys; default SECRET_KEY; required with FANGKONG_SECURE=1
DEBUG             "1"/"true" to turn on; off by default
ALLOWED_HOSTS     comma-separated; default 127.0.0.1,localhost
FANGKONG_SECURE   "1" behind HTTPS: secure cookies, HSTS, SSL redirect, explicit secrets
FANGKONG_ACCESS_LOG  "0" turns the request log (one JSON line per request, on stdout) off
FANGKONG_ERROR_LOG   the error log with tracebacks; default <data dir>/log/errors.log
FANGKONG_FIELD_KEY  the secret ID numbers and phones are sealed under; default: generated once
                    into the data dir (never stored in the database); required with FANGKONG_SECURE=1
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("FANGKONG_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written once with owner-only permissions; later runs reuse it so sessions survive restarts.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Earlier keys, comma-separated, while a new SECRET_KEY takes over (docs/operations.md).
SECRET_KEY_FALLBACKS = [k.strip() for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    # ninja's own static Swagger page (the CDN one carries an inline script the CSP refuses).
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "fangkong.core",
    "fangkong.audit",
    "fangkong.orgs",
    "fangkong.people",
    "fangkong.accounts",
    "fangkong.returnees",
    "fangkong.deployment",
    "fangkong.documents",
    "fangkong.passes",
    "fangkong.reports",
    "fangkong.notify",
    "fangkong.command",
    "fangkong.supervision",
    "fangkong.livelihood",
    "fangkong.publicity",
    "fangkong.donations",
]

MIDDLEWARE = [
    "fangkong.config.accesslog.RequestUserMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fangkong.core.middleware.BodyLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangkong.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fangkong.core.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fangkong.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fangkong.config.urls"
WSGI_APPLICATION = "fangkong.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

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
                "fangkong.core.context_processors.navigation",
                "fangkong.core.context_processors.business_day",
            ],
            "builtins": ["fangkong.core.templatetags.cn_dates"],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'fangkong.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers proceed while one writer commits; IMMEDIATE avoids lock-upgrade deadlocks.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("FANGKONG_TEST_SQLITE") or None
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's own hashers, and last the one for one-time passwords the platform made (accounts/hashers.py).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "fangkong.accounts.hashers.OneTimePasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "fangkong.accounts.validators.CharacterClassesValidator"},
    # Not a rule: revokes the user's API tokens whenever a new password is saved, on any path.
    {"NAME": "fangkong.accounts.validators.RevokeTokensOnPasswordChange"},
]

# Sessions: 30 minutes idle (the cookie is renewed on every request), 12 hours absolute
# (enforced by SessionPolicyMiddleware from the login time kept in the session).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
LOGIN_LOCK_SECONDS = 15 * 60

SECURE = env_bool("FANGKONG_SECURE", not DEBUG and env_bool("FANGKONG_PRODUCTION"))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# In production the secrets come from the environment (docs/operations.md): a key generated into one
# host's data folder differs on every host and dies with the folder, and so would every pass
# signing key encrypted under it, and every ID number sealed under the field key. Every command and
# the server refuse to start without them.
if SECURE:
    _missing = [name for name in ("SECRET_KEY", "PASSES_KEY_SECRET", "FANGKONG_FIELD_KEY")
                if not os.environ.get(name, "").strip()]
    if _missing:
        raise ImproperlyConfigured(
            "FANGKONG_SECURE=1 needs these secrets set explicitly in the environment: " + ", ".join(_missing)
            + " (see docs/operations.md)"
        )

# Content-Security-Policy (django-csp), enforced everywhere, tests included. Scripts and styles come
# only from our own static files: no inline handlers, no style attributes, no eval (htmx is told so
# in base.html). A script that truly must be inline carries nonce="{{ request.csp_nonce }}"; the
# header names the nonce only on pages that use it. data: images are the OTP enrolment QR code.
# How to add behaviour to a template without inline code: docs/architecture.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# Pass signing keys are stored encrypted under a key derived from this (default: SECRET_KEY).
PASSES_KEY_SECRET = os.environ.get("PASSES_KEY_SECRET", "")


def _field_key() -> str:
    """The secret ID numbers and phones are sealed under (fangkong.core.fieldcrypt): the
    environment's, else one generated once into the data dir as SECRET_KEY is, never the database's."""
    if os.environ.get("FANGKONG_FIELD_KEY"):
        return os.environ["FANGKONG_FIELD_KEY"]
    path = DATA_DIR / "field_key"
    if not path.exists():
        # Written whole, owner-only, then linked into place: two processes starting at once (the
        # server and the worker of `make run`) never read a half-written key, and agree on one.
        tmp = DATA_DIR / f".field_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


FANGKONG_FIELD_KEY = _field_key()
FANGKONG_FIELD_KEY_GENERATED = not os.environ.get("FANGKONG_FIELD_KEY")
# Earlier secrets, comma-separated: values sealed under them still open (see `fangkong rotate_field_key`).
FANGKONG_FIELD_OLD_KEYS = [k.strip() for k in os.environ.get("FANGKONG_FIELD_OLD_KEYS", "").split(",") if k.strip()]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# The body limit (core.middleware): a request body over 5 MB (a multipart upload: over the ledger
# import limit + 1 MB) is refused with a JSON 413 before it is read, on every path.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PHOTO_MAX_BYTES = 2 * 1024 * 1024

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

OTP_TOTP_ISSUER = "fangkong"

# Home isolation period per returnee category, in days (三隔离: 14 days unless set otherwise).
ISOLATION_DAYS = {"outside": 14, "relative": 14, "fever": 14, "other": 14}
# Ledger imports: files up to this size; files larger than the second figure run in the background.
FANGKONG_IMPORT_MAX_BYTES = int(os.environ.get("FANGKONG_IMPORT_MAX_BYTES", 50 * 1024 * 1024))
# A day's daily reports lock this many days later; then only the committee office corrects them.
FANGKONG_REPORTS_LOCK_DAYS = int(os.environ.get("FANGKONG_REPORTS_LOCK_DAYS", 3))
FANGKONG_IMPORT_BACKGROUND_BYTES = int(os.environ.get("FANGKONG_IMPORT_BACKGROUND_BYTES", 1024 * 1024))
# An upload lists at most this many problems; past them it stops checking the file.
FANGKONG_IMPORT_MAX_PROBLEMS = int(os.environ.get("FANGKONG_IMPORT_MAX_PROBLEMS", 1000))
# An upload that was not committed is deleted this many days after it was uploaded (`fangkong
# purge_uploads`, run by every `send_reminders` pass); until then it counts against its
# uploader's quota of stored uploads.
FANGKONG_REJECTED_UPLOAD_DAYS = int(os.environ.get("FANGKONG_REJECTED_UPLOAD_DAYS", 30))
FANGKONG_UPLOAD_QUOTA_MB = int(os.environ.get("FANGKONG_UPLOAD_QUOTA_MB", 500))
# The daily briefing (每日调度简报) is written at this local time of each business day by the
# `send_reminders` loop and sent to these units' responsible people and channels (unit codes,
# comma-separated; default: the top of the tree).
FANGKONG_BRIEFING_TIME = os.environ.get("FANGKONG_BRIEFING_TIME", "20:00")
FANGKONG_BRIEFING_UNITS = [c.strip() for c in os.environ.get("FANGKONG_BRIEFING_UNITS", "").split(",") if c.strip()]

# Notifications (fangkong.notify): email goes out over SMTP with Django's backend, read from the
# environment; failed deliveries are retried after these delays (seconds), then marked failed.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fangkong@localhost")
NOTIFY_EMAIL_TIMEOUT = 15
NOTIFY_WEBHOOK_TIMEOUT = 10
NOTIFY_RETRY_DELAYS = [60, 300, 900, 3600]
# Daily-report reminders: how long before the deadline units are reminded, and from what local
# time the next day the level above the responsible one receives the list of units still missing.
REMINDER_LEAD_MINUTES = int(os.environ.get("REMINDER_LEAD_MINUTES", 60))
REMINDER_NEXT_DAY_AT = os.environ.get("REMINDER_NEXT_DAY_AT", "09:00")

# Logs: the request log writes one JSON line per request to stdout (fangkong.config.accesslog);
# errors go with their tracebacks to the error log, a file reopened when logrotate moves it, and
# as one line to the console. A refused request (403, 404) is its access line and nothing more.
ERROR_LOG = Path(os.environ.get("FANGKONG_ERROR_LOG") or DATA_DIR / "log" / "errors.log")
ERROR_LOG.parent.mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(message)s"},
        "full": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d: %(message)s"},
        "short": {"()": "fangkong.config.accesslog.OneLineFormatter",
                  "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"},
        "errors": {"class": "logging.handlers.WatchedFileHandler", "filename": str(ERROR_LOG),
                   "formatter": "full", "encoding": "utf-8", "delay": True},
        "console": {"class": "logging.StreamHandler", "formatter": "short"},
    },
    "loggers": {
        "fangkong.access": {"handlers": ["access"], "propagate": False,
                            "level": "INFO" if env_bool("FANGKONG_ACCESS_LOG", True) else "WARNING"},
        # 5xx with tracebacks; Django's 4xx warnings (with a traceback for a 403) are left to the access line.
        "django.request": {"handlers": ["errors", "console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["errors", "console"], "level": "WARNING", "propagate": False},
        # A refused CSRF token is a 403 like any other: its one console line is the access line;
        # the reason Django gives goes to the error log.
        "django.security.csrf": {"handlers": ["errors"], "level": "WARNING", "propagate": False},
    },
    "root": {"handlers": ["errors", "console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Every list's filters: an empty choice means "all of them" and says so (not "---------").
FILTERS_EMPTY_CHOICE_LABEL = _("All")
