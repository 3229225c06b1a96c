"""A data request's checkout: the accepted works still to buy go into a dataset of the request
at the accepted prices, and that dataset goes through the usual Stripe Checkout, so the
webhook, grant, ledger and package are those of any purchase."""

from __future__ import annotations

from django.db import transaction

from config.errors import ApplicationError
from marketplace.models import (
    DataRequest,
    DataRequestResponse,
    DataRequestResponseStatus,
    DataRequestStatus,
    Dataset,
    DatasetItem,
    DatasetStatus,
    Order,
)
from marketplace.selectors.data_requests import response_stage
from marketplace.services.checkout import order_checkout_start
from marketplace.services.data_request_responses import resting_offer
from marketplace.services.data_requests import locked_request

Status = DataRequestResponseStatus


# --- checkout ----------------------------------------------------------------------------------


def data_request_checkout_start(
    *, data_request: DataRequest, user, destruction_acknowledged: bool
) -> Order:
    """Check out the accepted works not yet bought: they are put in a dataset of the request
    (priced at the request's prices) and that dataset goes through the usual checkout, whose
    answers (restriction, destruction duty, Stripe) are the same. Asking again while a checkout
    is open returns it. Works no longer on sale are refused by name (`works_unavailable`)."""
    open_dataset = _dataset_in_checkout(data_request)
    if open_dataset is None:
        open_dataset = _checkout_dataset_sync(data_request=data_request, user=user)
    return order_checkout_start(
        dataset=open_dataset, user=user, destruction_acknowledged=destruction_acknowledged
    )


def _dataset_in_checkout(data_request: DataRequest) -> Dataset | None:
    ids = data_request.responses.filter(
        status=Status.ACCEPTED, dataset__status=DatasetStatus.CHECKING_OUT
    ).values_list("dataset_id", flat=True)
    return Dataset.objects.filter(id__in=ids).first()


def _checkout_dataset_sync(*, data_request: DataRequest, user) -> Dataset:
    """The request's draft dataset holding exactly the accepted works still to buy, each on
    the offer it rests on now, at its accepted price."""
    with transaction.atomic():
        locked = locked_request(data_request)
        if locked.status == DataRequestStatus.CANCELLED:
            raise ApplicationError(
                "This request was cancelled.", code="request_cancelled", status=409
            )
        pending = [
            r
            # Only the responses' rows: PostgreSQL cannot lock the nullable dataset join.
            for r in locked.responses.select_for_update(of=("self",))
            .filter(status=Status.ACCEPTED)
            .select_related("work", "dataset")
            if response_stage(r) == Status.ACCEPTED
        ]
        if not pending:
            raise ApplicationError(
                "Accept some works first: nothing accepted is waiting to be bought.",
                code="nothing_to_check_out",
                status=409,
            )
        offers = {r.id: resting_offer(locked, r) for r in pending}
        gone = [r for r in pending if offers[r.id] is None]
        if gone:
            raise ApplicationError(
                f"{len(gone)} accepted work{'s are' if len(gone) != 1 else ' is'} no longer on "
                "sale on the terms offered: "
                + ", ".join(f"“{r.work.title}”" for r in gone)
                + ". Decline them to check out the rest.",
                code="works_unavailable",
                status=409,
                extra={"works": [{"response": str(r.uuid), "work_id": r.work_id} for r in gone]},
            )
        dataset = next((r.dataset for r in pending if r.dataset is not None), None)
        if dataset is None:
            dataset = _request_dataset(locked, user)
        dataset = Dataset.objects.select_for_update().get(id=dataset.id)
        dataset.items.all().delete()
        DatasetItem.objects.bulk_create(
            DatasetItem(
                dataset=dataset, work=r.work, offer=offers[r.id], quoted_amount=r.price_amount
            )
            for r in pending
        )
        DataRequestResponse.objects.filter(id__in=[r.id for r in pending]).update(dataset=dataset)
        dataset.save(update_fields=["updated_at"])
    return dataset


def _request_dataset(data_request: DataRequest, user) -> Dataset:
    return Dataset.objects.create(
        organization=data_request.organization,
        created_by=user,
        name=f"Request: {data_request.title}"[:120],
        uses=data_request.uses,
        commercial=data_request.commercial,
        months_needed=data_request.months_needed,
        can_destroy_models=data_request.can_destroy_models,
        currency=data_request.currency,
    )
