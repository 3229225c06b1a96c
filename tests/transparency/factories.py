"""Licensed works for the transparency tests: real images through intake, processing and
screening (so SHA-256, PDQ and the near-duplicate index are the real ones), a consented offer,
and license grants made by the licensing service a paid order uses."""

from __future__ import annotations

import io
import itertools
from datetime import datetime

from PIL import Image

from accounts.models import CreatorProfile
from licensing.grants import GrantItemSpec, license_grant_create
from licensing.models import Offer
from licensing.services import offer_create
from licensing.terms import PRESETS
from moderation.services.screening import work_screen
from tests.accounts.factories import CreatorFactory
from tests.marketplace.factories import CONTEXT
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.models import Work

_refs = itertools.count(1)


def creator(*, named: bool, name: str | None = None):
    user = CreatorFactory()
    CreatorProfile.objects.filter(user=user).update(
        is_named_publicly=named, **({"display_name": name} if name else {})
    )
    user.refresh_from_db()
    return user


def offer_on(work: Work, preset: str = "generative-commercial-3y") -> Offer:
    return offer_create(
        work=work,
        actor=work.owner,
        terms=PRESETS[preset].terms,
        preset=preset,
        price_amount=1234,
        currency="USD",
        consent=True,
        context=CONTEXT,
    )


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
    specs = []
    for work in works:
        offer = Offer.objects.filter(work=work, status="active").latest("id")
        specs.append(
            GrantItemSpec(
                work_id=work.id,
                offer_id=offer.id,
                creator_id=work.owner_id,
                work_title=work.title,
                terms=offer.terms.canonical(),
                terms_hash=offer.terms_hash,
                price_amount=offer.price_amount,
                currency=offer.currency,
                item_ref=f"test_item:{next(_refs)}",
            )
        )
    license_grant, _ = license_grant_create(
        organization=organization,
        source_reference=f"test:{next(_refs)}",
        items=specs,
        starts_at=starts_at,
    )
    return license_grant


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def resized(image: Image.Image, factor: float) -> Image.Image:
    width, height = image.size
    return image.resize((int(width * factor), int(height * factor)), Image.Resampling.LANCZOS)
