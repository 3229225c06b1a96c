"""Periodic account housekeeping."""

from celery import shared_task

from accounts.services.teams import invitations_purge_expired as purge


@shared_task(name="accounts.tasks.invitations_purge_expired", time_limit=120, soft_time_limit=110)
def invitations_purge_expired() -> int:
    return purge()
