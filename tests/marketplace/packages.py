"""Helpers for the package tests (test_packages.py, test_packages_media.py): an order paid as
the verified webhook pays it with its package built by the eager task, and the package as a
team has it once every file is downloaded."""

from __future__ import annotations

import io

import numpy as np
from django.core.files.storage import default_storage
from django.test import TestCase
from PIL import Image

from marketplace.models import Package
from marketplace.services.checkout import order_freeze
from marketplace.services.fulfilment import order_paid

from .factories import make_dataset


def paid(buyer, works, settings, *, shard_bytes=None):
    """An order paid (as the verified webhook does it), its package built by the eager task;
    `shard_bytes=1` puts one sample in each shard."""
    if shard_bytes:
        settings.PACKAGE_SHARD_TARGET_BYTES = shard_bytes
    order = order_freeze(dataset=make_dataset(buyer, works), user=buyer)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the build is queued on commit
        return order_paid(order_id=order.id)


def stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def local_copy(package: Package, tmp_path) -> dict[str, str]:
    """Every file of the package under `tmp_path` (text files under text/): name → path."""
    paths = {}
    for f in package.files.all():
        path = tmp_path / f.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stored(f.storage_key))
        paths[f.name] = str(path)
    return paths


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))
