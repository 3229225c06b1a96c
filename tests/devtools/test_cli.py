"""The server as bin/run starts it: a separate process on 127.0.0.1, state kept in a file, a
webhook endpoint registered from the command line."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import stripe

from devtools.stripe_local.server import DEFAULT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int, state: Path, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devtools.stripe_local",
            "--port",
            str(port),
            "--state",
            str(state),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_control/health", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("stripe_local did not start")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    assert process.wait(timeout=10) == 0


def test_cli_keeps_state_across_restarts_and_registers_its_webhook(tmp_path, webhook_sink):
    port, state = _free_port(), tmp_path / "stripe.json"
    process = _start(port, state, "--webhook", webhook_sink.url, "--webhook-secret", "whsec_cli")
    try:
        client = stripe.StripeClient(
            DEFAULT_SECRET_KEY, base_addresses={"api": f"http://127.0.0.1:{port}"}
        )
        account = client.v1.accounts.create(params={"type": "express", "email": "c@example.com"})
        endpoints = json.loads(state.read_text())["objects"]
        assert any(
            o["object"] == "webhook_endpoint" and o["secret"] == "whsec_cli"
            for o in endpoints.values()
        )
    finally:
        _stop(process)

    process = _start(port, state)
    try:
        again = client.v1.accounts.retrieve(account.id)
        assert again.email == "c@example.com"
    finally:
        _stop(process)
