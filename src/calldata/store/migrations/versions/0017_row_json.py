"""each cdr row's JSON rendered once, by a trigger, for /rest/call/read (PostgreSQL)

Revision ID: 0017_row_json
Revises: 0016_dashboard_rollups

The columns are added on SQLite too (left NULL: SQLite renders its pages as before, so every
statement naming cdr's columns runs on both); the rest is PostgreSQL's. Three text columns hold a row's API JSON
members without their braces: `json_base` (clid ... linkedid), `json_cache` (what cachedata adds
after the times: peeraccount ... destination_kind) and `json_properties` (`"properties":{...}`,
undecided properties and false flags left out). acctid and the times depend on nothing or on the
display zone, a setting, so they are written at read time around these (calldata.store.row_json).
A BEFORE INSERT OR UPDATE trigger renders them from the row's own values, so every writer (insert,
attribution, reprocess, re-rating, an archive restored) keeps them right without knowing of them;
amounts are shown with the precision of the deck that priced them, as calldata.store.reads does.
Existing rows are rendered by an UPDATE (the whole table is rewritten once).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "0017_row_json"
down_revision = "0016_dashboard_rollups"
branch_labels = None
depends_on = None

# Millionths as decimal text with the deck's precision, "" when NULL (reads.money_text's arithmetic).
AMOUNT = """
CREATE FUNCTION cdr_amount_text(micros bigint, deck integer) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN micros IS NULL THEN '' ELSE coalesce(CAST(micros / 1000000 AS text) || CASE WHEN places > 0
    THEN '.' || substr(CAST(1000000 + micros % 1000000 AS text), 2, places) ELSE '' END, '') END
  FROM (SELECT (SELECT "precision" FROM rate_deck WHERE id = deck) AS places) AS deck_places
$$"""

# `\\:` below is `\:` to SQLAlchemy's text(): a colon it does not take for a parameter
RENDER = """
CREATE FUNCTION cdr_row_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.json_base := concat('"clid":', to_json(NEW.clid), ',"src":', to_json(NEW.src), ',"dst":', to_json(NEW.dst),
    ',"dcontext":', to_json(NEW.dcontext), ',"channel":', to_json(NEW.channel),
    ',"dstchannel":', to_json(NEW.dstchannel), ',"lastapp":', to_json(NEW.lastapp),
    ',"lastdata":', to_json(NEW.lastdata), ',"duration":', NEW.duration, ',"billsec":', NEW.billsec,
    ',"disposition":', to_json(NEW.disposition), ',"amaflags":', NEW.amaflags,
    ',"accountcode":', to_json(NEW.accountcode), ',"uniqueid":', to_json(NEW.uniqueid),
    ',"linkedid":', to_json(NEW.linkedid));
  NEW.json_cache := concat('"peeraccount":', to_json(NEW.peeraccount), ',"sequence":"', NEW.sequence,
    '","userfield":', to_json(NEW.userfield), ',"call":', to_json(coalesce(NEW.call, '')),
    ',"rating":', to_json(coalesce(NEW.rating, '')), ',"price":', to_json(cdr_amount_text(NEW.price, NEW.sell_deck)),
    ',"currency":', to_json(coalesce(NEW.currency, '')), ',"cost":', to_json(cdr_amount_text(NEW.cost, NEW.buy_deck)),
    ',"cost_currency":', to_json(coalesce(NEW.cost_currency, '')),
    ',"destination":', to_json(coalesce(NEW.destination, '')),
    ',"destination_kind":', to_json(coalesce(NEW.destination_kind, '')));
  NEW.json_properties := '"properties":{' || substr(concat(
    ',"company":' || to_json(NEW.company), ',"target":' || to_json(NEW.target),
    ',"src_ext":' || to_json(NEW.src_ext), ',"dial_short":' || to_json(NEW.dial_short),
    ',"dial_full":' || to_json(NEW.dial_full), ',"trunk":' || to_json(NEW.trunk),
    ',"bill_to":' || to_json(NEW.bill_to), ',"xfer":' || to_json(NEW.xfer), ',"auth":' || to_json(NEW.auth),
    ',"call_rec":' || to_json(NEW.call_rec),
    CASE WHEN NEW.is_ivr THEN ',"is_ivr"\\:true' END, CASE WHEN NEW.is_park THEN ',"is_park"\\:true' END,
    CASE WHEN NEW.is_pick THEN ',"is_pick"\\:true' END, CASE WHEN NEW.is_auth THEN ',"is_auth"\\:true' END,
    CASE WHEN NEW.is_bounce THEN ',"is_bounce"\\:true' END), 2) || '}';
  RETURN NEW;
END
$$"""


COLUMNS = ("json_base", "json_cache", "json_properties")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        for name in COLUMNS:
            op.add_column("cdr", sa.Column(name, sa.Text()))
        return
    conn.execute(text("ALTER TABLE cdr ADD COLUMN json_base text, ADD COLUMN json_cache text,"
                      " ADD COLUMN json_properties text"))
    conn.execute(text(AMOUNT))
    conn.execute(text(RENDER))
    conn.execute(text("CREATE TRIGGER cdr_row_json BEFORE INSERT OR UPDATE ON cdr"
                      " FOR EACH ROW EXECUTE FUNCTION cdr_row_json()"))
    conn.execute(text("UPDATE cdr SET json_base = NULL"))  # the trigger renders every row


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        with op.batch_alter_table("cdr", table_kwargs={"sqlite_autoincrement": True}) as batch:
            for name in COLUMNS:
                batch.drop_column(name)
        return
    conn.execute(text("DROP TRIGGER cdr_row_json ON cdr"))
    conn.execute(text("DROP FUNCTION cdr_row_json(), cdr_amount_text(bigint, integer)"))
    conn.execute(text("ALTER TABLE cdr DROP COLUMN json_base, DROP COLUMN json_cache, DROP COLUMN json_properties"))
