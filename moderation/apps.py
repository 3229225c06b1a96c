from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        from licensing import registry as licensing_registry
        from moderation.lifecycle import team_overdue_case_open
        from moderation.services.bans import ban_upload_guard
        from moderation.tasks import queue_screening
        from moderation.views.cases import work_case_section
        from moderation.views.claims import claim_panel
        from uploads import registry

        def register(hooks: list, hook) -> None:
            if hook not in hooks:  # ready() may run twice (tests, autoreload)
                hooks.append(hook)

        # Every processed upload is screened before it can be listed.
        register(registry.after_processing, queue_screening)
        # A banned account is refused at the door.
        register(registry.upload_guards, ban_upload_guard)
        # The work page shows the creator why it is held and lets them answer once.
        register(registry.work_page_sections, work_case_section)
        # ... and, under a rights claim, lets the uploader answer the claim once.
        register(registry.work_page_sections, claim_panel)
        # A team overdue on destroying its models gets one open staff case.
        register(licensing_registry.team_overdue, team_overdue_case_open)
