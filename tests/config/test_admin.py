"""The admin reads as English: its model names are plural where they should be (issue 21:
"Upload batchs", "Ledger entrys", "Api tokens")."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_index_names_every_model_in_good_plural(client, staff_with_totp):
    staff_with_totp.is_superuser = True
    staff_with_totp.save(update_fields=["is_superuser"])
    client.force_login(staff_with_totp)
    html = client.get("/admin/").content.decode()
    for name in ["Upload batches", "Ledger entries", "API tokens"]:
        assert name in html, name
    for wrong in ["batchs", "entrys", "Api tokens"]:
        assert wrong not in html, wrong
