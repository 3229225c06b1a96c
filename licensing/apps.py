from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"

    def ready(self) -> None:
        from licensing.selectors.offers import live_licenses_for_work
        from uploads import registry

        def licensed_work_guard(work) -> str | None:
            if live_licenses_for_work(work=work):
                return "This work has running licenses; withdraw it from sale instead."
            return None

        registry.deletion_guards.append(licensed_work_guard)

        from licensing.views.offers import offers_panel, work_card_sale_lines

        registry.work_page_sections.append(offers_panel)
        if work_card_sale_lines not in registry.work_card_sections:
            registry.work_card_sections.append(work_card_sale_lines)

        from accounts import registry as accounts_registry
        from licensing.views.declarations import team_destruction_alert

        if team_destruction_alert not in accounts_registry.team_page_sections:
            # The team page says when a model must be attested destroyed, and by when.
            accounts_registry.team_page_sections.append(team_destruction_alert)
