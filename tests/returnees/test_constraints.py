"""Referential integrity is the database's: every foreign key a ledger import writes has its
constraint (deferred on PostgreSQL, so an import's COPY still works in one transaction), and the
database itself refuses a row that points at nothing, whatever wrote it."""

import pytest
from django.db import IntegrityError, connection, transaction

from fangkong.returnees import services
from fangkong.returnees.models import IsolationOrder, Registration, Returnee
from tests import factories as f

# (model, column): the references an import writes row by row.
REFERENCES = [
    (Returnee, "unit_id"), (Returnee, "community_id"), (Returnee, "coordinating_body_id"),
    (Registration, "returnee_id"), (Registration, "unit_id"), (Registration, "stated_employer_id"),
    (Registration, "registered_by_id"), (Registration, "source_import_id"),
    (IsolationOrder, "returnee_id"),
]
MISSING = 987654321
UNIQUE = {"id_digest", "id_number", "side"}  # returnee_id_number_unique; registration_unique


def _copy_with(model, column: str, value: int, pk: int) -> None:
    """INSERT a copy of row ``pk`` of ``model``'s table with ``column`` set to ``value`` (and the
    columns that must be unique made unique), in plain SQL: no Django check runs."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        names = [c.name for c in connection.introspection.get_table_description(cursor, table) if c.name != "id"]
        q = connection.ops.quote_name
        # Columns under a unique constraint get another value, so that only the reference can fail.
        values = ", ".join("%s" if name == column else "'other'" if name in UNIQUE else q(name) for name in names)
        cursor.execute(f"INSERT INTO {q(table)} ({', '.join(map(q, names))}) SELECT {values} FROM {q(table)} "
                       "WHERE id = %s", [value, pk])


@pytest.fixture
def ledger(city):
    """One returnee reported by a unit and registered by a community naming the unit, with an
    isolation order, and a ledger import for the registrations to point at."""
    from fangkong.returnees.models import LedgerImport

    office = f.user("committee_office", city.root)
    returnee = services.register(actor=office, side="unit", name="约束", id_number=f.id_number(), unit=city.industry,
                                 community=city.comm_1)
    services.register(actor=office, side="community", name="约束", id_number=returnee.id_number, unit=city.industry,
                      community=city.comm_1)
    li = LedgerImport.objects.create(side="unit", file_name="x.xlsx", sha256="0" * 64, uploaded_by=office)
    Registration.objects.filter(returnee=returnee).update(source_import=li)
    return returnee


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("model", "column"), REFERENCES, ids=[f"{m.__name__}.{c}" for m, c in REFERENCES])
def test_the_database_refuses_a_reference_to_nothing(ledger, model, column):
    mine = {"pk": ledger.pk} if model is Returnee else {"returnee": ledger}
    row = model.objects.filter(**mine, **{f"{column}__isnull": False}).first()
    assert row is not None  # the copy starts from a real reference
    before = model.objects.count()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _copy_with(model, column, MISSING, row.pk)
    assert "foreign key" in str(refused.value).lower()  # refused for the reference, nothing else
    assert model.objects.count() == before


@pytest.mark.django_db
def test_on_postgresql_the_constraints_are_checked_at_commit():
    """DEFERRABLE INITIALLY DEFERRED (Django's declaration on PostgreSQL): an import writes
    registrations by COPY in the same transaction as the people they point at."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's constraints are deferred the same way (checked at commit), as the test above shows")
    wanted = {(m._meta.db_table, c) for m, c in REFERENCES}
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT rel.relname, att.attname, con.condeferrable, con.condeferred
               FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
               JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
               WHERE con.contype = 'f' AND rel.relname = ANY(%s)""",
            [sorted({table for table, _ in wanted})],
        )
        found = {(table, column): (deferrable, deferred) for table, column, deferrable, deferred in cursor.fetchall()}
    assert wanted <= set(found)
    assert all(found[key] == (True, True) for key in wanted)
