from django.apps import AppConfig
from django.db.models.signals import post_migrate


def site_from_settings(**kwargs) -> None:
    """django.contrib.sites starts as "example.com", and allauth's emails greet people from
    it ("Hello from example.com!"): name the site after us and SITE_URL at every migrate."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(
        id=settings.SITE_ID, defaults={"domain": domain, "name": "Assent"}
    )


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Assent site"

    def ready(self) -> None:
        # After the sites app has made its default row (it is installed before us).
        post_migrate.connect(site_from_settings, dispatch_uid="config.site_from_settings")
