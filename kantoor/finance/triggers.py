"""The database's own guard of the ledger (installed by migration 0002), per vendor:

- posted entries and their lines cannot be updated or deleted — also not through a queryset
  `.update()`, the admin or raw SQL — except a line's party, which a party merge re-points;
- entries are inserted as drafts and lines are never added to a posted entry;
- an entry becomes posted only when it has two or more lines whose debits and credits
  balance (ROUND: SQLite stores decimals as floating point), and only into an open period
  after the lock date.

Every refusal is an integrity error (SQLite's RAISE(ABORT); SQLSTATE 23000 on PostgreSQL).
Migration 0002 installs these statements: a change here needs a new migration that
drops and recreates them, or existing databases keep the old guard.
"""

from __future__ import annotations

_UNBALANCED = (
    "(SELECT COUNT(*) FROM finance_journalline WHERE entry_id = NEW.id) < 2 "
    "OR (SELECT ROUND(SUM(debit) - SUM(credit), 2) FROM finance_journalline WHERE entry_id = NEW.id) <> 0"
)
_LOCKED = (
    "EXISTS (SELECT 1 FROM finance_financesettings s WHERE s.company_id = NEW.company_id "
    "AND s.lock_date IS NOT NULL AND NEW.date <= s.lock_date) "
    "OR NOT EXISTS (SELECT 1 FROM finance_period p WHERE p.company_id = NEW.company_id "
    "AND p.start_date <= NEW.date AND p.end_date >= NEW.date AND NOT p.is_closed)"
)
# Every column of a line but `party_id`: a party merge re-points posted lines to the party
# that absorbed the other (the ledger keeps its amounts, accounts and dates; the merge is
# audited). `UPDATE OF` fires only when one of these columns is set.
# Migrations 0002 and 0003 install the guard as it was before lines had a VAT box (a trigger
# naming a column that does not exist yet is refused by PostgreSQL); 0006 adds `tax_tag`.
GUARDED_LINE_COLUMNS_V1 = (
    "id, entry_id, company_id, account_id, label, debit, credit, currency, amount_currency, rate, "
    "due_date, date, journal_id, state"
)
_GUARDED_LINE_COLUMNS = GUARDED_LINE_COLUMNS_V1 + ", tax_tag"
_ENTRY_POSTED = "(SELECT state FROM finance_journalentry WHERE id = {row}.entry_id) = 'posted'"

SQLITE_NAMES = [
    "finance_entry_no_update",
    "finance_entry_no_delete",
    "finance_entry_insert_draft",
    "finance_entry_post_balanced",
    "finance_entry_post_open",
    "finance_line_no_update",
    "finance_line_no_delete",
    "finance_line_no_insert",
]


