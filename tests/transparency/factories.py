"""Licensed works for the transparency tests: real images through intake, processing and
screening (so SHA-256, PDQ and the near-duplicate index are the real ones), a consented offer,
and license grants made by the licensing service a paid order uses."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image

from accounts.models import CreatorProfile
from licensing.models import Offer
from moderation.services.screening import work_screen
from tests.factories import CreatorFactory, LicenseGrantFactory, OfferFactory
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.models import Work


def creator(*, named: bool, name: str | None = None):
    user = CreatorFactory()
    CreatorProfile.objects.filter(user=user).update(
        is_named_publicly=named, **({"display_name": name} if name else {})
    )
    user.refresh_from_db()
    return user


def offer_on(work: Work, preset: str = "generative-commercial-3y") -> Offer:
    return OfferFactory(work=work, preset=preset, price_amount=1234)


def picture(seed: int) -> Image.Image:
    return photo(seed=seed)


def uploaded_work(
    owner,
    seed: int,
    *,
    title: str,
    screen: bool = True,
    offer: bool = True,
    preset: str = "generative-commercial-3y",
) -> Work:
    """Uploaded, processed and (by default) screened, which lists a clean work."""
    work = upload_work(owner, jpeg_bytes(picture(seed)), title=title)
    if screen:
        work_screen(work_id=work.id)
        work.refresh_from_db()
    if offer:
        offer_on(work, preset)
    return work


def grant(organization, works, *, starts_at: datetime | None = None):
    """A license grant on each work's active offer, as a paid order makes it."""
    return LicenseGrantFactory(organization=organization, works=works, starts_at=starts_at)


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def resized(image: Image.Image, factor: float) -> Image.Image:
    width, height = image.size
    return image.resize((int(width * factor), int(height * factor)), Image.Resampling.LANCZOS)
