"""Production settings refuse insecure configuration, and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k7$Qz!pW2r#Lm9@xV4t&Yb8^Nc3*Hs6(Jd1)Fg5-Ua0=Ee+Ri_Oo~Tw",
    "ALLOWED_HOSTS": "assent.example",
    "DATABASE_URL": "postgres://assent:pw@db.internal:5432/assent",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example:587",
    "SITE_URL": "https://assent.example",
}


def _manage(*args, **env_changes):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in GOOD_ENV and not k.startswith("ASSENT_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(GOOD_ENV)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("SECRET_KEY", None, "SECRET_KEY must be set"),
        ("SECRET_KEY", "short", "SECRET_KEY must be a random string"),
        ("SECRET_KEY", "insecure-local-only-key-do-not-use-in-production", "SECRET_KEY must be"),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS must name"),
        ("DATABASE_URL", None, "DATABASE_URL must be set"),
        ("DATABASE_URL", "sqlite:///prod.sqlite3", "DATABASE_URL must point at PostgreSQL"),
        ("REDIS_URL", None, "REDIS_URL must be set"),
        ("EMAIL_URL", None, "EMAIL_URL must name a real SMTP server"),
    ],
)
def test_production_refuses_to_start_insecurely(variable, value, complaint):
    result = _manage("check", **{variable: value})
    assert result.returncode != 0
    assert complaint in result.stderr
