# One image for every role: web (the default command), Celery worker and Celery beat; see
# docker-compose.yml. Build: docker build -t assent .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    WEB_CONCURRENCY=3

WORKDIR /app

RUN groupadd --system --gid 1000 assent \
    && useradd --system --uid 1000 --gid assent --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin assent

# Chromaprint's fpcalc fingerprints audio works (screening and verification); DejaVu Serif
# sets a text work's cover card (uploads/text/renditions.py falls back to Pillow's own font).
RUN apt-get update && apt-get install -y --no-install-recommends libchromaprint-tools \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so code changes do not reinstall them. requirements.lock is the
# `uv pip compile ... --extra dev` lock: it includes the dev tools too (pytest, playwright's
# Python package, moto, ruff). Harmless at runtime; a runtime-only lock could slim the image later.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .

# collectstatic under the production settings (whitenoise's manifest storage). Those settings
# refuse to load without their secrets, so this one step gets throwaway values: a random key made
# here and unreachable hosts. Nothing connects to them and none of it stays in the image.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build:build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    EMAIL_URL=smtp://build.invalid:25 \
    SITE_URL=https://build.invalid \
    python manage.py collectstatic --noinput \
    && chmod 755 docker/entrypoint.sh \
    && mkdir -p var \
    && chown assent:assent var

USER assent

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# Workers: WEB_CONCURRENCY (gunicorn reads it; default 3 above, about 2 x CPUs + 1 is the usual).
CMD ["gunicorn", "config.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--access-logfile", "-"]
