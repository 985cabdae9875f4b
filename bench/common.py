"""What the benchmarks share: a fresh database (PostgreSQL by URL, else SQLite in a temp dir),
migrated, with Django set up."""

import os
import tempfile
from pathlib import Path


def setup(database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.config.test_settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    if database_url:
        from urllib.parse import urlsplit, urlunsplit

        import psycopg

        os.environ["DATABASE_URL"] = database_url
        url = urlsplit(database_url)
        name = url.path.lstrip("/")
        admin = urlunsplit(("postgresql", url.netloc, "/postgres", "", ""))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        data = Path(tempfile.mkdtemp(prefix="fk-bench-"))
        os.environ["FANGKONG_DATA_DIR"] = str(data)
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
