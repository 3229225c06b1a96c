"""The catalog (being written)."""

urlpatterns: list = []
