"""Settings, read from KANTOOR_* environment variables with safe defaults.

With nothing set, Kantoor runs on an embedded SQLite file in WAL mode with IMMEDIATE
transactions, so a trial needs no database server.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KANTOOR_DATA_DIR", BASE_DIR.parent / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("KANTOOR_DEBUG", False)
# The fallback key is for a local trial only; `kantoor check --deploy` refuses it.
SECRET_KEY = os.environ.get(
    "KANTOOR_SECRET_KEY", "django-insecure-kantoor-local-trial-key-change-me-in-production"
)
ALLOWED_HOSTS = env_list("KANTOOR_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("KANTOOR_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "kantoor.core",
    "kantoor.parties",
    "kantoor.catalog",
    "kantoor.activities",
    "kantoor.finance",
    "kantoor.inventory",
    "kantoor.purchasing",
    "kantoor.manufacturing",
    "kantoor.sales",
    "kantoor.crm",
    "kantoor.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kantoor.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kantoor.urls"
WSGI_APPLICATION = "kantoor.wsgi.application"
ASGI_APPLICATION = "kantoor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kantoor.web.context_processors.shell",
            ],
        },
    }
]

SQLITE_PATH = DATA_DIR / "kantoor.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KANTOOR_DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=int(os.environ.get("KANTOOR_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend with its placeholder conversion cached (see kantoor/core/sqlite).
    DATABASES["default"]["ENGINE"] = "kantoor.core.sqlite"
    # A fresh clone has no var/ yet, and SQLite does not create the directory of its file.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN: no deadlock when two writers upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA cache_size=-128000;"
            "PRAGMA mmap_size=1073741824;"
            "PRAGMA wal_autocheckpoint=10000;"
        ),
    }
    # Tests run in memory unless KANTOOR_TEST_SQLITE names a file. Said explicitly: pytest-django
    # recognises an in-memory SQLite test database by Django's own ENGINE name only.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KANTOOR_TEST_SQLITE") or ":memory:"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("KANTOOR_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "KANTOOR_STATICFILES_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Serve from the finder in development and tests, so `collectstatic` is not required.
WHITENOISE_USE_FINDERS = env_bool("KANTOOR_WHITENOISE_USE_FINDERS", True)
if WHITENOISE_USE_FINDERS:
    # WhiteNoise warns on every start when STATIC_ROOT is missing, though the finders serve
    # everything until `collectstatic` fills it.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

EMAIL_BACKEND = os.environ.get(
    "KANTOOR_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("KANTOOR_EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("KANTOOR_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("KANTOOR_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KANTOOR_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KANTOOR_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KANTOOR_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("KANTOOR_EMAIL_FROM", "kantoor@localhost")

# Background work (ARCHITECTURE §7): the database backend is the embedded default; set
# KANTOOR_TASKS_BACKEND=rq and KANTOOR_REDIS_URL to scale out on Redis.
REDIS_URL = os.environ.get("KANTOOR_REDIS_URL", "redis://127.0.0.1:6379/0")
_tasks_backend = os.environ.get("KANTOOR_TASKS_BACKEND", "db")
TASKS = {
    "default": {
        "BACKEND": {
            "db": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[_tasks_backend],
    }
}
if _tasks_backend == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
if os.environ.get("KANTOOR_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["KANTOOR_CACHE_URL"],
        }
    }

# The outbox is drained in-process after each commit on the embedded default; set
# Where people reach this installation: links in e-mails and PDFs (a quotation's acceptance page).
KANTOOR_SITE_URL = os.environ.get("KANTOOR_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# KANTOOR_OUTBOX_INLINE=false when `kantoor worker` processes run the relay.
KANTOOR_OUTBOX_INLINE = env_bool("KANTOOR_OUTBOX_INLINE", True)

# Production hardening, switched on by KANTOOR_SECURE=true (behind TLS).
if env_bool("KANTOOR_SECURE", False):
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("KANTOOR_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Oversized JSON bodies are refused before they are parsed (problem+json 413 / 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("KANTOOR_MAX_REQUEST_BYTES", str(1024 * 1024)))

NINJA_PAGINATION_MAX_LIMIT = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KANTOOR_LOG_LEVEL", "WARNING")},
}
