"""The stack `bin/run` starts, started the same way for a test: `migrate`, `seed_demo`, then the
web server, a Celery worker on the filesystem broker and (when asked) the local Stripe server,
each a real process with its own log file, on one database (the SQLite file of the embedded
default, or a fresh PostgreSQL database) in a temporary var/ folder.

Nothing here is patched: the processes read config.settings.local as a newcomer's do."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CELERY = str(Path(sys.executable).with_name("celery"))
DEMO_PASSWORD = "assent-demo-2026"  # config/management/commands/seed_demo.py
WEBHOOK_SECRET = "whsec_assent_local_development"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), 1).close()
    except OSError:
        return False
    return True


class EmbeddedStack:
    """`with EmbeddedStack(tmp_path, engine="sqlite") as stack:` web, worker (and stripe).
    Keyword arguments are environment variables for every process (settings, as README's)."""

    def __init__(
        self, var_dir: Path, *, engine: str = "sqlite", stripe: bool = False, **settings: str
    ) -> None:
        self.var_dir = var_dir
        self.engine = engine
        self.with_stripe = stripe
        self.port = free_port()
        self.stripe_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stripe_url = f"http://127.0.0.1:{self.stripe_port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.database_name = ""
        self.env = {**self._environment(), **settings}

    # --- Life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> EmbeddedStack:
        try:
            if self.engine == "postgresql":
                self._create_database()
            self.manage("migrate", "--noinput", "-v0", timeout=300)
            # As bin/run: the demo sales are paid at the local Stripe's state file too.
            self.var_dir.mkdir(parents=True, exist_ok=True)
            state = str(self.var_dir / "stripe-local.json")
            self.manage("seed_demo", "--stripe-state", state, timeout=300)
            if self.with_stripe:
                self._start(
                    "stripe",
                    [
                        PYTHON,
                        "-m",
                        "devtools.stripe_local",
                        "--port",
                        str(self.stripe_port),
                        "--state",
                        str(self.var_dir / "stripe-local.json"),
                        "--public-url",
                        self.stripe_url,
                        "--webhook",
                        f"{self.url}/webhooks/stripe/",
                        "--webhook-secret",
                        WEBHOOK_SECRET,
                    ],
                )
            self._start(
                "web",
                [
                    PYTHON,
                    "manage.py",
                    "runserver",
                    f"127.0.0.1:{self.port}",
                    "--noreload",
                ],
            )
            self._start(
                "worker",
                [
                    CELERY,
                    "-A",
                    "config",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                    "--hostname",
                    f"worker-{self.port}@%h",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
            )
            self._wait_for_web()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.database_name:
            self._drop_database()

    # --- Running things -----------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def query(self, code: str):
        """Run ORM code in a fresh process on the stack's database; `code` sets `result`."""
        script = "import json\n" + code + "\nprint('RESULT=' + json.dumps(result, default=str))"
        out = self.manage("shell", "-c", script)
        return json.loads(out.rsplit("RESULT=", 1)[1])

    def log(self, name: str) -> str:
        return (self.var_dir / f"{name}.log").read_text(errors="replace")

    def logs(self) -> dict[str, str]:
        return {name: self.log(name) for name in self.processes}

    def is_alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    # --- Talking to it as a user ----------------------------------------------------------------

    def api_token(self, email: str) -> str:
        response = requests.post(
            f"{self.url}/api/v1/auth/token/",
            json={"email": email, "password": DEMO_PASSWORD, "name": "concurrency test"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return response.json()["key"]

    def signed_in_session(self, email: str) -> requests.Session:
        """A browser-like session signed in through the allauth form (CSRF and all)."""
        session = requests.Session()
        page = session.get(f"{self.url}/accounts/login/", timeout=30)
        response = session.post(
            f"{self.url}/accounts/login/",
            data={
                "login": email,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": csrf_token(page.text),
            },
            headers={"Referer": f"{self.url}/accounts/login/"},
            timeout=30,
        )
        assert response.ok and "/accounts/login/" not in response.url, response.text[:2000]
        return session

    # --- Internals ------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            # What the test process was given (bin/test's PostgreSQL and Redis) is not what
            # bin/run gives the stack it starts.
            if not key.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "DJANGO_", "STRIPE_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.local",
            ASSENT_VAR_DIR=str(self.var_dir),
            SITE_URL=self.url,
            PYTHONUNBUFFERED="1",
            STRIPE_API_BASE=self.stripe_url,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            # The test's own images are small; the local file cache keeps its throttles apart.
            LOG_LEVEL="INFO",
        )
        if self.engine == "postgresql":
            self.database_name = f"assent_embedded_{uuid.uuid4().hex[:12]}"
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{self.database_name}"
        return env

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.var_dir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def _wait_for_web(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in self.processes:
                if not self.is_alive(name):
                    raise AssertionError(f"{name} exited:\n{self.log(name)[-4000:]}")
            with suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=2).status_code < 500:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the web server did not answer:\n{self.log('web')[-4000:]}")

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database_name}"')

    def _drop_database(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
