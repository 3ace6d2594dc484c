"""Storage tests on SQLite and PostgreSQL (a package, so they can share test helpers)."""
