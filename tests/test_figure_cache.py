"""The figure cache: one computation per key and data version, bounded, never answering across versions."""

from sqlalchemy.orm import Session

from app import migrate
from app.access import EVERYTHING, Scope
from app.db import make_engine
from app.reporting.version import bump_version, current_version, known_version, transaction_version
from app.reporting.cache import FIGURES, FigureCache
from tests.builders import make_district, make_region, make_seller


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


def test_a_transaction_reads_the_version_once_and_again_after_it_ends(backend, empty_db_url):
    """A request's lookups share one read of the data version; another session's import shows in the
    next transaction, and this session's own count-up at once."""
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with Session(engine) as reader, Session(engine) as importer:
            start = transaction_version(reader)
            assert known_version(reader) == start
            bump_version(importer)
            importer.commit()
            assert current_version(importer) == start + 1
            assert transaction_version(reader) == start  # the same transaction: the version it read
            reader.rollback()  # a transaction ends (the request's, or a commit in it)
            assert known_version(reader) is None
            assert transaction_version(reader) == start + 1
            bump_version(reader)  # this session counts it up itself: not the version it read before
            assert known_version(reader) is None
            assert transaction_version(reader) == start + 2
    finally:
        engine.dispose()


def test_peek_answers_only_from_a_version_read_in_this_transaction(session):
    cache = FigureCache()
    cache.get_or_compute(session, "k", lambda: "K")
    assert cache.peek(session, "k") == "K"
    assert cache.peek(session, "missing") is None
    session.commit()  # a new transaction: peek may not assume the version, it would have to read it
    assert cache.peek(session, "k") is None
    assert cache.get_or_compute(session, "k", lambda: "not asked") == "K"  # read again: still the same version
    assert cache.peek(session, "k") == "K"


def test_units_are_cached_under_the_version_and_unknown_codes_are_not(session):
    from app.reporting import units as scorecards

    d1 = make_district(session, code="D1", region=make_region(session))
    s1 = make_seller(session, code="S1", district=d1)
    session.flush()
    assert scorecards.resolve_unit(session, scope=EVERYTHING, level="seller", code="S9") is None
    assert scorecards.resolve_unit(session, scope=EVERYTHING, level="seller", code="S1").code == "S1"
    assert [key for _, key in FIGURES.keys()] == [("unit", "seller", "S1")]  # no entry for S9
    s9 = make_seller(session, code="S9", name="New Seller", district=make_district(session, code="D2"))
    bump_version(session)  # what the import that adds S9 does
    found = scorecards.resolve_unit(session, scope=EVERYTHING, level="seller", code="S9")
    assert (found.id, found.name) == (s9.id, "New Seller")
    # D1's leader: S9 exists (and is cached now) but is not theirs to see; S1 is.
    leader = Scope(district_ids=frozenset({d1.id}), seller_ids=frozenset({s1.id}))
    assert scorecards.resolve_unit(session, scope=leader, level="seller", code="S9") is None
    assert scorecards.resolve_unit(session, scope=leader, level="seller", code="S1").id == s1.id
