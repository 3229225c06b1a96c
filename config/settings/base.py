"""Settings shared by every environment.

Everything defaults to the embedded stack (SQLite, local media, console email, Celery on a
filesystem broker) so a fresh clone runs with nothing configured; each environment variable
switches one part to the real stack. README lists every variable.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(environ.Env().str("ASSENT_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# --- Core -------------------------------------------------------------------------------------
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "storages",
    "config",
    "accounts",
    "uploads",
    "licensing",
    "marketplace",
    "payouts",
    "moderation",
    "collectives",
    "insight",
    "transparency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that answers a page, redirect or error (CommonMiddleware's added-slash
    # redirect and htmx's redirect answer included), so each carries both headers.
    "config.csp.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Outside every middleware that redirects, so htmx never gets a redirected page to swap.
    "config.htmx.HtmxRedirectMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffTwoFactorRequiredMiddleware",
    # Innermost, so it sees a view's exception first: a busy database answers 503, not 500.
    "config.db_busy.DatabaseBusyMiddleware",
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
                "config.context_processors.site",
            ],
        },
    }
]

# --- Data -------------------------------------------------------------------------------------
if not env.str("DATABASE_URL", default=""):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'assent.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# The embedded default's web server (threads) and worker (processes) write one SQLite file at
# once. WAL lets readers and the writer go on together; a busy timeout makes a writer wait its
# turn; and IMMEDIATE transactions take the write lock at BEGIN, where SQLite honours that
# wait. (A DEFERRED transaction that reads first and then writes is refused "database is
# locked" at once when another writer holds the lock: waiting could deadlock.) A write still
# waiting after SQLITE_BUSY_TIMEOUT seconds answers 503 with Retry-After, never a 500
# (config/db_busy.py). README, "The embedded default".
SQLITE_BUSY_TIMEOUT = env.int("SQLITE_BUSY_TIMEOUT", default=20)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=SQLITE_BUSY_TIMEOUT,
        # synchronous=NORMAL is durable in WAL mode except for the last commits on a power
        # cut; the file is a development database.
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="assent"),
        }
    }
else:
    # A file cache (not locmem) so login throttling is shared by every process of the
    # embedded default, as Redis shares it in production.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
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
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: email is the identity; verification is mandatory before first login.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.RoleSignupForm"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Assent] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Lockout: after LOGIN_ATTEMPTS failures for one email within the window, that email is refused
# (web and API alike) until the window passes; 10 failures a minute per IP are refused too.
LOGIN_ATTEMPTS_LIMIT = env.int("LOGIN_ATTEMPTS_LIMIT", default=5)
LOGIN_ATTEMPTS_TIMEOUT = env.int("LOGIN_ATTEMPTS_TIMEOUT", default=15 * 60)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,{LOGIN_ATTEMPTS_LIMIT}/{LOGIN_ATTEMPTS_TIMEOUT}s/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Assent"

# --- Email ------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Assent <no-reply@assent.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Originals are private: nothing under MEDIA_ROOT is served directly; the app hands out signed,
# expiring URLs (S3 presigned URLs, or Django-signed tokens for local disk).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": env.int("SIGNED_URL_MAX_AGE", default=600),
        "file_overwrite": False,
        "signature_version": "s3v4",
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
    }
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SIGNED_URL_MAX_AGE = env.int("SIGNED_URL_MAX_AGE", default=600)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
        "token_create": env.str("API_THROTTLE_TOKEN_CREATE", default="20/minute"),
        "claims": env.str("API_THROTTLE_CLAIMS", default="10/hour"),
        "verify": env.str("API_THROTTLE_VERIFY", default="30/minute"),
    },
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Assent API",
    "DESCRIPTION": (
        "License creative work for AI training on the creators' terms. Authenticate programs "
        "with `Authorization: Token <key>` (create one at POST /api/v1/auth/token/)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers (400, 401, 403, 404, 409, 413, 429, 503) in one place.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role.choices",
        "MembershipRoleEnum": "accounts.models.MembershipRole.choices",
        "WorkStatusEnum": "uploads.models.WorkStatus.choices",
        "OfferStatusEnum": "licensing.models.OfferStatus.choices",
        "AiInvolvementEnum": "uploads.models.AiInvolvement.choices",
        "WorkKindEnum": "uploads.models.WorkKind.choices",
    },
}

# --- Celery -----------------------------------------------------------------------------------
# With REDIS_URL, Redis is the broker. Without it a filesystem broker lets the embedded default
# run long work in a real worker process, so progress bars behave as in production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_FILESYSTEM_BROKER_DIR = VAR_DIR / "celery-broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "processed"),
        # Kombu's default is ./control in the working directory, i.e. the checkout.
        "control_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        "visibility_timeout": 3600,
        # Publishing from a web request: two quick retries (under half a second), not kombu's
        # default of about 6 s, when the broker is down. What could not be queued is logged
        # and handed on by a beat task (README, "When the broker is down").
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.3,
    }
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- Health -----------------------------------------------------------------------------------
HEALTHCHECK_TIMEOUT_SECONDS = env.float("HEALTHCHECK_TIMEOUT_SECONDS", default=2.0)

# --- Stripe (used from the payments issues on) -------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Events about connected accounts come to the Connect endpoint, signed with its own secret.
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
# Base address of a Stripe-compatible server (the local one in devtools/); empty means Stripe.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")

# --- Locale -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security common to every environment ------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag; see base.html
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
FILE_UPLOAD_PERMISSIONS = 0o640

# Content-Security-Policy (django-csp; config/csp.py). Everything a page loads is our own
# static files (Bootstrap, htmx and Swagger UI included): no CDN, no inline script, style or
# event handler, no eval. README, "Security".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # Inline script runs only with the response's nonce: just Swagger UI's start-up script
        # (templates/drf_spectacular/swagger_ui.html). Only responses that use it name one.
        "script-src": [SELF, NONCE],
        # No style="" attribute either: templates use classes from static/css/assent.css.
        "style-src": [SELF],
        # data: for Bootstrap's CSS, which draws select arrows, close buttons and the navbar
        # toggler as data: SVGs, and for the two-factor QR code (a data: URI). With S3, the
        # storage's origin is added per request: previews are presigned redirects.
        "img-src": [SELF, "data:"],
        # Audio previews (players); with S3 the storage's origin is added per request.
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # Plus Stripe's checkout and onboarding pages, added per request (config/csp.py).
        "form-action": [SELF],
    },
}
# Where Stripe's hosted pages are when STRIPE_API_BASE is empty (real Stripe).
CSP_STRIPE_PAGE_ORIGINS = ["https://checkout.stripe.com", "https://connect.stripe.com"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Uploads ----------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=40 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=60_000_000)
UPLOAD_MIN_DIMENSION = env.int("UPLOAD_MIN_DIMENSION", default=64)
UPLOAD_DAILY_FILES = env.int("UPLOAD_DAILY_FILES", default=500)
UPLOAD_DAILY_BYTES = env.int("UPLOAD_DAILY_BYTES", default=5 * 1024 * 1024 * 1024)
# Text works (prose, poetry, articles): plain text, Markdown and EPUB (uploads/text/).
TEXT_MAX_BYTES = env.int("TEXT_MAX_BYTES", default=5 * 1024 * 1024)  # plain text and Markdown
TEXT_MAX_WORDS = env.int("TEXT_MAX_WORDS", default=300_000)
TEXT_MIN_WORDS = env.int("TEXT_MIN_WORDS", default=20)
TEXT_EXCERPT_WORDS = env.int("TEXT_EXCERPT_WORDS", default=120)
# An EPUB is a ZIP: its entries are read in memory only, within these bounds (zip bombs).
EPUB_MAX_ENTRIES = env.int("EPUB_MAX_ENTRIES", default=2_000)
EPUB_MAX_UNCOMPRESSED = env.int("EPUB_MAX_UNCOMPRESSED", default=50 * 1024 * 1024)
EPUB_MAX_RATIO = env.int("EPUB_MAX_RATIO", default=100)  # per entry, uncompressed : compressed
RENDITION_THUMBNAIL_PX = 400
RENDITION_PREVIEW_PX = 1200
# Audio works (uploads/audio/validation.py): checked from the header before any decode.
AUDIO_MAX_SECONDS = env.int("AUDIO_MAX_SECONDS", default=20 * 60)
AUDIO_MIN_SECONDS = env.int("AUDIO_MIN_SECONDS", default=1)
AUDIO_MIN_SAMPLE_RATE = env.int("AUDIO_MIN_SAMPLE_RATE", default=8000)
AUDIO_MAX_SAMPLE_RATE = env.int("AUDIO_MAX_SAMPLE_RATE", default=192_000)
# Mono or stereo: the preview and the fingerprint fold channels to mono, which is only a fair
# mix for two, and buyers' training sets are mono or stereo; a surround master can be sent as
# its stereo mix.
AUDIO_MAX_CHANNELS = env.int("AUDIO_MAX_CHANNELS", default=2)
# A request may carry one file plus a few fields; bigger bodies are refused before parsing.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_HANDLERS = [
    "uploads.upload_handlers.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Licensing --------------------------------------------------------------------------------
# The lowest price per work license, in minor units per currency (see licensing/money.py).
LICENSE_PRICE_FLOORS = {
    "USD": 200,
    "EUR": 200,
    "GBP": 200,
    "CAD": 300,
    "AUD": 300,
    "CHF": 200,
    "SEK": 2000,
    "NOK": 2000,
    "DKK": 1500,
    "NZD": 300,
    "JPY": 300,
    "KRW": 3000,
}
LICENSE_TEXT_VERSION = "2026-11"
BULK_OFFER_CHUNK = 50
# License lifecycle: reminders to the team this many days before items expire; the grace
# period after expiry to attest that models trained on `destroy-models` items are destroyed;
# the share of such a sale Assent holds back until then (taken from the platform fee, so it
# may not exceed PLATFORM_FEE_BPS); and how long after the grace period an unattested item's
# holdback is forfeited to its creators.
LICENSE_REMINDER_DAYS = env.list("LICENSE_REMINDER_DAYS", cast=int, default=[90, 30, 7])
LICENSE_DESTRUCTION_GRACE_DAYS = env.int("LICENSE_DESTRUCTION_GRACE_DAYS", default=30)
LICENSE_HOLDBACK_BPS = env.int("LICENSE_HOLDBACK_BPS", default=1000)
LICENSE_FORFEIT_AFTER_DAYS = env.int("LICENSE_FORFEIT_AFTER_DAYS", default=90)
# The largest evidence file a destruction attestation may carry.
LICENSE_EVIDENCE_MAX_BYTES = env.int("LICENSE_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)

# --- Payouts ----------------------------------------------------------------------------------
PLATFORM_FEE_BPS = env.int("PLATFORM_FEE_BPS", default=2000)  # 20% of each sale, published
EARNINGS_HOLD_DAYS = env.int("EARNINGS_HOLD_DAYS", default=14)
PAYOUT_MINIMUM = env.int("PAYOUT_MINIMUM", default=1000)  # minor units
# Marketplace: the most works one dataset (one order, one package) may hold.
DATASET_MAX_ITEMS = env.int("DATASET_MAX_ITEMS", default=5000)
# Packages: WebDataset shards close at about this size (and at most this many samples); each
# worker task writes this many shards before handing the build on (progress, fair queues).
PACKAGE_SHARD_TARGET_BYTES = env.int("PACKAGE_SHARD_TARGET_BYTES", default=256 * 1024 * 1024)
PACKAGE_SHARD_MAX_ITEMS = env.int("PACKAGE_SHARD_MAX_ITEMS", default=10_000)
PACKAGE_SHARDS_PER_TASK = env.int("PACKAGE_SHARDS_PER_TASK", default=4)
# Shard worker processes per package build; 0: one per CPU.
PACKAGE_BUILD_WORKERS = env.int("PACKAGE_BUILD_WORKERS", default=0)
# How long a download link works.
PACKAGE_LINK_MAX_AGE = env.int("PACKAGE_LINK_MAX_AGE", default=15 * 60)

# --- Moderation: screening policy ---------------------------------------------------------------
# Risk score (0-100, the sum of each signal kind's strongest weight, capped) at or above which an
# upload is held for a member of staff, and at or above which it is rejected outright.
MODERATION_HOLD_SCORE = env.int("MODERATION_HOLD_SCORE", default=30)
MODERATION_REJECT_SCORE = env.int("MODERATION_REJECT_SCORE", default=90)
# A near duplicate this close (PDQ Hamming distance) is "the same picture"; up to the index's
# match threshold (NEARDUP_THRESHOLD, 31 by Meta's guidance) it is "probably the same".
MODERATION_NEAR_CLOSE_DISTANCE = env.int("MODERATION_NEAR_CLOSE_DISTANCE", default=10)
# Flood: this many other works of the same account within the match threshold of an upload.
MODERATION_FLOOD_MIN_SIMILAR = env.int("MODERATION_FLOOD_MIN_SIMILAR", default=4)
# Velocity: an account younger than this many days, or with fewer listed works than the next
# setting, is "new" and gets the lower upload limits per hour and per day.
MODERATION_NEW_ACCOUNT_DAYS = env.int("MODERATION_NEW_ACCOUNT_DAYS", default=7)
MODERATION_ESTABLISHED_MIN_LISTED = env.int("MODERATION_ESTABLISHED_MIN_LISTED", default=20)
MODERATION_NEW_ACCOUNT_MAX_PER_HOUR = env.int("MODERATION_NEW_ACCOUNT_MAX_PER_HOUR", default=20)
MODERATION_NEW_ACCOUNT_MAX_PER_DAY = env.int("MODERATION_NEW_ACCOUNT_MAX_PER_DAY", default=50)
MODERATION_MAX_PER_HOUR = env.int("MODERATION_MAX_PER_HOUR", default=100)
MODERATION_MAX_PER_DAY = env.int("MODERATION_MAX_PER_DAY", default=400)
# An established account is also flagged when a day's uploads exceed this multiple of its
# average per active day over the previous 30 days (and the new-account daily limit).
MODERATION_HISTORY_BURST_FACTOR = env.int("MODERATION_HISTORY_BURST_FACTOR", default=10)

# --- Moderation: near-duplicate index ---------------------------------------------------------
# Two PDQ hashes within this many bits (of 256) are the same picture: Meta's guidance is 31.
# The in-process index is built for this radius; a larger one at search time is refused.
NEARDUP_THRESHOLD = env.int("NEARDUP_THRESHOLD", default=31)
# Hashes read since the last rebuild are scanned by brute force (about 1 ms per 30,000); past
# this many the multi-index table is rebuilt with them.
NEARDUP_TAIL_MAX = env.int("NEARDUP_TAIL_MAX", default=50_000)
# An id below the highest one read may still commit (ids are taken at insert, rows show at
# commit): such gaps are re-read for this long, then taken to be rolled-back inserts.
NEARDUP_GAP_SECONDS = env.int("NEARDUP_GAP_SECONDS", default=3600)
# Only the newest this-many ids below the highest one read are tracked as gaps.
NEARDUP_GAP_WINDOW = env.int("NEARDUP_GAP_WINDOW", default=10_000)
