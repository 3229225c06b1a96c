"""Datasets: a team states its intended use, adds works by hand or by a catalog filter, and
gets one compatible offer per work (the cheapest). Works that stop being sellable are reported
and dropped or re-priced on the dataset's notices, never silently. A draft can be renamed, and
a dataset deleted until it has an order."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from common.money import is_supported, normalise_currency, unsupported_currency
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX, canonical_choice
from licensing.selectors.offers import cheapest_compatible_offers, compatible_offers
from licensing.terms import IntendedUse, TermsError, Use
from marketplace import registry
from marketplace.models import Dataset, DatasetItem, DatasetStatus, OrderStatus
from marketplace.selectors.catalog import catalog_query_from_params, catalog_works


@dataclass(frozen=True)
class ItemChange:
    """One thing that changed in a dataset on its own: shown to the team."""

    work_id: int
    title: str
    change: str  # "dropped" | "repriced"
    reason: str
    old_amount: int | None = None
    new_amount: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def intended_use_parse(*, uses, commercial, months_needed, can_destroy_models=True) -> IntendedUse:
    """An IntendedUse from user input, or an ApplicationError naming the field."""
    if isinstance(uses, str):
        uses = [u for u in uses.split(",") if u]
    # "AI-Train-Generative" means the use; an unknown one stays as typed for IntendedUse to name.
    uses = [canonical_choice(u, Use) or u for u in uses or ()]
    try:
        months = int(months_needed) if not isinstance(months_needed, bool) else None
    except (TypeError, ValueError):
        months = None
    if months is None:
        raise ApplicationError(
            "Months needed is a whole number.",
            fields={"months_needed": ["A whole number of months, 1 to 120."]},
        )
    try:
        return IntendedUse(
            uses=frozenset(uses or ()),
            commercial=_as_bool(commercial, "commercial"),
            months_needed=months,
            can_destroy_models=_as_bool(can_destroy_models, "can_destroy_models"),
        )
    except TermsError as exc:
        field = {"use": "uses", "term_months": "months_needed"}.get(exc.field, exc.field)
        raise ApplicationError(str(exc), fields={field: [str(exc)]}) from exc


def _as_bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.lower() in {"false", "0", "no", "off", ""}:
        return False
    raise ApplicationError(f"{field} is true or false.", fields={field: ["true or false"]})


def _currency(code: str) -> str:
    currency = normalise_currency(code or "USD")
    if not is_supported(currency):
        message = unsupported_currency(currency)
        raise ApplicationError(message, fields={"currency": [message]})
    return currency


def dataset_create(
    *,
    organization,
    user,
    name: str,
    intended: IntendedUse,
    currency: str = "USD",
    work_ids: list[int] | None = None,
    filters: dict | None = None,
) -> tuple[Dataset, list[dict]]:
    """A new draft dataset, with works added by id and/or by a catalog filter. Returns the
    dataset and the works that could not be added, with why."""
    today = timezone.localdate()  # "Dataset of 7 Dec 2026", as dates read everywhere else
    name = (name or "").strip()[:120] or f"Dataset of {today.day} {today:%b %Y}"
    with transaction.atomic():
        dataset = Dataset.objects.create(
            organization=organization,
            created_by=user,
            name=name,
            uses=sorted(str(u) for u in intended.uses),
            commercial=intended.commercial,
            months_needed=intended.months_needed,
            can_destroy_models=intended.can_destroy_models,
            currency=_currency(currency),
        )
        skipped = dataset_works_add(dataset=dataset, work_ids=work_ids, filters=filters)
    return dataset, skipped


def _require_draft(dataset: Dataset) -> None:
    if dataset.status != DatasetStatus.DRAFT:
        raise ApplicationError(
            "This dataset is checked out; it cannot change now.",
            code="dataset_locked",
            status=409,
        )


def _ids(work_ids) -> list[int]:
    try:
        ids = sorted({int(w) for w in work_ids or ()})
    except (TypeError, ValueError) as exc:
        raise ApplicationError(
            "work_ids is a list of work ids.", fields={"work_ids": ["Whole numbers."]}
        ) from exc
    if ids and (ids[0] < 1 or ids[-1] > BIGINT_MAX):
        raise ApplicationError(
            "work_ids is a list of work ids.",
            fields={"work_ids": [f"Work ids are 1 to {BIGINT_MAX}."]},
        )
    return ids


def dataset_works_add(
    *, dataset: Dataset, work_ids: list[int] | None = None, filters: dict | None = None
) -> list[dict]:
    """Add works (by id, or everything a catalog filter matches) with the cheapest offer that
    covers the dataset's use. Returns those not added and why."""
    ids = _ids(work_ids)
    if filters:
        ids = sorted(set(ids) | set(_matching_work_ids(dataset, filters)))
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(id=dataset.id)
        _require_draft(dataset)
        present = set(dataset.items.values_list("work_id", flat=True))
        wanted = [w for w in ids if w not in present]
        room = settings.DATASET_MAX_ITEMS - len(present)
        if len(wanted) > room:
            raise ApplicationError(
                f"A dataset holds at most {settings.DATASET_MAX_ITEMS:,} works; this would make "
                f"{len(present) + len(wanted):,}. Narrow the filter or split the dataset.",
                code="dataset_too_large",
            )
        best = cheapest_compatible_offers(
            work_ids=wanted,
            intended=dataset.intended_use,
            currency=dataset.currency,
            organization_id=dataset.organization_id,
        )
        added = DatasetItem.objects.bulk_create(
            DatasetItem(
                dataset=dataset, work_id=w, offer=best[w], quoted_amount=best[w].price_amount
            )
            for w in wanted
            if w in best
        )
        registry.dataset_quoted(dataset=dataset, items=added)
        if filters:
            dataset.filters = filters
        dataset.save(update_fields=["filters", "updated_at"])
    return [
        {"work_id": w, "reason": "No offer on sale covers this dataset's use."}
        for w in wanted
        if w not in best
    ]


