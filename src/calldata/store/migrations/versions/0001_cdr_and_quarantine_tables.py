"""cdr and quarantine tables

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

def upgrade() -> None:

    op.create_table('cdr',
    sa.Column('acctid', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('calldate', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clid', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('src', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('dst', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('dcontext', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('channel', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('dstchannel', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('lastapp', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('lastdata', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('duration', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('billsec', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('disposition', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('amaflags', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('accountcode', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('uniqueid', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('linkedid', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('peeraccount', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('userfield', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('natkey', sa.Text(), nullable=False),
    sa.Column('company', sa.Text(), nullable=True),
    sa.Column('target', sa.Text(), nullable=True),
    sa.Column('src_ext', sa.Text(), nullable=True),
    sa.Column('dial_short', sa.Text(), nullable=True),
    sa.Column('dial_full', sa.Text(), nullable=True),
    sa.Column('trunk', sa.Text(), nullable=True),
    sa.Column('bill_to', sa.Text(), nullable=True),
    sa.Column('xfer', sa.Text(), nullable=True),
    sa.Column('auth', sa.Text(), nullable=True),
    sa.Column('call_rec', sa.Text(), nullable=True),
    sa.Column('is_ivr', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_park', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_pick', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_auth', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_bounce', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('call', sa.Text(), nullable=True),
    sa.Column('directory_version', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('acctid', name=op.f('pk_cdr')),
    sa.UniqueConstraint('natkey', name=op.f('uq_cdr_natkey')),
    sqlite_autoincrement=True
    )
    op.create_index('ix_cdr_calldate_acctid', 'cdr', ['calldate', 'acctid'], unique=False)
    op.create_table('quarantine',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('position', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine')),
    sqlite_autoincrement=True
    )
    op.create_index('uq_quarantine_source_position', 'quarantine', ['source', 'position'], unique=True)

def downgrade() -> None:

    op.drop_index('uq_quarantine_source_position', table_name='quarantine')
    op.drop_table('quarantine')
    op.drop_index('ix_cdr_calldate_acctid', table_name='cdr')
    op.drop_table('cdr')

