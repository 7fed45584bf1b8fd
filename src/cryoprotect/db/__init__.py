"""Database layer: embedded server, engines and sessions, ORM models, migrations, RLS, health."""