def _matching_work_ids(dataset: Dataset, filters: dict) -> list[int]:
    """Everything the catalog shows for this filter, judged against the dataset's own use and
    currency (the filter cannot widen what the dataset is licensed for)."""

    own = {"use", "commercial", "term_months", "can_destroy_models", "currency", "sort"}
    params = {k: v for k, v in filters.items() if k not in own}
    params.update(
        {
            "use": ",".join(dataset.uses),
            "commercial": "true" if dataset.commercial else "false",
            "term_months": str(dataset.months_needed),
            "can_destroy_models": "true" if dataset.can_destroy_models else "false",
            "currency": dataset.currency,
        }
    )
    query = catalog_query_from_params(params)
    limit = settings.DATASET_MAX_ITEMS + 1
    # Unordered: a price or relevance sort would rank every match only to take the ids.
    return list(catalog_works(query).order_by().values_list("id", flat=True)[:limit])


def dataset_works_remove(*, dataset: Dataset, work_ids: list[int]) -> int:
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(id=dataset.id)
        _require_draft(dataset)
        removed, _ = dataset.items.filter(work_id__in=_ids(work_ids)).delete()
        dataset.save(update_fields=["updated_at"])
    return removed


def dataset_refresh(*, dataset: Dataset) -> list[ItemChange]:
    """Check every item against what is on sale now: an item whose offer stopped being sellable
    (consent withdrawn, work delisted, price changed) is re-priced to the cheapest offer that
    still covers the use, or dropped. The changes are added to the dataset's notices and
    returned. Call inside a transaction holding the dataset's row lock."""
    items = list(dataset.items.select_related("work", "offer"))
    best = cheapest_compatible_offers(
        work_ids=[i.work_id for i in items],
        intended=dataset.intended_use,
        currency=dataset.currency,
        organization_id=dataset.organization_id,
    )
    # The items' own offers that may still be sold to this team for this use: an offer can be
    # active and listed yet off sale to the team (a collective's floor or strike).
    still_on_sale = set(
        compatible_offers(
            intended=dataset.intended_use,
            currency=dataset.currency,
            organization_id=dataset.organization_id,
        )
        .filter(id__in=[i.offer_id for i in items])
        .values_list("id", flat=True)
    )
    changes: list[ItemChange] = []
    for item in items:
        current = best.get(item.work_id)
        if current is not None and current.id == item.offer_id:
            continue
        if current is not None and item.offer_id in still_on_sale:
            continue  # still on sale; a cheaper offer appearing does not change the quote
        if current is None:
            changes.append(
                ItemChange(
                    item.work_id, item.work.title, "dropped", _why_gone(item), item.quoted_amount
                )
            )
            item.delete()
            continue
        changes.append(
            ItemChange(
                item.work_id,
                item.work.title,
                "repriced",
                _why_gone(item),
                item.quoted_amount,
                current.price_amount,
            )
        )
        item.offer, item.quoted_amount = current, current.price_amount
        item.save(update_fields=["offer", "quoted_amount"])
    if changes:
        dataset.notices = [*dataset.notices, *(c.as_dict() for c in changes)][-200:]
        dataset.save(update_fields=["notices", "updated_at"])
    return changes