def _abort(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


SQLITE_CREATE = [
    "CREATE TRIGGER finance_entry_no_update BEFORE UPDATE ON finance_journalentry "
    "WHEN OLD.state = 'posted' " + _abort("finance: a posted journal entry is immutable; reverse it"),
    "CREATE TRIGGER finance_entry_no_delete BEFORE DELETE ON finance_journalentry "
    "WHEN OLD.state = 'posted' " + _abort("finance: a posted journal entry cannot be deleted"),
    "CREATE TRIGGER finance_entry_insert_draft BEFORE INSERT ON finance_journalentry "
    "WHEN NEW.state <> 'draft' " + _abort("finance: entries are created as drafts, then posted"),
    "CREATE TRIGGER finance_entry_post_balanced BEFORE UPDATE OF state ON finance_journalentry "
    f"WHEN NEW.state = 'posted' AND OLD.state <> 'posted' AND ({_UNBALANCED}) "
    + _abort("finance: an unbalanced entry cannot be posted"),
    "CREATE TRIGGER finance_entry_post_open BEFORE UPDATE OF state ON finance_journalentry "
    f"WHEN NEW.state = 'posted' AND OLD.state <> 'posted' AND ({_LOCKED}) "
    + _abort("finance: the date is in a closed period or on or before the lock date"),
    f"CREATE TRIGGER finance_line_no_update BEFORE UPDATE OF {_GUARDED_LINE_COLUMNS} ON finance_journalline "
    f"WHEN OLD.state = 'posted' OR {_ENTRY_POSTED.format(row='OLD')} "
    + _abort("finance: the lines of a posted journal entry are immutable"),
    "CREATE TRIGGER finance_line_no_delete BEFORE DELETE ON finance_journalline "
    f"WHEN OLD.state = 'posted' OR {_ENTRY_POSTED.format(row='OLD')} "
    + _abort("finance: the lines of a posted journal entry cannot be deleted"),
    "CREATE TRIGGER finance_line_no_insert BEFORE INSERT ON finance_journalline "
    f"WHEN NEW.state <> 'draft' OR {_ENTRY_POSTED.format(row='NEW')} "
    + _abort("finance: lines cannot be added to a posted journal entry"),
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_NAMES]


def _raise(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = '23000';"


POSTGRESQL_CREATE = [
    f"""
CREATE OR REPLACE FUNCTION finance_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'draft' THEN {_raise("finance: entries are created as drafts, then posted")} END IF;
    RETURN NEW;
  END IF;
  IF OLD.state = 'posted' THEN
    IF TG_OP = 'DELETE' THEN {_raise("finance: a posted journal entry cannot be deleted")} END IF;
    {_raise("finance: a posted journal entry is immutable; reverse it")}
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF NEW.state = 'posted' THEN
    IF {_UNBALANCED} THEN {_raise("finance: an unbalanced entry cannot be posted")} END IF;
    IF {_LOCKED} THEN
      {_raise("finance: the date is in a closed period or on or before the lock date")}
    END IF;
  END IF;
  RETURN NEW;
END
$$""",
    f"""
CREATE OR REPLACE FUNCTION finance_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.state = 'posted' OR {_ENTRY_POSTED.format(row="OLD")} THEN
      {_raise("finance: the lines of a posted journal entry are immutable")}
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF {_ENTRY_POSTED.format(row="NEW")} OR (TG_OP = 'INSERT' AND NEW.state <> 'draft') THEN
    {_raise("finance: lines cannot be added to a posted journal entry")}
  END IF;
  RETURN NEW;
END
$$""",
    "CREATE TRIGGER finance_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON finance_journalentry "
    "FOR EACH ROW EXECUTE FUNCTION finance_entry_guard()",
    "CREATE TRIGGER finance_line_guard BEFORE INSERT OR DELETE ON finance_journalline "
    "FOR EACH ROW EXECUTE FUNCTION finance_line_guard()",
    f"CREATE TRIGGER finance_line_update_guard BEFORE UPDATE OF {_GUARDED_LINE_COLUMNS} "
    "ON finance_journalline FOR EACH ROW EXECUTE FUNCTION finance_line_guard()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS finance_entry_guard ON finance_journalentry",
    "DROP TRIGGER IF EXISTS finance_line_guard ON finance_journalline",
    "DROP TRIGGER IF EXISTS finance_line_update_guard ON finance_journalline",
    "DROP FUNCTION IF EXISTS finance_entry_guard()",
    "DROP FUNCTION IF EXISTS finance_line_guard()",
]


def create_statements(vendor: str, *, guarded_columns: str = _GUARDED_LINE_COLUMNS) -> list[str]:
    """The statements that install the guard; `guarded_columns` are the line columns no
    posted line may change (an older migration installs the list of its time)."""
    statements = POSTGRESQL_CREATE if vendor == "postgresql" else SQLITE_CREATE
    return [statement.replace(_GUARDED_LINE_COLUMNS, guarded_columns) for statement in statements]


def drop_statements(vendor: str) -> list[str]:
    return POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP
