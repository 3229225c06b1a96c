from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"

    def ready(self) -> None:
        from accounts import registry as accounts_registry
        from uploads.selectors.works import status_counts

        # The creator's studio counts their works by status.
        if status_counts not in accounts_registry.studio_work_counts:
            accounts_registry.studio_work_counts.append(status_counts)
