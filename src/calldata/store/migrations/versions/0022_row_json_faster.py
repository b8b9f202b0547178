"""cdr_row_json() renders the same bytes for less work: import, attribution and re-rating pay less (PostgreSQL)

Revision ID: 0022_row_json_faster
Revises: 0021_coverage_days

The trigger of 0017_row_json, replaced by one whose three parts render byte for byte what 0017's
do (tests/api/test_row_json.py), with less work per row (bench/RESULTS.md, "CSV import"):
- an amount's deck precision is looked up only for a leg with a price or a cost, both decks in one
  query: 0017 called cdr_amount_text twice per row, each call setting up an executor for its
  subquery, even for the legs without amounts (all of them while rating is off);
- on UPDATE a part is rendered again only when a column it shows changed (or the part itself was
  written, or is NULL): attribution and reprocess change properties, re-rating json_cache.
A deck's precision never changes once loaded (a new deck is a new version), so json_cache kept
across an UPDATE that changes none of its columns is what rendering it again would give.
SQLite has no trigger: nothing to do there.
"""

import importlib

from alembic import op
from sqlalchemy import text

revision = "0022_row_json_faster"
down_revision = "0021_coverage_days"
branch_labels = None
depends_on = None

# The columns each part shows (its inputs), in the order 0017 renders them.
BASE = ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "duration", "billsec",
        "disposition", "amaflags", "accountcode", "uniqueid", "linkedid")
CACHE = ("peeraccount", "sequence", "userfield", "call", "rating", "price", "currency", "cost", "cost_currency",
         "destination", "destination_kind", "sell_deck", "buy_deck")
PROPERTIES = ("company", "target", "src_ext", "dial_short", "dial_full", "trunk", "bill_to", "xfer", "auth",
              "call_rec", "is_ivr", "is_park", "is_pick", "is_auth", "is_bounce")


def _stale(part: str, columns: tuple[str, ...]) -> str:
    """True when `part` must be rendered: an INSERT, the part NULL or written by the statement, or
    one of its columns changed (OLD is NULL on INSERT: the first test decides then)."""
    new, old = (", ".join(f"{row}.{name}" for name in columns) for row in ("NEW", "OLD"))
    return (f"TG_OP = 'INSERT' OR NEW.{part} IS NULL OR NEW.{part} IS DISTINCT FROM OLD.{part}"
            f" OR ROW({new}) IS DISTINCT FROM ROW({old})")


def _amount(micros: str, places: str) -> str:
    """cdr_amount_text(NEW.`micros`, deck) of 0017 with the deck's precision in `places`; never
    escaped by JSON (digits, a sign, a point), so quoted as it is."""
    return (f"CASE WHEN NEW.{micros} IS NULL THEN '' ELSE coalesce(CAST(NEW.{micros} / 1000000 AS text)"
            f" || CASE WHEN {places} > 0 THEN '.' || substr(CAST(1000000 + NEW.{micros} % 1000000 AS text), 2,"
            f" {places}) ELSE '' END, '') END")


# `\\:` below is `\:` to SQLAlchemy's text(): a colon it does not take for a parameter
RENDER = f"""
CREATE OR REPLACE FUNCTION cdr_row_json() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sell_places integer;
  buy_places integer;
BEGIN
  IF {_stale("json_base", BASE)} THEN
    NEW.json_base := concat('"clid":', to_json(NEW.clid), ',"src":', to_json(NEW.src), ',"dst":', to_json(NEW.dst),
      ',"dcontext":', to_json(NEW.dcontext), ',"channel":', to_json(NEW.channel),
      ',"dstchannel":', to_json(NEW.dstchannel), ',"lastapp":', to_json(NEW.lastapp),
      ',"lastdata":', to_json(NEW.lastdata), ',"duration":', NEW.duration, ',"billsec":', NEW.billsec,
      ',"disposition":', to_json(NEW.disposition), ',"amaflags":', NEW.amaflags,
      ',"accountcode":', to_json(NEW.accountcode), ',"uniqueid":', to_json(NEW.uniqueid),
      ',"linkedid":', to_json(NEW.linkedid));
  END IF;
  IF {_stale("json_cache", CACHE)} THEN
    IF NEW.price IS NOT NULL OR NEW.cost IS NOT NULL THEN
      SELECT (SELECT "precision" FROM rate_deck WHERE id = NEW.sell_deck),
             (SELECT "precision" FROM rate_deck WHERE id = NEW.buy_deck) INTO sell_places, buy_places;
    END IF;
    NEW.json_cache := concat('"peeraccount":', to_json(NEW.peeraccount), ',"sequence":"', NEW.sequence,
      '","userfield":', to_json(NEW.userfield), ',"call":', to_json(coalesce(NEW.call, '')),
      ',"rating":', to_json(coalesce(NEW.rating, '')), ',"price":"', {_amount("price", "sell_places")},
      '","currency":', to_json(coalesce(NEW.currency, '')), ',"cost":"', {_amount("cost", "buy_places")},
      '","cost_currency":', to_json(coalesce(NEW.cost_currency, '')),
      ',"destination":', to_json(coalesce(NEW.destination, '')),
      ',"destination_kind":', to_json(coalesce(NEW.destination_kind, '')));
  END IF;
  IF {_stale("json_properties", PROPERTIES)} THEN
    NEW.json_properties := '"properties":{{' || substr(concat(
      ',"company":' || to_json(NEW.company), ',"target":' || to_json(NEW.target),
      ',"src_ext":' || to_json(NEW.src_ext), ',"dial_short":' || to_json(NEW.dial_short),
      ',"dial_full":' || to_json(NEW.dial_full), ',"trunk":' || to_json(NEW.trunk),
      ',"bill_to":' || to_json(NEW.bill_to), ',"xfer":' || to_json(NEW.xfer), ',"auth":' || to_json(NEW.auth),
      ',"call_rec":' || to_json(NEW.call_rec),
      CASE WHEN NEW.is_ivr THEN ',"is_ivr"\\:true' END, CASE WHEN NEW.is_park THEN ',"is_park"\\:true' END,
      CASE WHEN NEW.is_pick THEN ',"is_pick"\\:true' END, CASE WHEN NEW.is_auth THEN ',"is_auth"\\:true' END,
      CASE WHEN NEW.is_bounce THEN ',"is_bounce"\\:true' END), 2) || '}}';
  END IF;
  RETURN NEW;
END
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(text(RENDER))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        row_json = importlib.import_module("calldata.store.migrations.versions.0017_row_json")
        op.execute(text(row_json.RENDER.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)))
