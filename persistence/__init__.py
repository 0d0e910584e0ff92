"""Postgres side: pool, embedded server, migrations, approval store, audit log."""
