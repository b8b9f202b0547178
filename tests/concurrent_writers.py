"""Several writers offering the same records at once, as overlapping live sources do."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

from calldata.cdr import Cdr
from calldata.store.cdrs import insert_cdrs
from calldata.store.engine import sync_engine


def offer_at_once(url: str, records: Sequence[Cdr], batch: int, writers: int = 4) -> list[BaseException]:
    """Each writer, on its own engine, offers every record in batches of its own shuffled order;
    what any of them raised (nothing, when each batch stores exactly what was new)."""
    problems: list[BaseException] = []

    def write(seed: int) -> None:
        mine = sync_engine(url)
        order = list(range(0, len(records), batch))
        random.Random(seed).shuffle(order)
        try:
            for first in order:
                with mine.begin() as conn:
                    insert_cdrs(conn, records[first:first + batch])
        except BaseException as exc:  # noqa: BLE001 (returned to the test)
            problems.append(exc)
        finally:
            mine.dispose()

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return problems
