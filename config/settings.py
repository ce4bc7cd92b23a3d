"""yayin settings: one module, read from the environment (design.md, "Configuration").

Development works with no variable set; production values that are missing or wrong fail
loudly at start-up instead of at the first request.
"""

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env, env_bool, env_int, env_list, env_rates
from config.webhooks import validate_webhook_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
# Under pytest the test defaults apply (in-memory outboxes, code echo, no HTTPS redirect).
TESTING = env_bool("YAYIN_TESTING", "pytest" in sys.modules)

SECRET_KEY = env("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
if TESTING:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.apps.YayinAdminConfig",  # django.contrib.admin with a throttled login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "storages",
    "users",
    "consents",
    "livestreams",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.api.middleware.LanguageHeaderMiddleware",
    "config.api.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Development database: writers queue for the lock instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"

REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "yayin",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("tr", _("Turkish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))

# Files: local disk by default, S3 (or any S3-compatible store) when a bucket is named.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", "")
_default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env("AWS_S3_REGION_NAME", "") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", "") or None,
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", "") or None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            # Pre-signed recording URLs: SigV4, which every AWS region accepts.
            "signature_version": env("AWS_S3_SIGNATURE_VERSION", "s3v4"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            # WhiteNoise's compressed manifest storage, whose URLs fall back to the plain name
            # when the manifest is missing (collectstatic not run) instead of raising a 500.
            else "config.staticfiles.ForgivingManifestStaticFilesStorage"
        )
    },
}
# Request bodies. JSON and form bodies are small (the largest real one is a profile update);
# anything over API_MAX_BODY_BYTES is a 413 before it is read or parsed. Multipart uploads
# carry one image of up to IMAGE_MAX_BYTES plus a few fields, capped as a whole by
# MAX_UPLOAD_REQUEST_BYTES; Django counts only their non-file fields against
# DATA_UPLOAD_MAX_MEMORY_SIZE.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 256 * 1024)
if not 1024 <= API_MAX_BODY_BYTES <= 10 * 1024 * 1024:
    raise ImproperlyConfigured("API_MAX_BODY_BYTES must be between 1024 and 10485760.")
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
IMAGE_MAX_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_REQUEST_BYTES = IMAGE_MAX_BYTES + 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000

# --- API -----------------------------------------------------------------------------------
# Trusted reverse proxies in front of the app (nginx: 1). Only they may say what the client's
# address (X-Forwarded-For) and scheme (X-Forwarded-Proto) were.
NUM_PROXIES = env_int("DJANGO_NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("DJANGO_NUM_PROXIES must be 0 or more.")
# Scopes: DRF's per address (`anon`) and per user (`user`); sign-in codes (users/otp.py):
# requests for a code per address, codes sent per destination, wrong codes per
# (destination, address), per address and per destination a day (the README has the odds
# these give a distributed guesser); failed admin logins (config/admin_site.py); chat
# messages per (user, stream), over REST and the socket (contract section 9).
_DEFAULT_THROTTLE_RATES = {
    "anon": "300/hour",
    "user": "3000/hour",
    "otp_ip": "30/hour",
    "otp_destination": "10/hour",
    "otp_verify_pair": "10/hour",
    "otp_verify_ip": "30/hour",
    "otp_verify_destination": "10/day",
    "admin_login_pair": "10/hour",
    "admin_login_ip": "30/hour",
    "admin_login_username": "50/day",
    "chat": "1/second",
}
_rate_overrides = env_rates("API_THROTTLE_RATES")
if _unknown_scopes := sorted(set(_rate_overrides) - set(_DEFAULT_THROTTLE_RATES)):
    # A misspelt scope would otherwise leave the limit it meant to change at its default.
    raise ImproperlyConfigured(
        f"API_THROTTLE_RATES: unknown scope {', '.join(_unknown_scopes)}; the scopes are "
        f"{', '.join(_DEFAULT_THROTTLE_RATES)}."
    )
API_THROTTLE_RATES = {**_DEFAULT_THROTTLE_RATES, **_rate_overrides}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "config.api.parsers.JSONParser",
        "config.api.parsers.MultiPartParser",
        "config.api.parsers.FormParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": API_THROTTLE_RATES,
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.EnvelopeAutoSchema",
    "DATETIME_FORMAT": None,  # datetimes reach the renderer, which writes them with ms and Z
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Always answer JSON (the envelope), even to `Accept: text/html`, rather than a 406.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.negotiation.JSONFallbackNegotiation",
    # Behind N trusted proxies the client address is the N-th from the right of
    # X-Forwarded-For (throttles and the addresses kept on records); unset: REMOTE_ADDR.
    # 0, not None: with None DRF would take the raw, client-written X-Forwarded-For as the
    # throttle identity, and anyone could reset their limits with one header.
    "NUM_PROXIES": NUM_PROXIES,
}

JSON_CAMEL_CASE = {
    # "_id" is a wire name as it is (contract section 0), not snake_case to convert.
    "JSON_UNDERSCOREIZE": {"no_underscore_before_number": True, "ignore_keys": ["_id"]},
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=3600),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=30),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", "") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

