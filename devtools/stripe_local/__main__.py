"""python -m devtools.stripe_local [--port 12111] [--state var/stripe-local.json]
[--secret-key sk_test_assent_local] [--webhook URL --webhook-secret whsec_...]"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
import urllib.parse
import urllib.request

from .server import DEFAULT_SECRET_KEY, StripeLocal
from .store import Store


def main() -> None:
    parser = argparse.ArgumentParser(prog="stripe_local", description=__doc__)
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--state", help="JSON file that keeps the state across restarts")
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--webhook", help="deliver every event to this URL")
    parser.add_argument("--webhook-secret", help="signing secret for --webhook")
    parser.add_argument("--public-url", default="", help="base URL of the hosted pages")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s stripe-local %(message)s")

    server = StripeLocal(
        store=Store(args.state), secret_key=args.secret_key, public_url=args.public_url
    )
    port = server.serve(args.port)
    if args.webhook:
        if not args.webhook_secret:
            parser.error("--webhook needs --webhook-secret")
        body = f"url={urllib.parse.quote(args.webhook)}&secret={args.webhook_secret}".encode()
        urllib.request.urlopen(
            urllib.request.Request(
                f"http://127.0.0.1:{port}/_control/webhook_endpoints", data=body
            ),
            timeout=5,
        ).close()
    logging.info("listening on http://127.0.0.1:%s (key %s)", port, args.secret_key)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        time.sleep(0.2)
    server.shutdown()


if __name__ == "__main__":
    main()
