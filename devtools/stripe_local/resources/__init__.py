"""Each module registers the routes of one part of the API on a server."""

from __future__ import annotations

from importlib import import_module

MODULES = [
    "events",
    "control",
    "checkout",
    "payments",
    "connect",
    "express",
    "balance_transactions",
]


def register_all(server) -> None:
    for name in MODULES:
        try:
            module = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # a part not written yet
            raise
        module.register(server)
