"""The ledger's invariants, held by PostgreSQL itself (a bug or a raw query cannot break them):

- every journal transaction's entries sum to zero per currency, checked at commit by a
  deferred constraint trigger, so a transaction's entries can be inserted one by one;
- entries and transactions are append-only: UPDATE and DELETE are refused.

SQLite (the embedded default) relies on the checks in payouts/services/ledger.py and the model guards."""

from django.db import migrations

POSTGRES_UP = r"""
CREATE OR REPLACE FUNCTION payouts_ledger_transaction_balances() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT currency, SUM(amount) AS total INTO unbalanced
      FROM payouts_ledgerentry
     WHERE transaction_id = NEW.transaction_id
     GROUP BY currency
    HAVING SUM(amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal transaction % does not balance in % (sum %)',
            NEW.transaction_id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payouts_ledgerentry_balanced
    AFTER INSERT ON payouts_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payouts_ledger_transaction_balances();

CREATE OR REPLACE FUNCTION payouts_ledger_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON payouts_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payouts_ledger_is_append_only();

CREATE TRIGGER payouts_journaltransaction_append_only
    BEFORE UPDATE OR DELETE ON payouts_journaltransaction
    FOR EACH ROW EXECUTE FUNCTION payouts_ledger_is_append_only();
"""

POSTGRES_DOWN = r"""
DROP TRIGGER IF EXISTS payouts_ledgerentry_balanced ON payouts_ledgerentry;
DROP TRIGGER IF EXISTS payouts_ledgerentry_append_only ON payouts_ledgerentry;
DROP TRIGGER IF EXISTS payouts_journaltransaction_append_only ON payouts_journaltransaction;
DROP FUNCTION IF EXISTS payouts_ledger_transaction_balances();
DROP FUNCTION IF EXISTS payouts_ledger_is_append_only();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no placeholders: % is literal here

    return run


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [migrations.RunPython(_on_postgres(POSTGRES_UP), _on_postgres(POSTGRES_DOWN))]
