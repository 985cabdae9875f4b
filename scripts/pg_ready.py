"""Exit 0 when the PostgreSQL server of the given URL accepts connections, 1 otherwise."""

import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

url = urlsplit(sys.argv[1])
# Connect to the maintenance database: the test database itself is created by the suite.
admin = urlunsplit((url.scheme.replace("postgres", "postgresql", 1) if url.scheme == "postgres" else url.scheme,
                    url.netloc, "/postgres", "", ""))
try:
    psycopg.connect(admin, connect_timeout=5).close()
except psycopg.Error as exc:
    print(f"PostgreSQL: {exc}".strip())
    sys.exit(1)
sys.exit(0)
