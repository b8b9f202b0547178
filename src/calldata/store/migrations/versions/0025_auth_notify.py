"""A change to API keys, users or grants is announced on the channel calldata_auth (PostgreSQL)

Revision ID: 0025_auth_notify
Revises: 0024_keys_bytewise

The API keeps each key's owner and grants in memory while nothing changes them
(calldata.auth.key_cache); these statement triggers tell every listening API node when something
does, whichever process or tool changed it. A key's use note (last_used_at, once a minute a key)
changes nothing the check reads, so it announces nothing. A notification is sent when its
transaction commits, and several in one transaction are sent once. SQLite keeps no cache: nothing to do.
"""

from alembic import op
from sqlalchemy import text

revision = "0025_auth_notify"
down_revision = "0024_keys_bytewise"
branch_labels = None
depends_on = None

# calldata.auth.key_cache.CHANNEL (a migration names things as they were when it was written)
CHANNEL = "calldata_auth"
# the events of each table that can change what a key check finds (keys.HOLDER)
EVENTS = {
    "auth_user": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "auth_grant": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "auth_key": "INSERT OR UPDATE OF user_id, key_hash, prefix, expires_at, revoked_at OR DELETE OR TRUNCATE",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(text(f"""
        CREATE FUNCTION calldata_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END $$"""))
    for table, events in EVENTS.items():
        op.execute(text(f"CREATE TRIGGER {table}_changed AFTER {events} ON {table} "
                        "FOR EACH STATEMENT EXECUTE FUNCTION calldata_auth_changed()"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in EVENTS:
        op.execute(text(f"DROP TRIGGER {table}_changed ON {table}"))
    op.execute(text("DROP FUNCTION calldata_auth_changed()"))
