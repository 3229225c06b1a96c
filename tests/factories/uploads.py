"""Works as intake leaves them: the original stored through the app's storage (a small real
JPEG by default) and its size, dimensions and SHA-256 read from those bytes. Intake itself is
tested in tests/uploads (tests/uploads/works.py `upload_work` goes through it)."""

from __future__ import annotations

import hashlib
import io

import factory
from PIL import Image

from tests.uploads.images import jpeg_bytes, photo
from uploads import storage
from uploads.models import Work, WorkStatus

from .accounts import CreatorFactory

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


class WorkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Work
        skip_postgeneration_save = True

    class Params:
        seed = factory.Sequence(lambda n: n + 1)
        data = factory.LazyAttribute(lambda o: jpeg_bytes(photo(64, 48, seed=o.seed)))

    owner = factory.SubFactory(CreatorFactory)
    declared_by = factory.SelfAttribute("owner")
    title = factory.LazyAttribute(lambda o: f"Work {o.seed}")
    rights_holder = factory.LazyAttribute(lambda o: o.owner.email)
    ai_involvement = "none"
    media_type = "image/jpeg"
    original = factory.LazyAttribute(
        lambda o: storage.store(f"originals/test/{o.seed}.{EXTENSIONS[o.media_type]}", o.data)
    )
    byte_size = factory.LazyAttribute(lambda o: len(o.data))
    width = factory.LazyAttribute(lambda o: _size(o.data)[0])
    height = factory.LazyAttribute(lambda o: _size(o.data)[1])
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.data).hexdigest())
    status = WorkStatus.LISTED
