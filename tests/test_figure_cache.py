"""The figure cache: one computation per key and data version, bounded, never answering across versions."""

from app.reporting.aggregates import bump_version, current_version
from app.reporting.cache import FigureCache


def test_an_entry_is_computed_once_per_data_version(session):
    cache, calls = FigureCache(), []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute(session, "k", compute) == 1
    assert cache.get_or_compute(session, "k", compute) == 1  # from the cache
    assert cache.get_or_compute(session, "other", compute) == 2
    bump_version(session)  # an import or a registry change
    assert cache.get_or_compute(session, "k", compute) == 3
    assert (cache.hits, cache.misses) == (1, 3)


def test_the_oldest_entries_go_first_and_big_results_are_not_kept(session):
    cache = FigureCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.get_or_compute(session, key, lambda key=key: key.upper())
    assert cache.get_or_compute(session, "a", lambda: "again") == "again"  # "a" was evicted
    assert cache.get_or_compute(session, "c", lambda: "not asked") == "C"
    assert cache.get_or_compute(session, "big", lambda: [0] * 10, keep=lambda v: len(v) < 5) == [0] * 10
    assert cache.get_or_compute(session, "big", lambda: "recomputed", keep=lambda v: True) == "recomputed"


def test_entries_put_for_a_new_version_replace_the_older_versions(session):
    cache = FigureCache()
    cache.get_or_compute(session, "old", lambda: 1)
    bump_version(session)
    cache.put_many(current_version(session), {"a": "A", "b": "B"})
    assert [key for _, key in cache.keys()] == ["a", "b"]  # "old" was of the previous version
    assert cache.get_or_compute(session, "a", lambda: "not asked") == "A"
