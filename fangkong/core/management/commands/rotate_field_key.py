"""``fangkong rotate_field_key``: seal every ID number and phone again under the current key.

Rotating the field key: stop the web server and the workers; set FANGKONG_FIELD_KEY to the new
secret and FANGKONG_FIELD_OLD_KEYS to the old one; run this command; start again. It opens every
sealed value (under whichever configured key sealed it), seals it under the current key and makes
its digest again (the digest key comes from the same secret), in one transaction. Afterwards the
old secret can be dropped from FANGKONG_FIELD_OLD_KEYS. Nothing is written to the log but counts.
"""

from collections import Counter
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.fieldcrypt import key_id_of, keys, unseal
from fangkong.core.idcard import SealedIdentity, id_number_columns, phone_columns

CHUNK = 2000


class Command(BaseCommand):
    help = "Seal every ID number and phone again under the current FANGKONG_FIELD_KEY (see the module)."

    def handle(self, *args: Any, **options: Any) -> None:
        current = keys()[0].key_id
        for model in apps.get_models():
            if not issubclass(model, SealedIdentity):
                continue
            before: Counter[str] = Counter()
            with transaction.atomic():
                rows = model._default_manager.order_by("pk").values_list("pk", "id_cipher", "phone_cipher")
                done = 0
                last = 0
                while chunk := list(rows.filter(pk__gt=last)[:CHUNK]):
                    pks, id_ciphers, phone_ciphers = zip(*chunk, strict=True)
                    before.update(key_id_of(c) for c in id_ciphers)
                    columns = {**id_number_columns(unseal(id_ciphers, "id_number")),
                               **phone_columns(unseal(phone_ciphers, "phone"))}
                    for derived in ("sex", "birth_year"):  # the same number gives the same
                        del columns[derived]
                    objs = []
                    for i, pk in enumerate(pks):
                        obj = model(pk=pk)
                        for name, values in columns.items():
                            setattr(obj, name, values[i])
                        objs.append(obj)
                    model._default_manager.bulk_update(objs, list(columns), batch_size=500)
                    done += len(objs)
                    last = pks[-1]
                label = model._meta.label_lower
                audit_log(actor=None, action=Action.UPDATE, object_type=label,
                          detail=f"field key rotated to {current}: rows={done} before={dict(before)}")
            were = ", ".join(f"{key or '-'}: {count}" for key, count in sorted(before.items()))
            self.stdout.write(f"{model._meta.label}: {done} rows sealed under key {current} (before: {were or '-'})")
