"""A posted line's VAT box is as immutable as its amounts: recreate the ledger's triggers
with `tax_tag` among the guarded columns."""

from django.db import migrations

from kantoor.finance import triggers


def recreate(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*triggers.drop_statements(vendor), *triggers.create_statements(vendor)]:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    # Going back, 0005 installs the guard of its time again once its columns are gone.
    for statement in triggers.drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("finance", "0005_invoices_taxes_payments")]

    operations = [migrations.RunPython(recreate, drop)]
