"""PostgreSQL only: what lets a ledger import send less per row.

- ``id_number`` compares in the "C" collation (ID numbers are ASCII digits and X, whose order is
  the same in every collation): its unique index is kept up to date with byte comparisons
  instead of the locale's.
- ``created_at``, ``updated_at`` and ``registered_at`` default to ``now()``, the transaction's
  time, which the import also uses as its own "now": COPY leaves these columns out rather than
  sending and parsing three timestamps per row. The ORM always writes them explicitly.
"""

from django.db import migrations

FORWARD = [
    'ALTER TABLE returnees_returnee ALTER COLUMN id_number TYPE varchar(18) COLLATE "C"',
    "ALTER TABLE returnees_returnee ALTER COLUMN created_at SET DEFAULT now(), "
    "ALTER COLUMN updated_at SET DEFAULT now()",
    "ALTER TABLE returnees_registration ALTER COLUMN registered_at SET DEFAULT now()",
]
BACKWARD = [
    'ALTER TABLE returnees_returnee ALTER COLUMN id_number TYPE varchar(18) COLLATE "default"',
    "ALTER TABLE returnees_returnee ALTER COLUMN created_at DROP DEFAULT, ALTER COLUMN updated_at DROP DEFAULT",
    "ALTER TABLE returnees_registration ALTER COLUMN registered_at DROP DEFAULT",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("returnees", "0002_lean_bulk_writes")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
