"""Every pass gets a random number with a check character in place of its sequential one.

Old numbers (S000123) are not kept valid: they are the guessable ones, and anyone could walk
through them. The QR code does not carry the number (it names the pass by its id and is signed),
so every card in circulation still scans; only a number typed by hand must be the new one, which
the pass's page shows and the next print run carries. A lookup of an old-style number is answered
with its own message ("old number: scan the code or read the new number"). The passage log keeps
the numbers it recorded. Each change is in the audit log (before and after), so an old number
can still be traced to its pass.
"""

from django.db import migrations

from fangkong.passes.numbering import new_number

BATCH = 1000


def _renumber(apps, schema_editor, make):  # type: ignore[no-untyped-def]
    Pass = apps.get_model("passes", "Pass")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    taken: set[str] = set()
    rows = list(Pass.objects.order_by("id").only("id", "kind", "number"))
    changed = []
    entries = []
    for p in rows:
        number = make(p, taken)
        taken.add(number)
        if number == p.number:
            continue
        entries.append(AuditEntry(
            action="update", object_type="passes.pass", object_id=str(p.pk), object_repr=number,
            before={"number": p.number}, after={"number": number}, detail="pass renumbered (migration)",
        ))
        p.number = number
        changed.append(p)
    # The old and new forms never coincide (digits only against a hyphenated form), so no number
    # is held twice while the rows are written.
    Pass.objects.bulk_update(changed, ["number"], batch_size=BATCH)
    AuditEntry.objects.bulk_create(entries, batch_size=BATCH)


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    def make(p, taken):  # type: ignore[no-untyped-def]
        number = new_number(p.kind)
        while number in taken:
            number = new_number(p.kind)
        return number

    _renumber(apps, schema_editor, make)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _renumber(apps, schema_editor, lambda p, taken: f"{'S' if p.kind == 'staff' else 'V'}{p.pk:06d}")


class Migration(migrations.Migration):
    dependencies = [
        ("passes", "0002_passcheck_references"),
        ("audit", "0002_append_only_trigger"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