def _why_gone(item: DatasetItem) -> str:
    if item.work.status != "listed":
        return "The work is no longer listed."
    if item.offer.status == "withdrawn":
        return "The creator withdrew consent for the offer."
    if item.offer.status == "retired":
        return "The creator changed the price or terms."
    # Active and listed, yet not sellable to this team: a rule of the creators' collective.
    return "The creators' collective no longer sells this work to your team for this use."


def dataset_notices_clear(*, dataset: Dataset) -> None:
    Dataset.objects.filter(id=dataset.id).update(notices=[])


NAME_MAX_LENGTH = Dataset._meta.get_field("name").max_length


def dataset_name_clean(name) -> str:
    """A dataset's name as given, on one line with single spaces; refused (`invalid_name`)
    when empty, too long, or holding control characters (a NUL cannot even be stored)."""
    text = " ".join(str(name or "").split())
    problem = None
    if not text:
        problem = "Give the dataset a name."
    elif len(text) > NAME_MAX_LENGTH:
        problem = f"A name has at most {NAME_MAX_LENGTH} characters; this one has {len(text)}."
    elif any(unicodedata.category(char) in {"Cc", "Cf", "Cs"} for char in text):
        problem = "A name cannot hold control characters."
    if problem:
        raise ApplicationError(problem, code="invalid_name", fields={"name": [problem]})
    return text


def dataset_rename(*, dataset: Dataset, name: str) -> Dataset:
    """Rename a draft (a dataset checked out or bought keeps the name its order was placed
    under: the receipt and the license list show it)."""
    name = dataset_name_clean(name)
    with transaction.atomic():
        dataset = (
            Dataset.objects.select_for_update().select_related("organization").get(id=dataset.id)
        )
        _require_draft(dataset)
        dataset.name = name
        dataset.save(update_fields=["name", "updated_at"])
    return dataset


def dataset_delete_refusal(*, dataset: Dataset) -> ApplicationError | None:
    """Why this dataset cannot be deleted, or None. Any order keeps it: a paid one is the
    record of what the team licensed, an open one may still be paid, and so may one whose
    checkout expired or failed (a late payment on it still grants the license)."""
    order = dataset.orders.order_by("-created_at", "-id").first()
    if order is None:
        return None
    if order.is_paid:
        why = f"it was bought (order {order.number}) and stays as the record of that license"
    elif order.status == OrderStatus.AWAITING_PAYMENT:
        why = f"its checkout (order {order.number}) is awaiting payment"
    else:
        why = (
            f"it was checked out before (order {order.number}, {order.get_status_display().lower()}"
            "), and a payment that arrives late on that checkout still grants its license"
        )
    return ApplicationError(
        f"“{dataset.name}” cannot be deleted: {why}.",
        code="dataset_has_orders",
        status=409,
        extra={"order": str(order.uuid)},
    )


def dataset_delete(*, dataset: Dataset) -> None:
    """Delete a dataset the team no longer wants, with its items; refused (409
    `dataset_has_orders`) once it has an order."""
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(id=dataset.id)
        refusal = dataset_delete_refusal(dataset=dataset)
        if refusal is not None:
            raise refusal
        try:
            dataset.delete()
        except ProtectedError as exc:  # a record elsewhere that must keep pointing at it
            raise ApplicationError(
                f"“{dataset.name}” cannot be deleted: other records refer to it.",
                code="dataset_in_use",
                status=409,
            ) from exc
