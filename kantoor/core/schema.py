"""Schema changes that Django's migration operations would make the slow or unsafe way.

Dropping the index Django creates for a foreign key is an AlterField(db_index=False), which
SQLite carries out by copying the whole table into a new one: slow on a large ledger, and
the copy loses the table's triggers (the ledger's guard). `foreign_key_indexes_drop` drops
just the index, by the name Django gave it, inside SeparateDatabaseAndState with the
AlterField as its state operation.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _index(
    apps: Any, schema_editor: Any, app_label: str, model_name: str, field_name: str
) -> tuple[str, str, str]:
    model = apps.get_model(app_label, model_name)
    table, column = model._meta.db_table, model._meta.get_field(field_name).column
    # The name Django gives a field's own index (BaseDatabaseSchemaEditor._field_indexes_sql).
    return schema_editor._create_index_name(table, [column], suffix=""), table, column


def foreign_key_indexes_drop(*fields: tuple[str, str, str]) -> migrations.RunPython:
    """Drop the own index of each (app label, model, field); the reverse creates it again."""

    def drop(apps: Any, schema_editor: Any) -> None:
        quote = schema_editor.quote_name
        for field in fields:
            name, _table, _column = _index(apps, schema_editor, *field)
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")

    def create(apps: Any, schema_editor: Any) -> None:
        quote = schema_editor.quote_name
        for field in fields:
            name, table, column = _index(apps, schema_editor, *field)
            schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)})")

    return migrations.RunPython(drop, create)
