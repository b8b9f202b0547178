"""ix_cdr_uniqueid includes cdr's company columns on PostgreSQL: a queue caller's check is an index-only probe

Revision ID: 0019_cdr_uniqueid_covering
Revises: 0018_queue_stays

A company-scoped queue report checks every stay of its period against the caller's CDR legs
(calldata.queues.query.attributed: a leg by `uniqueid` whose company, target or bill_to is one of
the scope's): ~30,000 probes of `ix_cdr_uniqueid` for a busy month, each then reading the leg's
heap page for those three columns. With them included in the index the probe needs no heap page
(bench/RESULTS.md, queue statistics). The index is made again under the same name, on the
partitioned `cdr` (each partition gets its own; partitions made later get it from the parent).
SQLite keeps its plain index (no INCLUDE there).
"""

from alembic import op

revision = "0019_cdr_uniqueid_covering"
down_revision = "0018_queue_stays"
branch_labels = None
depends_on = None

# calldata.queues.query.COMPANY_COLUMNS (a migration may not import calldata.queues: tests/test_layers.py)
COMPANY_COLUMNS = ["company", "target", "bill_to"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_cdr_uniqueid", table_name="cdr")
    op.create_index("ix_cdr_uniqueid", "cdr", ["uniqueid"], postgresql_include=COMPANY_COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_cdr_uniqueid", table_name="cdr")
    op.create_index("ix_cdr_uniqueid", "cdr", ["uniqueid"])