PUBLIC_API_URL = env("PUBLIC_API_URL", "http://localhost:8000").rstrip("/")
DEVELOPMENT_API_URL = env("DEVELOPMENT_API_URL", "http://localhost:8000").rstrip("/")
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", True)

SPECTACULAR_SETTINGS = {
    "TITLE": "yayin API",
    "DESCRIPTION": (
        "Backend of the yayin live-streaming app. Every JSON response is wrapped in the "
        "envelope `{isSuccess, statusCode, data, errors, timestamp}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["config.api.permissions.DocsPermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the docs page contacts nothing outside the app.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "persistAuthorization": True},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVERS": [
        {"url": DEVELOPMENT_API_URL, "description": "Development"},
        {"url": PUBLIC_API_URL, "description": "Production"},
    ],
    "SERVE_AUTHENTICATION": [
        "rest_framework.authentication.SessionAuthentication",
        "users.authentication.JWTAuthentication",
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "config.api.schema.postprocess_envelope",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ComponentStatusEnum": "config.api.views.COMPONENT_STATUSES",
        "DocumentTypeEnum": "consents.models.DocumentType",
    },
}

# CORS for the web app: its origins are listed (debug allows any); preflights need no token.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_ALL_ORIGINS = DEBUG and not CORS_ALLOWED_ORIGINS
CORS_URLS_REGEX = r"^/(api|health)/.*$"
CORS_ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "x-language",
    "x-platform",
    "x-timezone",
    "x-app-version",
    "x-device-id",
    "idempotency-key",
)
CORS_EXPOSE_HEADERS = (
    "X-Total-Count",
    "Link",
    "Retry-After",
    "Content-Language",
    "Idempotent-Replayed",
)
CORS_PREFLIGHT_MAX_AGE = 86400

# --- Domain settings -----------------------------------------------------------------------
OTP_ECHO = env_bool("OTP_ECHO", DEBUG or TESTING)
if OTP_ECHO and not (DEBUG or TESTING):
    raise ImproperlyConfigured("OTP_ECHO would return every sign-in code; never in production.")
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 300)
OTP_RESEND_SECONDS = env_int("OTP_RESEND_SECONDS", 60)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
SMS_BACKEND = env(
    "SMS_BACKEND",
    "users.senders.LocMemSmsBackend" if TESTING else "users.senders.ConsoleSmsBackend",
)
SMS_WEBHOOK_URL = env("SMS_WEBHOOK_URL", "")
SMS_WEBHOOK_TOKEN = env("SMS_WEBHOOK_TOKEN", "")
SMS_WEBHOOK_TIMEOUT = env_int("SMS_WEBHOOK_TIMEOUT", 10)
if SMS_WEBHOOK_URL:
    validate_webhook_url("SMS_WEBHOOK_URL", SMS_WEBHOOK_URL, debug=DEBUG)

