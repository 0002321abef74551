"""Settings for the pytest suite: real PostgreSQL and Redis, fast hashing, local mail."""

from saas_platform.settings import *  # noqa: F403
from saas_platform.settings import CACHES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Each xdist worker gets its own cache prefix, so parallel tests never share keys.
import os  # noqa: E402

CACHES["default"]["KEY_PREFIX"] = f"kartoteka-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
MEDIA_ROOT = BASE_DIR / ".local" / "test-media" / os.environ.get("PYTEST_XDIST_WORKER", "main")  # noqa: F405
ACCOUNT_RATE_LIMITS = {}
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Signup limits live in Redis and outlive a test's transaction; tests that check them set
# low limits and their own client addresses.
SIGNUPS_PER_CLIENT_PER_HOUR = 100_000
SIGNUPS_PER_EMAIL_PER_HOUR = 100_000
WORKSPACE_REMINDERS_PER_CLIENT_PER_HOUR = 100_000

# A connection per request, as the suite always ran: live-server threads must not keep
# connections open past a test (the test database is dropped at the end).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
