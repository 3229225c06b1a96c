"""Docker HEALTHCHECK for the web role: GET /healthz on the local gunicorn, exit 0 only on 200.

Uses the standard library (the slim image has no curl). The Host header is the first usable
entry of ALLOWED_HOSTS, so the probe passes Django's host validation whatever the site's
domain is; /healthz is exempt from the HTTPS redirect in production settings.
"""

import os
import sys
import urllib.error
import urllib.request


def probe_host() -> str:
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip().lstrip(".")
        if entry and "*" not in entry:
            return entry
    return "localhost"


def main() -> int:
    request = urllib.request.Request(
        "http://127.0.0.1:8000/healthz", headers={"Host": probe_host()}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"healthz answered {exc.code}: {exc.read()[:500]!r}", file=sys.stderr)
    except OSError as exc:
        print(f"healthz unreachable: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