EMAIL_URL = env("EMAIL_URL", "console:")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    from config.env import email_settings_from_url

    globals().update(email_settings_from_url(EMAIL_URL))

# Production delivers sign-in codes to people, never to the log, unless told so explicitly
# (a staging server whose operators read the log).
ALLOW_CONSOLE_CODE_DELIVERY = env_bool("ALLOW_CONSOLE_CODE_DELIVERY", False)
if not (DEBUG or TESTING or ALLOW_CONSOLE_CODE_DELIVERY):
    if SMS_BACKEND in {"users.senders.ConsoleSmsBackend", "users.senders.LocMemSmsBackend"}:
        raise ImproperlyConfigured(
            f"SMS_BACKEND={SMS_BACKEND} would write sign-in codes to the log, not send them: "
            "set SMS_BACKEND=users.senders.WebhookSmsBackend and SMS_WEBHOOK_URL (or "
            "ALLOW_CONSOLE_CODE_DELIVERY=true)."
        )
    if EMAIL_URL.startswith("console:"):
        raise ImproperlyConfigured(
            "EMAIL_URL=console: would write sign-in codes to the log, not send them: set "
            "EMAIL_URL=smtp+tls://user:password@host:587 (or ALLOW_CONSOLE_CODE_DELIVERY=true)."
        )
if SMS_BACKEND == "users.senders.WebhookSmsBackend" and not SMS_WEBHOOK_URL and not TESTING:
    raise ImproperlyConfigured("SMS_BACKEND is the webhook backend: set SMS_WEBHOOK_URL.")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "yayin <no-reply@yayin.local>")

AGORA_APP_ID = env("AGORA_APP_ID", "")
AGORA_APP_CERTIFICATE = env("AGORA_APP_CERTIFICATE", "")
AGORA_TOKEN_TTL_SECONDS = env_int("AGORA_TOKEN_TTL_SECONDS", 3600)
if not 1 <= AGORA_TOKEN_TTL_SECONDS <= 86400:
    raise ImproperlyConfigured("AGORA_TOKEN_TTL_SECONDS must be between 1 and 86400.")
LIVE_STREAM_GRACE_MINUTES = env_int("LIVE_STREAM_GRACE_MINUTES", 30)
if not 1 <= LIVE_STREAM_GRACE_MINUTES <= 1440:
    raise ImproperlyConfigured("LIVE_STREAM_GRACE_MINUTES must be between 1 and 1440.")

# The thumbnailUrl of a stream without a thumbnail (a static file).
LIVE_STREAM_DEFAULT_THUMBNAIL = "livestreams/default-thumbnail.webp"

# --- Money (contract section 5) ------------------------------------------------------------
# The earner's share of tickets, rentals, contributions and guest fees (rounded down).
CREATOR_SHARE_PERCENT = env_int("CREATOR_SHARE_PERCENT", 80)
if not 0 <= CREATOR_SHARE_PERCENT <= 100:
    raise ImproperlyConfigured("CREATOR_SHARE_PERCENT must be between 0 and 100.")
REPLAY_RENTAL_HOURS = env_int("REPLAY_RENTAL_HOURS", 48)
if not 1 <= REPLAY_RENTAL_HOURS <= 8760:
    raise ImproperlyConfigured("REPLAY_RENTAL_HOURS must be between 1 and 8760.")
# POST /credit-packages/purchase credits a package without a store: development and tests.
CREDIT_TEST_PURCHASES = env_bool("CREDIT_TEST_PURCHASES", DEBUG or TESTING)
# The exact `Authorization` value RevenueCat sends; unset refuses every webhook call.
REVENUECAT_WEBHOOK_AUTH = env("REVENUECAT_WEBHOOK_AUTH", "")
REVENUECAT_ALLOW_SANDBOX = env_bool("REVENUECAT_ALLOW_SANDBOX", DEBUG or TESTING)

