from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    """Public pages anyone may read: each license's transparency page and verification of an
    image or hash against the works licensed on Assent."""

    name = "transparency"
