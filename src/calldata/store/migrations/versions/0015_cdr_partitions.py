"""cdr range-partitioned by acctid on PostgreSQL; natkey's uniqueness moves to cdr_key

Revision ID: 0015_cdr_partitions
Revises: 0014_dashboard_indexes

PostgreSQL only (SQLite keeps its plain table): a unique index on a partitioned table must
include the partition key, so `natkey` cannot stay unique on cdr; the small unpartitioned
`cdr_key (natkey PRIMARY KEY, acctid)` takes the inserts' ON CONFLICT instead
(calldata.store.cdrs). The rows are copied with their acctids, the identity sequence is kept
(its position too), triggers keep cdr_key to cdr's keys when rows are deleted or the table is
truncated (tests and operators do both; retention, which drops partitions, forgets their keys
itself), the partitions made from the lowest acctid to AHEAD partitions beyond the
sequence, then the tail, and every index of the old table is made again on the partitioned one
(each partition gets its own). Partitions: calldata.store.partitions, docs/retention.md.
"""

from alembic import op
from sqlalchemy import text

from calldata.store import partitions

revision = "0015_cdr_partitions"
down_revision = "0014_dashboard_indexes"
branch_labels = None
depends_on = None


def _indexes(table: str) -> list[str]:
    """CREATE INDEX statements of the table's indexes other than its constraints'."""
    return list(op.get_bind().execute(text(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = CAST(:table AS regclass)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"), {"table": table}).scalars())


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text("LOCK TABLE cdr IN ACCESS EXCLUSIVE MODE"))
    indexes = _indexes("cdr")
    conn.execute(text("CREATE TABLE cdr_key (natkey text NOT NULL, acctid bigint NOT NULL,"
                      " CONSTRAINT pk_cdr_key PRIMARY KEY (natkey))"))
    conn.execute(text("CREATE TABLE cdr_partitioned (LIKE cdr INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                      " PARTITION BY RANGE (acctid)"))
    size = partitions.configured_size()
    lowest, highest = conn.execute(text("SELECT min(acctid), max(acctid) FROM cdr")).one()
    start = 0 if lowest is None else lowest - lowest % size
    end = max(highest or 0, partitions.next_acctid(conn)) + partitions.AHEAD * size
    end += -end % size
    for lower in range(start, end, size):
        conn.execute(text(f"CREATE TABLE {partitions.name_for(lower)} PARTITION OF cdr_partitioned"
                          f" FOR VALUES FROM ({lower}) TO ({lower + size})"))
    conn.execute(text(f"CREATE TABLE {partitions.TAIL} PARTITION OF cdr_partitioned FOR VALUES FROM ({end}) TO (MAXVALUE)"))
    conn.execute(text("INSERT INTO cdr_partitioned SELECT * FROM cdr"))
    conn.execute(text("INSERT INTO cdr_key (natkey, acctid) SELECT natkey, acctid FROM cdr"))
    conn.execute(text(f"ALTER SEQUENCE {partitions.SEQUENCE} OWNED BY cdr_partitioned.acctid"))
    conn.execute(text("DROP TABLE cdr"))
    conn.execute(text("ALTER TABLE cdr_partitioned RENAME TO cdr"))
    conn.execute(text("ALTER TABLE cdr ADD CONSTRAINT pk_cdr PRIMARY KEY (acctid)"))
    for statement in indexes:
        conn.execute(text(statement))
    conn.execute(text("CREATE FUNCTION cdr_key_forget() RETURNS trigger LANGUAGE plpgsql AS"
                      " $$BEGIN DELETE FROM cdr_key k USING gone g WHERE k.natkey = g.natkey; RETURN NULL; END$$"))
    conn.execute(text("CREATE TRIGGER cdr_key_forget AFTER DELETE ON cdr REFERENCING OLD TABLE AS gone"
                      " FOR EACH STATEMENT EXECUTE FUNCTION cdr_key_forget()"))
    conn.execute(text("CREATE FUNCTION cdr_key_truncate() RETURNS trigger LANGUAGE plpgsql AS"
                      " $$BEGIN DELETE FROM cdr_key; RETURN NULL; END$$"))
    conn.execute(text("CREATE TRIGGER cdr_key_truncate AFTER TRUNCATE ON cdr"
                      " FOR EACH STATEMENT EXECUTE FUNCTION cdr_key_truncate()"))
    conn.execute(text("ANALYZE cdr"))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text("LOCK TABLE cdr IN ACCESS EXCLUSIVE MODE"))
    indexes = _indexes("cdr")
    conn.execute(text("CREATE TABLE cdr_plain (LIKE cdr INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(text("INSERT INTO cdr_plain SELECT * FROM cdr"))
    conn.execute(text(f"ALTER SEQUENCE {partitions.SEQUENCE} OWNED BY cdr_plain.acctid"))
    conn.execute(text("DROP TABLE cdr"))
    conn.execute(text("DROP FUNCTION cdr_key_forget(), cdr_key_truncate()"))
    conn.execute(text("DROP TABLE cdr_key"))
    conn.execute(text("ALTER TABLE cdr_plain RENAME TO cdr"))
    conn.execute(text("ALTER TABLE cdr ADD CONSTRAINT pk_cdr PRIMARY KEY (acctid)"))
    conn.execute(text("ALTER TABLE cdr ADD CONSTRAINT uq_cdr_natkey UNIQUE (natkey)"))
    for statement in indexes:
        conn.execute(text(statement.replace(" ON ONLY ", " ON ")))