# --- Real time, chat and Agora's webhooks (contract sections 9 and 12) ----------------------
# Socket.IO shares one message queue in Redis (REDIS_URL) so that every process, worker and
# command can emit; the channel name keeps two deployments on one Redis apart.
SOCKETIO_CHANNEL = env("SOCKETIO_CHANNEL", "yayin-socketio")
# Origins a browser socket may come from; the same list as CORS (all of them in debug).
SOCKETIO_CORS_ALLOWED_ORIGINS = "*" if CORS_ALLOW_ALL_ORIGINS else CORS_ALLOWED_ORIGINS
# `viewerCount` goes out at most this often per stream.
SOCKETIO_VIEWER_COUNT_INTERVAL_MS = env_int("SOCKETIO_VIEWER_COUNT_INTERVAL_MS", 1000)
# Under ASGI (config/asgi.py), the sync code of HTTP requests runs on this many long-lived
# threads per process (config/asgi_threads.py): one database connection each, kept as
# CONN_MAX_AGE says, instead of one new connection per request.
ASGI_REQUEST_THREADS = env_int("ASGI_REQUEST_THREADS", 4)
# The socket handlers' database work runs on its own pool of threads per process (one
# connection each); plan PostgreSQL's max_connections as processes × (ASGI_REQUEST_THREADS +
# SOCKETIO_DB_THREADS). Each socket may send SOCKETIO_EVENTS_PER_SECOND events (bursts of
# SOCKETIO_EVENT_BURST; more is a 429 ack) and follow SOCKETIO_STREAMS_PER_SOCKET streams.
SOCKETIO_DB_THREADS = env_int("SOCKETIO_DB_THREADS", 8)
SOCKETIO_EVENTS_PER_SECOND = env_int("SOCKETIO_EVENTS_PER_SECOND", 10)
SOCKETIO_EVENT_BURST = env_int("SOCKETIO_EVENT_BURST", 20)
SOCKETIO_STREAMS_PER_SOCKET = env_int("SOCKETIO_STREAMS_PER_SOCKET", 20)
if not 1 <= ASGI_REQUEST_THREADS <= 64:
    raise ImproperlyConfigured("ASGI_REQUEST_THREADS must be between 1 and 64.")
CHAT_MESSAGE_MAX_LENGTH = 500
# The hex HMAC-SHA256 key of Agora's Notification Center; unset refuses every webhook call.
AGORA_NCS_SECRET = env("AGORA_NCS_SECRET", "")
# Where Cloud Recording uploads files (the bucket's public or CDN URL); a recording's URL is
# this joined with the uploaded file name.
AGORA_RECORDING_BASE_URL = env("AGORA_RECORDING_BASE_URL", "").rstrip("/")

# --- Security (production) -----------------------------------------------------------------
if NUM_PROXIES > 0:
    # The proxy terminates TLS and says so; with no proxy the header is the client's own
    # word, and honouring it would let anyone pass for HTTPS (no SSL redirect, secure URLs).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = not (DEBUG or TESTING)
CSRF_COOKIE_SECURE = not (DEBUG or TESTING)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not (DEBUG or TESTING)
SECURE_HSTS_PRELOAD = not (DEBUG or TESTING)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Development and tests serve static files (admin, docs assets) straight from the finders;
# production serves the collected, hashed files.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
# A static URL missing from the manifest (collectstatic not run after a deploy) falls back to
# the plain name instead of raising in the middle of a response.
WHITENOISE_MANIFEST_STRICT = False

# --- Background jobs (contract section 13) -------------------------------------------------
# Celery reads these (config/celery.py). The broker is Redis: REDIS_URL unless
# CELERY_BROKER_URL names another (a separate database or instance keeps the queue away from
# a cache that evicts keys); CELERY_BROKER_URL= (empty) runs tasks in-process even with Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
# Without a broker (`make run`), and always under pytest, a task runs in the process that
# enqueues it, right after the commit: development and the tests need no worker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL or TESTING)
if not CELERY_BROKER_URL:
    if not CELERY_TASK_ALWAYS_EAGER:
        raise ImproperlyConfigured("CELERY_TASK_ALWAYS_EAGER=false needs CELERY_BROKER_URL.")
    # Eager tasks never reach a broker; naming the in-memory one keeps Celery from looking
    # for RabbitMQ on localhost (and warning that it does).
    CELERY_BROKER_URL = "memory://"
