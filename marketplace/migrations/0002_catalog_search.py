"""Indexes and statistics the catalog reads by, on PostgreSQL: full-text search and tag
containment over listed works, newest-first and largest-first orderings, an active-offer index
that answers "does this work have a fitting offer, and at what price" from the index alone, and
statistics on the intended-use test so the planner knows how many offers pass it. They live here, not
on the models of uploads and licensing, because only the catalog needs them; SQLite (the
embedded default) scans its few rows without them.

The search expression must stay identical to marketplace.selectors.catalog.search_document(),
or PostgreSQL will not use the index (tests/marketplace/test_catalog.py checks the plan)."""

from django.db import migrations

INDEXES = {
    "marketplace_catalog_work_search": """
        ON uploads_work USING gin (to_tsvector('english'::regconfig,
            COALESCE(title, '') || ' ' || COALESCE(description, '') || ' '
            || COALESCE((tags)::text, '')))
        WHERE status = 'listed'""",
    "marketplace_catalog_work_tags": """
        ON uploads_work USING gin (tags jsonb_path_ops) WHERE status = 'listed'""",
    "marketplace_catalog_work_newest": """
        ON uploads_work (created_at DESC, id DESC) WHERE status = 'listed'""",
    "marketplace_catalog_work_largest": """
        ON uploads_work ((width * height) DESC, created_at DESC, id DESC)
        WHERE status = 'listed'""",
    # Walking offers in price order (a large result sorted by price, see catalog_page).
    "marketplace_catalog_offer_price": """
        ON licensing_offer (currency, price_amount, id DESC)
        INCLUDE (work_id, uses_mask, commercial, term_months, on_expiry)
        WHERE status = 'active'""",
    "marketplace_catalog_offer_active": """
        ON licensing_offer (work_id, currency, price_amount)
        INCLUDE (uses_mask, commercial, term_months, on_expiry, created_at)
        WHERE status = 'active'""",
}


# "Does the offer permit every intended use" is `(uses_mask & wanted) = wanted`. PostgreSQL
# knows nothing of such an expression and guesses that 0.5% of offers pass, so it plans for a
# handful of rows when there are tens of thousands. Statistics on the expression, one per
# possible `wanted` (five uses: 1 to 31), give it the real share after each ANALYZE.
USE_MASKS = range(1, 32)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")
    for mask in USE_MASKS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS marketplace_catalog_offer_uses_{mask} "
            f"ON ((uses_mask & {mask})) FROM licensing_offer"
        )
    schema_editor.execute("ANALYZE licensing_offer")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for mask in USE_MASKS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS marketplace_catalog_offer_uses_{mask}")


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0001_initial"),
        ("uploads", "0001_initial"),
        ("licensing", "0003_offer_uses_mask_licensegrant_licensegrantitem"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
