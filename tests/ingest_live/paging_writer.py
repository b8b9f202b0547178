"""A CDR writer process for the paging test: stores small batches, lingering inside each transaction.

Usage: paging_writer.py STORE_URL TAG BATCHES {locked|unlocked}
`locked` stores through `store_batch` (the sink every ingester uses); `unlocked` inserts the
same rows without the writers' lock, to show the test catches out-of-order commits.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from calldata.cdr import Cdr
from calldata.ingest.sink import store_batch
from calldata.store.cdrs import cdr_values
from calldata.store.engine import sync_engine
from calldata.store.schema import cdr


def main() -> None:
    url, tag, batches, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    engine = sync_engine(url)
    start = datetime(2026, 11, 29, tzinfo=UTC)
    rng = random.Random(tag)
    for b in range(batches):
        records = [
            Cdr(start=start + timedelta(seconds=b), uniqueid=f"{tag}.{b}.{i}", channel=f"IAX2/{tag}-{i}",
                disposition="ANSWERED", src="201", dst="202")
            for i in range(rng.randint(1, 4))
        ]
        with engine.begin() as conn:
            if mode == "locked":
                store_batch(conn, records)
            else:
                conn.execute(cdr.insert(), [cdr_values(r) for r in records])
            time.sleep(rng.uniform(0, 0.02))  # commit late: the moment an unordered commit shows
    engine.dispose()


if __name__ == "__main__":
    main()
