"""KeyCache: what it keeps, and what it refuses to keep (a lookup that raced a change, no listener)."""

from __future__ import annotations

from calldata.auth.key_cache import KeyCache

ROWS = [{"id": 1}]


def listening_cache(max_keys: int = 10) -> KeyCache:
    cache = KeyCache(max_keys)
    cache.set_listening(True)
    return cache


def test_rows_are_kept_only_while_a_change_would_be_heard() -> None:
    cache = KeyCache()
    cache.keep("a", ROWS, cache.generation)
    assert cache.get("a") is None  # nothing listens yet
    cache.set_listening(True)
    cache.keep("a", ROWS, cache.generation)
    assert cache.get("a") == ROWS
    cache.set_listening(False)  # the listener's connection is lost: a change may go unheard
    assert cache.get("a") is None
    cache.keep("a", ROWS, cache.generation)
    assert cache.get("a") is None


def test_a_lookup_that_raced_a_change_is_not_kept() -> None:
    cache = listening_cache()
    generation = cache.generation  # the lookup starts...
    cache.changed()  # ...a change is heard while its rows travel...
    cache.keep("a", ROWS, generation)  # ...and they may be from before it
    assert cache.get("a") is None
    cache.keep("a", ROWS, cache.generation)
    assert cache.get("a") == ROWS


def test_a_heard_change_drops_every_key() -> None:
    cache = listening_cache()
    for key in "abc":
        cache.keep(key, ROWS, cache.generation)
    cache.changed()
    assert len(cache) == 0 and all(cache.get(key) is None for key in "abc")


def test_an_unknown_key_is_not_kept() -> None:
    """Keys nobody holds would otherwise fill the cache (a guesser's)."""
    cache = listening_cache()
    cache.keep("guess", [], cache.generation)
    assert len(cache) == 0


def test_the_least_recently_used_key_goes_first() -> None:
    cache = listening_cache(max_keys=2)
    cache.keep("a", ROWS, cache.generation)
    cache.keep("b", ROWS, cache.generation)
    assert cache.get("a") == ROWS  # a used again: b is now the oldest
    cache.keep("c", ROWS, cache.generation)
    assert cache.get("b") is None and cache.get("a") == ROWS and cache.get("c") == ROWS


def test_forget_drops_one_key() -> None:
    cache = listening_cache()
    cache.keep("a", ROWS, cache.generation)
    cache.keep("b", ROWS, cache.generation)
    cache.forget("a")
    cache.forget("never kept")
    assert cache.get("a") is None and cache.get("b") == ROWS
