"""rating: rate decks, their rows, each leg's price and cost, and the amounts re-rating replaced

Revision ID: 0010_rating
Revises: 0009_call_changes

Legs stored before this have `rating` NULL: not looked at yet (`calldata rerate` rates them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_rating"
down_revision = "0009_call_changes"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MONEY = ("price", "cost")
_DECKS = ("sell_deck", "buy_deck")
_COLUMNS = ("rating", "price", "currency", "cost", "cost_currency", "destination", "destination_kind",
            "sell_deck", "buy_deck")


def _rating_columns() -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger() if name in _MONEY else sa.Integer() if name in _DECKS else sa.Text(),
                      nullable=True) for name in _COLUMNS]


def upgrade() -> None:
    with op.batch_alter_table("cdr") as batch:
        for column in _rating_columns():
            batch.add_column(column)
    op.create_index("ix_cdr_unrated_acctid", "cdr", ["acctid"],
                    postgresql_where=sa.text("rating = 'unrated'"), sqlite_where=sa.text("rating = 'unrated'"))
    op.create_table(
        "rate_deck",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("precision", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("peak", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_deck")),
        sqlite_autoincrement=True,
    )
    op.create_index("uq_rate_deck_name_version", "rate_deck", ["name", "version"], unique=True)
    op.create_table(
        "rate_row",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("deck", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("rate", sa.Text(), nullable=False),
        sa.Column("connection", sa.Text(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("increment", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("band", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["deck"], ["rate_deck.id"], name=op.f("fk_rate_row_deck_rate_deck")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_row")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_rate_row_deck", "rate_row", ["deck"])
    op.create_table(
        "rate_history",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("acctid", _ID, nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        *_rating_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_history")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_rate_history_acctid", "rate_history", ["acctid"])


def downgrade() -> None:
    op.drop_index("ix_rate_history_acctid", table_name="rate_history")
    op.drop_table("rate_history")
    op.drop_index("ix_rate_row_deck", table_name="rate_row")
    op.drop_table("rate_row")
    op.drop_index("uq_rate_deck_name_version", table_name="rate_deck")
    op.drop_table("rate_deck")
    op.drop_index("ix_cdr_unrated_acctid", table_name="cdr")
    with op.batch_alter_table("cdr") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
