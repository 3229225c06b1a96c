"""The demo data has a collective to look at: Ada founded it, Kenji joined, both pooled works."""

from django.core.management import call_command

from accounts.models import User
from collectives.selectors.collectives import collective_by_slug
from marketplace.selectors.data_requests import matching_works, open_requests


def test_seed_demo_pools_works_in_a_collective(settings, media_root, db):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # again: still one collective
    collective = collective_by_slug("open-horizon-collective")
    assert collective is not None
    assert (collective.member_count, collective.work_count) == (2, 4)
    # Orbit Lab's open request: the demo creators see works of theirs that fit it.
    ada = User.objects.get(email="ada@demo.assent.local")
    (data_request,) = open_requests()
    assert matching_works(data_request=data_request, creator=ada).exists()
