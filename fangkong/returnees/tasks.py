"""Background work of the ledger (django-tasks, database backend: `fangkong db_worker`)."""

from django_tasks import task

from .models import LedgerImport


@task()
def run_import(import_id: int, commit: bool) -> str:
    from .imports import import_run

    ledger_import = import_run(LedgerImport.objects.get(pk=import_id), commit=commit, own_process=True)
    return ledger_import.status