# Tests see a task's error; a development server logs it and answers the request it follows.
CELERY_TASK_EAGER_PROPAGATES = TESTING
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Nothing reads a task's return value: no result backend to run or fill.
CELERY_TASK_IGNORE_RESULT = True
# Every task is idempotent, so a message is acknowledged only when its task has finished, and
# a worker killed midway (deploy, out of memory) leaves it to be run again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per worker process: a long task holds no others back.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task that hangs is stopped: SoftTimeLimitExceeded at 4 minutes, killed at 5.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Redis hands an unacknowledged message to another worker after this long, so it must
# exceed the longest task (CELERY_TASK_TIME_LIMIT) and the longest retry wait
# (config.tasks.Task), or a task still running, or still waiting, would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING above, like the web processes.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery beat (exactly one process) starts these.
CELERY_BEAT_SCHEDULE = {
    "live-stream-housekeeping": {
        "task": "livestreams.tasks.housekeeping",
        "schedule": timedelta(minutes=1),
        # A run still queued when the next is due is dropped: the next does the same work.
        "options": {"expires": 55},
    },
    # Due account deletions, hourly (contract section 11), come here with their task:
    # "account-deletions": {"task": "users.tasks.<...>", "schedule": timedelta(hours=1)},
}

# --- Notifications and push (contract section 10) -----------------------------------------
# Every notification is pushed to the recipient's devices by PUSH_BACKEND (in a task): the
# console (the log) in development, an in-memory outbox under pytest, and the webhook backend
# when PUSH_WEBHOOK_URL names a push relay. The relay is POSTed
# {"tokens", "platform", "title", "body", "data"} (with `Authorization: Bearer
# <PUSH_WEBHOOK_TOKEN>` when set) and may answer {"invalidTokens": [...]}: those are dropped.
PUSH_WEBHOOK_URL = env("PUSH_WEBHOOK_URL", "")
PUSH_WEBHOOK_TOKEN = env("PUSH_WEBHOOK_TOKEN", "")
PUSH_WEBHOOK_TIMEOUT = env_int("PUSH_WEBHOOK_TIMEOUT", 10)
if PUSH_WEBHOOK_URL:
    validate_webhook_url("PUSH_WEBHOOK_URL", PUSH_WEBHOOK_URL, debug=DEBUG)
_WEBHOOK_PUSH_BACKEND = "users.notifications.push.WebhookPushBackend"
if TESTING:
    _default_push_backend = "users.notifications.push.LocMemPushBackend"
elif PUSH_WEBHOOK_URL:
    _default_push_backend = _WEBHOOK_PUSH_BACKEND
else:
    _default_push_backend = "users.notifications.push.ConsolePushBackend"
PUSH_BACKEND = env("PUSH_BACKEND", _default_push_backend)
if PUSH_BACKEND == _WEBHOOK_PUSH_BACKEND and not PUSH_WEBHOOK_URL and not TESTING:
    raise ImproperlyConfigured("PUSH_BACKEND is the webhook backend: set PUSH_WEBHOOK_URL.")
# How many recipients one fan-out task writes (a creator's followers going live): each batch
# is one task of a few queries, so 100,000 followers never run in one request or one long
# task.
NOTIFICATION_FAN_OUT_BATCH = env_int("NOTIFICATION_FAN_OUT_BATCH", 1000)
if not 1 <= NOTIFICATION_FAN_OUT_BATCH <= 10_000:
    raise ImproperlyConfigured("NOTIFICATION_FAN_OUT_BATCH must be between 1 and 10000.")
# The schema names these enums after their models (a bare "type" would collide).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "NotificationTypeEnum": "users.notifications.models.NotificationType",
        "NotificationCategoryEnum": "users.notifications.models.NotificationCategory",
        "DevicePlatformEnum": "users.notifications.models.DevicePlatform",
    }
)
