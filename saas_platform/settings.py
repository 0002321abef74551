"""Settings for every environment; production overrides live in deploy/settings_production.py.

Everything that differs between machines comes from the environment (django-environ).
`DATABASE_URL` and `REDIS_URL` are required here: `make run`, `make test` and the
Procfile wrapper (scripts/services.py) start embedded PostgreSQL and Redis and set
them when the developer has not.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)

# The platform's own host: the public site lives here, workspaces at <subdomain>.<PLATFORM_DOMAIN>.
PLATFORM_DOMAIN = env.str("PLATFORM_DOMAIN", default="localhost")
# How links to the platform are built in e-mails and redirects (scheme and port of the public site).
PLATFORM_SCHEME = env.str("PLATFORM_SCHEME", default="http")
PLATFORM_PORT = env.str("PLATFORM_PORT", default="8000")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"])
# Django's CSRF check always accepts the request's own origin (scheme and Host). Nothing
# else is trusted: every workspace is a subdomain, so a wildcard here would let any
# workspace (an attacker's too) post into another one. The public site's hand-off into a
# new workspace is the one cross-origin POST; it checks its own origin (onboarding.views).
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# How many reverse proxies we run in front of gunicorn, each appending the address it saw
# to X-Forwarded-For. 0 (development, tests): the client is REMOTE_ADDR and the header is
# ignored. Behind one proxy (production): 1. Feeds allauth's rate limits, django-axes'
# lockouts and the signup limits, all through tenants.client_address (client_ip; its
# client_ip_for_limits counts an IPv6 client by its /64).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# ---------------------------------------------------------------- apps

# The public schema: what spans workspaces, plus auth for platform operators.
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "tenants.members",
    "tenants.backups",
    "billing",
    "onboarding",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_htmx",
    # Not "heroicons": its template tags come memoised from saas_platform (TEMPLATES'
    # "libraries" below); the package has nothing else an app would register.
    "django_countries",
    "csp",
    # Only for its static files: the API docs (Swagger UI) are served from here, no CDN.
    "ninja",
    "saas_platform",
]

# Each workspace schema: its own members, sessions and accounts (isolation by construction).
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "tenants.members",
    "tenants.api_keys",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "crm",
    "onboarding.importing",
    "onboarding.exporting",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Workspace"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New workspaces are cloned from this migrated, data-free schema (see tenants.provisioning).
TENANT_BASE_SCHEMA = "ws_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_LIMIT_SET_CALLS = True
# migrate_schemas skips the workspace schemas that have every migration (see the module).
GET_EXECUTOR_FUNCTION = "tenants.migration_executors.get_executor"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # Security headers first: WorkspaceMiddleware answers unknown and suspended hosts itself,
    # and those pages need HTTPS, nosniff, CSP and frame protection too.
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before the workspace lookup: stylesheets and the favicon load on every host,
    # including an unknown subdomain and a suspended workspace (their pages use them).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "saas_platform.middleware.WorkspaceMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "saas_platform.middleware.MemberPreferencesMiddleware",
    # After the member and language are known: refuses writes in a read-only workspace.
    "tenants.middleware.ReadOnlyWorkspaceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "saas_platform.toasts.HtmxToastsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "saas_platform.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "saas_platform.urls_public"
WSGI_APPLICATION = "saas_platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "saas_platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "saas_platform.context_processors.platform",
                "billing.context_processors.billing_banner",
            ],
            # `{% load heroicons %}` gets the same tags, each icon's markup built once per
            # process rather than on every use (see the module).
            "libraries": {"heroicons": "saas_platform.templatetags.cached_heroicons"},
        },
    },
]

# ---------------------------------------------------------------- data

DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# Persistent connections, as in production (deploy/settings_production.py): a new
# PostgreSQL connection per request costs a backend start and django-tenants' set-up,
# several milliseconds on every page of `make run`. Health checks drop a dead one.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the workspace schema, so workspaces never share a cache entry.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kartoteka"),
    }
}

# Uploaded files are stored under MEDIA_ROOT/<workspace schema>/.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".local" / "media")
MEDIA_URL = "/media/"
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
# One file on a client's timeline (crm.timeline_files): at most this many bytes.
TIMELINE_MAX_FILE_BYTES = env.int("TIMELINE_MAX_FILE_BYTES", default=25 * 1024 * 1024)
STATIC_ROOT = BASE_DIR / ".local" / "static"
STATIC_URL = "/static/"
# Workspace backups: encrypted archives in their own storage, never under MEDIA_ROOT or any
# web-served folder (tenants.backups). With BACKUP_S3_BUCKET set they go to S3-compatible
# storage instead (django-storages; BACKUP_S3_ENDPOINT_URL for MinIO, Yandex, Selectel...),
# as private objects: downloads still pass through the app's signed, per-admin links.
# BACKUP_ENCRYPTION_KEY is base64 of 32 random bytes.
BACKUP_ROOT = env.path("BACKUP_ROOT", default=BASE_DIR / ".local" / "backups")
BACKUP_STAGING_DIR = env.path("BACKUP_STAGING_DIR", default=BASE_DIR / ".local" / "tmp")
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY", default="")
BACKUP_RETENTION_DAYS = env.int("BACKUP_RETENTION_DAYS", default=90)
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    "backups": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BACKUP_ROOT)},
    },
}
BACKUP_S3_BUCKET = env.str("BACKUP_S3_BUCKET", default="")
if BACKUP_S3_BUCKET:
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BACKUP_S3_BUCKET,
            "endpoint_url": env.str("BACKUP_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("BACKUP_S3_REGION", default="") or None,
            "access_key": env.str("BACKUP_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("BACKUP_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("BACKUP_S3_PREFIX", default="backups"),
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = DEBUG
# Files served at the site root on every host (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "saas_platform" / "root_files"


# ---------------------------------------------------------------- accounts

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
# A path, not a URL name: it must resolve on the public host (operator console) too.
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "tenants.members.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Confirmation keys are random and stored in the workspace's schema. allauth's default
# HMAC key only signs the address's row id, which every workspace reuses, so a link from
# workspace A would confirm the address with the same id in workspace B.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
# Only allauth's login form (second factor, limits) logs a member in; the exceptions are
# listed in tests/security/test_login_paths.py.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kartoteka] "
# allauth's own limits (per workspace, since cache keys carry the schema), keyed on the
# client address from tenants.client_address (the account adapter's get_client_ip).
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kartoteka"
MFA_RECOVERY_CODE_COUNT = 10

# django-axes guards the operator console (Django admin) on the public site.
AXES_ONLY_ADMIN_SITE = True
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
# Per client address only: a lockout by user name would let anyone lock an operator out.
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_CLIENT_IP_CALLABLE = "tenants.client_address.client_ip_for_limits"

# Public signup creates a PostgreSQL schema each time: at most this many attempts an hour
# per client address and per owner e-mail (onboarding.actions).
SIGNUPS_PER_CLIENT_PER_HOUR = env.int("SIGNUPS_PER_CLIENT_PER_HOUR", default=10)
SIGNUPS_PER_EMAIL_PER_HOUR = env.int("SIGNUPS_PER_EMAIL_PER_HOUR", default=3)
# "Find my workspace" e-mails one client address may ask for an hour (3 per address, too).
WORKSPACE_REMINDERS_PER_CLIENT_PER_HOUR = env.int(
    "WORKSPACE_REMINDERS_PER_CLIENT_PER_HOUR", default=20
)
# Invitation e-mails a workspace may send an hour, unless billing's policy says otherwise
# (tenants.policy.WorkspacePolicy.invitations_per_hour).
INVITATIONS_PER_HOUR = env.int("INVITATIONS_PER_HOUR", default=20)

# ---------------------------------------------------------------- cookies and security

# Host-only cookies: a session of acme.example.com is never sent to globex.example.com.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
LANGUAGE_COOKIE_NAME = "kartoteka_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
X_FRAME_OPTIONS = "DENY"
# A stale form is explained on the product's own page, in the reader's language.
CSRF_FAILURE_VIEW = "saas_platform.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): everything from our own origin, nothing inline, so
# an injected tag can neither run nor send anything elsewhere. htmx's own indicator <style>
# is switched off (the htmx-config meta tag in base.html); its rules live in app.css.
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
    }
}

# ---------------------------------------------------------------- i18n

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("uk", _("Ukrainian")), ("en", _("English"))]
# How each language writes its own name, for the language switch ("UK" reads as Britain).
LANGUAGE_NATIVE_NAMES = {"uk": "Українська", "ru": "Русский", "en": "English"}
LOCALE_PATHS = [BASE_DIR / "locale"]
# Unambiguous dates in every language ("6 Dec 2026", "06.12.2026"), see the modules.
FORMAT_MODULE_PATH = ["saas_platform.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Moscow"
USE_TZ = True

# ---------------------------------------------------------------- import (onboarding.importing)

# Files people import: refused above these limits before being read in full.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=500)
# An XLSX is a zip: refused before parsing above these (zip bombs).
IMPORT_XLSX_MAX_ENTRIES = env.int("IMPORT_XLSX_MAX_ENTRIES", default=10_000)
IMPORT_XLSX_MAX_UNCOMPRESSED = env.int("IMPORT_XLSX_MAX_UNCOMPRESSED", default=2 * 1024**3)
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=200)

# ---------------------------------------------------------------- e-mail

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kartoteka <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people whose workspace is suspended (and every error page) can turn.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default=f"support@{PLATFORM_DOMAIN}")

# ---------------------------------------------------------------- Celery

# Celery spells a unix-socket Redis differently (redis+socket://); scripts/services.py sets both.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "saas_platform.beat:WorkspaceBeatScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".local" / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "expire-backups": {
        "task": "tenants.backups.tasks.expire_backups_task",
        "schedule": 60 * 60 * 24,
        "options": {"tenant_schemas": ["public"]},
    },
    # No "tenant_schemas": sent once per workspace (tenant-schemas-celery's convention).
    "clear-expired-sessions": {
        "task": "tenants.members.tasks.clear_expired_sessions",
        "schedule": 60 * 60 * 24,
    },
    # Export files past EXPORT_RETENTION_DAYS, in every workspace (the audit rows stay).
    "remove-expired-export-files": {
        "task": "exporting.remove_expired_files",
        "schedule": 60 * 60 * 24,
    },
    # Public schema: trial reminders and ends, grace ends (each idempotent).
    "billing-clock": {
        "task": "billing.run_billing_clock",
        "schedule": 60 * 10,
        "tenant_schemas": ["public"],
    },
    # CRM: the due-task fan-out reads a Redis hint and sends the sweep only to workspaces
    # with something due; the hourly entries go to every workspace (safety net, reminders).
    "crm-due-fan-out": {
        "task": "crm.fan_out_due_tasks",
        "schedule": 60,
        "tenant_schemas": ["public"],
    },
    "crm-due-sweep-all": {
        "task": "crm.sweep_due_tasks",
        "schedule": crontab(minute=17),
    },
    "crm-date-reminders": {
        "task": "crm.run_date_reminders",
        "schedule": crontab(minute=7),
    },
    # Per workspace: imports whose worker went away continue; old uploads are deleted.
    "resume-stale-imports": {
        "task": "importing.resume_stale_imports",
        "schedule": 60 * 5,
    },
    "delete-expired-import-files": {
        "task": "importing.delete_expired_import_files",
        "schedule": 60 * 60 * 24,
    },
    # Public schema: scheduled backups due in their period (one per period, idempotent).
    "billing-scheduled-backups": {
        "task": "billing.run_scheduled_backups",
        "schedule": 60 * 15,
        "tenant_schemas": ["public"],
    },
    "billing-reconcile": {
        "task": "billing.reconcile_subscriptions",
        "schedule": crontab(hour=3, minute=30),
        "tenant_schemas": ["public"],
    },
}

# ---------------------------------------------------------------- export

# Exports of at most this many rows are made in the request and downloaded at once;
# larger ones run in the background (onboarding.exporting).
EXPORT_DIRECT_MAX_ROWS = env.int("EXPORT_DIRECT_MAX_ROWS", default=5_000)
# Days an export's file is kept before the daily beat job removes it.
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
# How long a download link on the Exports page works (at most 24 hours).
EXPORT_DOWNLOAD_LINK_SECONDS = env.int("EXPORT_DOWNLOAD_LINK_SECONDS", default=60 * 60)

# ---------------------------------------------------------------- billing

# What tenants asks about seats and the trial (billing answers; tenants never imports it).
WORKSPACE_POLICY = "billing.policy.BillingWorkspacePolicy"
# Where the read-only notice sends admins (a workspace URL name).
READ_ONLY_SUBSCRIBE_URL_NAME = "billing"
# Stripe: with no secret key, `make run` starts the project's Stripe test double and
# points STRIPE_API_BASE at it (scripts/run.py). See README, "Billing and Stripe".
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# Signatures older than this many seconds are refused (Stripe's own default).
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
# Days a past-due workspace keeps full use before it becomes read-only.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)

# ---------------------------------------------------------------- observability

SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"workspace": {"()": "saas_platform.observability.WorkspaceLogFilter"}},
    "formatters": {
        "structured": {
            "format": "%(asctime)s %(levelname)s workspace=%(workspace)s %(name)s %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["workspace"],
            "formatter": "structured",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

from saas_platform.observability import init_sentry  # noqa: E402

init_sentry(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

# User.email is unique case-insensitively (a functional unique constraint), which
# Django's check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATION_PROCESSES", default=2)
