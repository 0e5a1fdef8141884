"""The migrations build exactly the tables ``store.tables`` declares, on both backends:
a column, index or constraint added to one and not the other fails here."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from payeropt_lib.store import tables


def test_migrations_match_the_declared_tables(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    # SQLite reports server defaults and unnamed constraints loosely; types and columns,
    # tables and indexes must agree everywhere.
    kinds = {"add_table", "remove_table", "add_column", "remove_column", "add_index",
             "remove_index"}  # fmt: skip
    wrong = [d for d in diff if isinstance(d, tuple) and d[0] in kinds]
    assert wrong == []
