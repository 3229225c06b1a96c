"""Test settings: the real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set
(bin/test and CI set them), SQLite otherwise. Tasks run eagerly unless a test starts a worker."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-that-is-long-enough-for-hmac-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
ALLOWED_HOSTS = ["*"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {  # noqa: F405
    "anon": "1000/minute",
    "user": "5000/minute",
    "token_create": "1000/minute",
    "claims": "1000/minute",
    "verify": "1000/minute",
}
