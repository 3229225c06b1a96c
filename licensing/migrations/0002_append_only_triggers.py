"""On PostgreSQL the database itself refuses to change or delete a consent record, and to
change an offer's terms or price; Python-level guards alone could be bypassed by a raw query
or a future bug. SQLite (the embedded default) relies on the model guards."""

from django.db import migrations

POSTGRES_UP = r"""
CREATE OR REPLACE FUNCTION licensing_consent_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER licensing_consentrecord_append_only
    BEFORE UPDATE OR DELETE ON licensing_consentrecord
    FOR EACH ROW EXECUTE FUNCTION licensing_consent_is_append_only();

CREATE OR REPLACE FUNCTION licensing_offer_terms_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.uses IS DISTINCT FROM OLD.uses
       OR NEW.commercial IS DISTINCT FROM OLD.commercial
       OR NEW.term_months IS DISTINCT FROM OLD.term_months
       OR NEW.on_expiry IS DISTINCT FROM OLD.on_expiry
       OR NEW.attribution_required IS DISTINCT FROM OLD.attribution_required
       OR NEW.terms_hash IS DISTINCT FROM OLD.terms_hash
       OR NEW.price_amount IS DISTINCT FROM OLD.price_amount
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.work_id IS DISTINCT FROM OLD.work_id THEN
        RAISE EXCEPTION 'an offer''s terms and price cannot change; make a new offer'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER licensing_offer_terms_immutable
    BEFORE UPDATE ON licensing_offer
    FOR EACH ROW EXECUTE FUNCTION licensing_offer_terms_immutable();
"""

POSTGRES_DOWN = r"""
DROP TRIGGER IF EXISTS licensing_consentrecord_append_only ON licensing_consentrecord;
DROP FUNCTION IF EXISTS licensing_consent_is_append_only();
DROP TRIGGER IF EXISTS licensing_offer_terms_immutable ON licensing_offer;
DROP FUNCTION IF EXISTS licensing_offer_terms_immutable();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no placeholders: % is literal here

    return run


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]

    operations = [migrations.RunPython(_on_postgres(POSTGRES_UP), _on_postgres(POSTGRES_DOWN))]
