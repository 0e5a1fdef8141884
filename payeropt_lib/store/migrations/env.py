"""Alembic environment: migrations run on the connection ``store.upgrade`` hands over.

Run by hand through ``payeropt db upgrade``; there is no alembic.ini to keep in step.
"""

from alembic import context

from payeropt_lib.store.tables import metadata

target_metadata = metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI directly
    raise SystemExit("run migrations with 'payeropt db upgrade'")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need batch mode
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
