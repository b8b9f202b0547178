"""Persistence: the schema, migrations, and the few queries every part of calldata shares."""
