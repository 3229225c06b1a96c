"""The creator's earnings CSV names each sale's work and its order once (issue 21: the
reference read `order:order:…` and no work title was in the file)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories import BuyerFactory, CreatorFactory

from .factories import listed_work
from .lifecycle import paid_order

pytestmark = pytest.mark.django_db


def test_the_earnings_csv_names_the_work_and_the_order_once(client):
    creator = CreatorFactory()
    work = listed_work(creator, title="Harbour at dawn", price=2500)
    order = paid_order(BuyerFactory(), [work], build=False)

    client.force_login(creator)
    response = client.get("/studio/earnings.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    (sale,) = [r for r in rows if r["what"] == "Sale"]
    assert sale["work"] == "Harbour at dawn"
    assert sale["reference"] == f"order:{order.uuid}"
    assert sale["buyer"] == order.organization.name
