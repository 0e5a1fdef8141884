"""A PostgreSQL database that lives for one benchmark run: created empty on the server of
``admin_url``, dropped afterwards whatever happens (every benchmark that measures
PostgreSQL starts from one, so no run sees another's rows)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator


@contextlib.contextmanager
def postgres_database(admin_url: str, prefix: str = "payeropt_bench") -> Iterator[str]:
    """Yields the new database's URL (the admin URL with its database name replaced)."""
    import sqlalchemy as sa

    from payeropt_lib import store

    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(store.normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.engine.make_url(store.normalize_url(admin_url)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        store.dispose_all()  # this process's engines on it let go before the drop
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
