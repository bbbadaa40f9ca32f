"""The search index (data/search_index.py) on a real DuckDB store and a real SQLite file: the query language,
stemming, snippets, injection attempts, paging, incremental refresh, and readers during a refresh."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from mediebild.data.privacy import purge_social
from mediebild.data.search_index import SearchIndex, SearchQueryError
from mediebild.data.store import Store
from mediebild.errors import UserError
from mediebild.items import Item

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
DAY = T0.date()

# id: (source, kind, lang, minutes after T0, title, text)
ITEMS = {
    "sv-evak": ("svt-se-nyheter", "editorial", "sv", 0, "Boende evakuerades efter branden",
                "Räddningstjänsten evakuerade ett hundratal personer när branden spred sig mot bostäderna."),
    "sv-evak2": ("lokalradio", "editorial", "sv", 10, "Evakueringen avslutad",
                 "Evakueringen av området är avslutad och vägen är öppen igen."),
    "sv-vag": ("trafikverket", "official", "sv", 20, "Stängd väg vid olycksplatsen",
               "Vägen är stängd i båda riktningarna. Följ polisens anvisningar och undvik området."),
    "sv-social": ("mastodon", "social", "sv", 30, "",
                  "Ser rök över skogen från balkongen, någon som vet vad som brinner?"),
    "en-evac": ("bbc-world", "editorial", "en", 5, "Residents evacuated as forest fire spreads",
                "Firefighters evacuated about a hundred people as the forest fire spread towards homes."),
    "en-road": ("bbc-world", "editorial", "en", 25, "Road closed after crash",
                "The road is closed in both directions; police advise drivers to avoid the area."),
    "en-social": ("bluesky", "social", "en", 35, "",
                  "Smoke over the forest, a fire in the forest near us? Anyone know what is burning"),
}


def item(item_id: str, source: str, kind: str, lang: str, minutes: float, title: str, text: str) -> Item:
    when = T0 + timedelta(minutes=minutes)
    return Item(id=item_id, source=source, kind=kind, url=f"https://example.org/{item_id}", title=title, text=text,
                author="someone", published_at=when, fetched_at=when, lang=lang)


def enrich(store: Store, item_id: str, *, info_type: str | None = None, tone: str | None = None,
           relevance: float | None = None, lang: str | None = None) -> None:
    store.con.execute(
        "INSERT OR REPLACE INTO enrichments (item_id, enriched_at, model_version, lang, relevance, info_type, tone) "
        "VALUES (?, ?, 'test', ?, ?, ?, ?)", [item_id, datetime(2026, 3, 2, 12), lang, relevance, info_type, tone])


def make_store(folder) -> Store:
    s = Store.open(folder / "store.duckdb", create=True)
    s.upsert_items([item(k, *v) for k, v in ITEMS.items()])
    enrich(s, "sv-vag", info_type="caution_and_advice", tone="neutral", relevance=0.9)
    enrich(s, "en-road", info_type="caution_and_advice", tone="negative", relevance=0.4)
    enrich(s, "sv-evak", info_type="affected_individuals", tone="negative", relevance=0.8)
    s.con.execute("INSERT INTO story_items (item_id, story_id, assigned_at) VALUES ('sv-evak', 'S7', now()), "
                  "('en-evac', 'S7', now())")
    return s


@pytest.fixture
def store(tmp_path):
    s = make_store(tmp_path)
    yield s
    s.close()


@pytest.fixture
def index(store, tmp_path):
    """An index of ITEMS that the test may change."""
    idx = SearchIndex(tmp_path / "search.sqlite")
    idx.refresh(store.con, None)
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """An index of ITEMS for the tests that only read."""
    folder = tmp_path_factory.mktemp("shared")
    with make_store(folder) as s, SearchIndex(folder / "search.sqlite") as idx:
        idx.refresh(s.con, None)
        yield idx


def ids(index: SearchIndex, query: str, **options) -> set[str]:
    return {h.id for h in index.search(query, limit=100, **options).hits}


def test_boolean_logic(shared):
    assert ids(shared, "skogen") == {"sv-social"}
    assert ids(shared, "evakuerades brand") == {"sv-evak"}  # terms next to each other: AND
    assert ids(shared, "road AND closed") == {"en-road"}
    assert ids(shared, "väg OR road") == {"sv-evak2", "sv-vag", "en-road"}
    assert ids(shared, "(väg OR road) NOT öppen") == {"sv-vag", "en-road"}
    assert ids(shared, "(väg OR road) -öppen") == {"sv-vag", "en-road"}
    assert ids(shared, "väg ELLER road INTE öppen") == {"sv-vag", "en-road"}
    assert ids(shared, "stängd OCH väg") == {"sv-vag"}
    assert ids(shared, "forest AND NOT fire") == set()
    assert ids(shared, "NOT (forest OR väg OR road OR rök OR evakuera)") == set()
    assert ids(shared, "title:väg") == {"sv-vag"}  # the word in the text of sv-evak2 does not count


def test_phrases_follow_word_order_and_stems(shared):
    assert ids(shared, '"forest fire"') == {"en-evac"}
    assert ids(shared, '"fire forest"') == set()
    assert ids(shared, '"vägen är stängd"') == {"sv-vag"}
    assert ids(shared, '"stängda vägar"') == {"sv-vag"}  # phrases match on stems: the title "Stängd väg"
    assert ids(shared, '"vägen stängd"') == set()  # "Vägen är stängd": not next to each other


def test_stemming_swedish_and_english(shared):
    assert ids(shared, "evakuera") == {"sv-evak"}  # evakuerades, evakuerade
    assert ids(shared, "evacuate") == {"en-evac"}  # evacuated
    assert ids(shared, "closing") == {"en-road"}  # closed / closing share the stem close
    assert ids(shared, "vägar") >= {"sv-vag"}


def test_wildcards_match_the_unstemmed_word(shared):
    assert ids(shared, "evak*") == {"sv-evak", "sv-evak2"}
    assert ids(shared, "evakuerade*") == {"sv-evak"}  # evakuerades, evakuerade; not evakueringen
    assert ids(shared, "evac* OR evak*") == {"sv-evak", "sv-evak2", "en-evac"}
    assert ids(shared, "title:evakuering*") == {"sv-evak2"}


def test_field_filters_in_the_query_and_as_options(shared):
    assert ids(shared, "evak* source:lokalradio") == {"sv-evak2"}
    assert ids(shared, "source:bbc-world") == {"en-evac", "en-road"}  # filters alone: newest first
    assert ids(shared, "source:(bbc-world OR mastodon)") == {"en-evac", "en-road", "sv-social"}
    assert ids(shared, "lang:en kind:social") == {"en-social"}
    assert ids(shared, "type:caution_and_advice") == {"sv-vag", "en-road"}
    assert ids(shared, 'type:"Varningar och råd" lang:sv') == {"sv-vag"}
    assert ids(shared, "tone:negativ") == {"en-road", "sv-evak"}
    assert ids(shared, "story:S7") == {"sv-evak", "en-evac"}
    assert ids(shared, "forest NOT kind:social") == {"en-evac"}
    assert ids(shared, "NOT source:bbc-world lang:en") == {"en-social"}
    # options AND the query's filters
    assert ids(shared, "closed OR stängd", langs=["sv"]) == {"sv-vag"}
    assert ids(shared, "closed OR stängd", info_types=["caution_and_advice"], tones=["negative"]) == {"en-road"}
    assert ids(shared, "closed OR stängd", min_relevance=0.5) == {"sv-vag"}
    assert ids(shared, "source:bbc-world", sources=["mastodon"]) == set()
    assert ids(shared, "evak* OR evac*", kinds=["editorial"], sources=["svt-se-nyheter", "bbc-world"]) == {
        "sv-evak", "en-evac"}
    assert ids(shared, "evak* OR evac*", since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=10)) == {
        "en-evac"}


def test_hits_carry_what_a_result_shows(shared):
    [hit] = shared.search("evakuera").hits
    assert hit.id == "sv-evak" and hit.source_id == "svt-se-nyheter" and hit.kind == "editorial"
    assert hit.lang == "sv" and hit.story_id == "S7" and hit.info_type == "affected_individuals"
    assert hit.tone == "negative" and hit.relevance == 0.8 and hit.url == "https://example.org/sv-evak"
    assert hit.published_at == T0 and hit.published_at.tzinfo is not None
    assert hit.score is not None and hit.score > 0


def test_ranking_puts_title_matches_first(shared):
    hits = shared.search("forest").hits  # en-social says forest twice, but only en-evac says it in its title
    assert [h.id for h in hits] == ["en-evac", "en-social"] and hits[0].score > hits[1].score


def test_snippets_are_plain_text_with_highlight_spans(store, tmp_path):
    long_text = ("Inledning utan träff. " * 30 + "Här står det att <b>[bold]boende</b> evakuerades[/bold] i natt. "
                 + "Slutord utan träff. " * 30)
    store.upsert_items([item("long", "svt", "editorial", "sv", 40, "Natt med evakuering", long_text)])
    with SearchIndex(tmp_path / "s.sqlite") as idx:
        idx.refresh(store.con, None)
        [hit] = idx.search("evakuera boende source:svt").hits
        [by_title] = idx.search("evakuering source:svt").hits
    snippet = hit.snippet
    assert len(snippet.text) < 300 and snippet.text.startswith("…") and snippet.text.endswith("…")
    highlighted = [text for text, on in snippet.parts() if on]
    assert highlighted == ["boende", "evakuerades"]
    assert "<b>[bold]" in snippet.text  # the feed's text as it is: escaping is the reader's job
    assert "".join(text for text, _ in snippet.parts()) == snippet.text
    assert [hit.title[s:e] for s, e in hit.title_highlights] == []  # evakuering is another stem than evakuera
    assert [by_title.title[s:e] for s, e in by_title.title_highlights] == ["evakuering"]


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "'", ";DROP", "'; DROP TABLE docs; --", 'x" OR "y',
                                   "NEAR(skog rök)", "{text_stem}:brand", "fts MATCH", "a\\", "^", ":", "x:",
                                   "title_stem : x", "brand^", '"brand" *', "(", ")", "-", "+", "AND", "OR x",
                                   "\x00", "rank", "rowid"])
def test_injection_attempts_are_errors_or_plain_searches(shared, query):
    before = shared.count()
    try:
        page = shared.search(query)
    except SearchQueryError as exc:
        assert str(exc) and "sqlite" not in str(exc).lower() and "fts5" not in str(exc).lower()
    else:
        assert page.total >= 0
    assert shared.count() == before and ids(shared, "evakuera") == {"sv-evak"}


def test_feed_text_with_query_syntax_is_found_as_words(store, tmp_path):
    store.upsert_items([item("odd", "x", "social", "en", 1, 'NEAR("quoted") * text',
                             "He said: 'DROP TABLE'; -- {title_stem} rank")])
    with SearchIndex(tmp_path / "s.sqlite") as idx:
        idx.refresh(store.con, None)
        assert {h.id for h in idx.search('"near quoted"').hits} == {"odd"}
        assert {h.id for h in idx.search("'drop table'").hits} == {"odd"}
        assert {h.id for h in idx.search('"title stem"').hits} == {"odd"}


@pytest.mark.parametrize("query, message", [
    ("", "empty query"),
    ("   ", "empty query"),
    ("(brand AND skog", "unbalanced parenthesis at character 1"),
    ("brand AND skog) OR x", "unbalanced parenthesis at character 15"),
    ('brand "stängd väg', "unbalanced quote at character 7"),
    ("brand AND", "ends too early"),
    ("brand OR OR skog", "unexpected 'OR' at character 10"),
    ("ev?k", "only a trailing *"),
    ("*vak", "only a trailing *"),
    ("e*", "at least 2 letters"),
    ("brand~2", "fuzzy search"),
    ('"brand skog"~3', "proximity search"),
    ("brand^2", "boosting"),
    ("[a TO b]", "ranges"),
    ("författare:anna", "unknown field 'författare' at character 1"),
    ("brand OR source:svt", "can only be joined with AND"),
    ("kind:tv", "unknown kind 'tv'"),
    ("type:gossip", "unknown type 'gossip'"),
    ("brand OR NOT skog", "NOT cannot stand alone inside OR"),
    ("(NOT skog) OR brand", "NOT needs something to subtract from"),
    ("brand && skog", "nothing to search for in '&&'"),
    ("source:ab*", "exact value"),
])
def test_malformed_queries_say_what_and_where(shared, query, message):
    with pytest.raises(SearchQueryError) as caught:
        shared.search(query)
    assert message in str(caught.value)
    assert caught.value.exit_code == 2 and isinstance(caught.value, UserError)


@pytest.fixture
def many(tmp_path):
    """A store with 60 items that all match `brand` (some with equal scores), and its index."""
    s = Store.open(tmp_path / "many.duckdb", create=True)
    s.upsert_items([item(f"m{n:02d}", f"src{n % 3}", "social", "sv", n * 0.5,
                         "brand" if n % 4 == 0 else "", "brand " * (1 + n % 5) + f"nummer {n}") for n in range(60)])
    idx = SearchIndex(tmp_path / "many.sqlite")
    idx.refresh(s.con, None)
    yield s, idx
    idx.close()
    s.close()


def page_through(idx, query, sort, limit=7, **options):
    seen, cursor, pages = [], None, 0
    while True:
        page = idx.search(query, sort=sort, limit=limit, cursor=cursor, **options)
        seen += [h.id for h in page.hits]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return seen, pages, page


@pytest.mark.parametrize("sort", ["relevance", "time"])
def test_paging_has_no_repeats_or_gaps(many, sort):
    _, idx = many
    seen, pages, last = page_through(idx, "brand", sort)
    assert len(seen) == len(set(seen)) == 60 and pages == 9 and last.total == 60
    whole = [h.id for h in idx.search("brand", sort=sort, limit=100).hits]
    assert seen == whole  # the pages are the single long list cut up
    if sort == "time":
        assert seen == [f"m{n:02d}" for n in reversed(range(60))]


def test_equal_scores_are_ordered_newest_first(many):
    _, idx = many
    hits = idx.search("nummer", limit=100).hits
    for a, b in itertools.pairwise(hits):
        assert a.score > b.score or (a.score == b.score and a.published_at > b.published_at)


def test_cursors_belong_to_their_search_and_generation(many):
    store, idx = many
    first = idx.search("brand", limit=5)
    with pytest.raises(SearchQueryError, match="another search"):
        idx.search("nummer", limit=5, cursor=first.next_cursor)
    with pytest.raises(SearchQueryError, match="another search"):
        idx.search("brand", limit=5, cursor=first.next_cursor, kinds=["social"])
    with pytest.raises(SearchQueryError, match="not a search cursor"):
        idx.search("brand", cursor="not-a-cursor")
    by_time = idx.search("brand", limit=5, sort="time")
    store.upsert_items([item("late", "src0", "social", "sv", -30, "brand", "brand igen")])  # older than all
    assert idx.refresh(store.con, [DAY]).added == 1
    with pytest.raises(UserError, match="refreshed since this cursor"):
        idx.search("brand", limit=5, cursor=first.next_cursor)
    # a newest-first cursor survives the refresh: the rest follows, without repeats, and the older item comes last
    seen = [h.id for h in by_time.hits]
    cursor = by_time.next_cursor
    while cursor:
        page = idx.search("brand", limit=5, sort="time", cursor=cursor)
        seen += [h.id for h in page.hits]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 61 and seen[-1] == "late"


def test_refresh_is_incremental(store, tmp_path):
    idx = SearchIndex(tmp_path / "inc.sqlite")
    first = idx.refresh(store.con, [DAY])
    assert (first.added, first.replaced, first.removed, first.full) == (7, 0, 0, True)
    again = idx.refresh(store.con, [DAY])
    assert (again.added, again.replaced, again.removed, again.unchanged, again.full) == (0, 0, 0, 7, False)
    assert again.generation == first.generation  # nothing changed: cursors stay valid

    unchanged_doc = idx_doc(idx, "sv-vag")
    store.upsert_items([item("en-road", "bbc-world", "editorial", "en", 25, "Road reopened after crash",
                             "The road has reopened in both directions.")])  # a new version
    enrich(store, "sv-social", tone="negative", relevance=0.3)  # enrichment changes what filters see
    purge_social(store.con, before=T0 + timedelta(minutes=36), now=T0 + timedelta(days=30))  # both social items
    store.con.execute("DELETE FROM items WHERE id = 'sv-evak2'")
    store.upsert_items([item("new", "svt", "editorial", "sv", 50, "Ny evakuering", "Fler boende evakueras.")])
    stats = idx.refresh(store.con, [DAY])
    assert (stats.added, stats.replaced, stats.removed, stats.unchanged) == (1, 1, 3, 3)
    assert stats.generation == first.generation + 1 and not stats.full
    assert idx_doc(idx, "sv-vag") == unchanged_doc  # untouched row
    assert ids(idx, "reopened") == {"en-road"} and ids(idx, "crash closed") == set()
    assert ids(idx, "rök OR smoke") == set() and ids(idx, "kind:social") == set()
    assert ids(idx, "evakuering*") == {"new"}
    assert idx.count() == 5
    idx.close()


def idx_doc(idx: SearchIndex, item_id: str) -> tuple:
    con = sqlite3.connect(idx.path)
    try:
        return con.execute("SELECT * FROM docs WHERE item_id = ?", [item_id]).fetchone()
    finally:
        con.close()


def test_refresh_only_reads_the_days_asked_and_follows_moved_items(store, index):
    store.upsert_items([item("tomorrow", "svt", "editorial", "sv", 60 * 24, "Brand i morgon", "Ny brand.")])
    assert index.refresh(store.con, [DAY]).added == 0  # not among the days asked
    assert index.refresh(store.con, [DAY + timedelta(days=1)]).added == 1
    store.con.execute("UPDATE items SET published_at = published_at - INTERVAL 1 DAY WHERE id = 'sv-vag'")
    stats = index.refresh(store.con, [DAY])  # sv-vag left the day: still in the store, so re-indexed where it is
    assert (stats.replaced, stats.removed) == (1, 0)
    [hit] = index.search("stängd väg").hits
    assert hit.published_at == T0 + timedelta(minutes=20) - timedelta(days=1)
    assert index.refresh(store.con, []).added == 0


def test_a_new_analysis_rebuilds_the_index(store, index):
    con = sqlite3.connect(index.path)
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'analyzer'")
    con.commit()
    con.close()
    stats = index.refresh(store.con, [date(2020, 1, 1)])
    assert stats.full and stats.added == 7 and index.count() == 7
    assert ids(index, "evakuera") == {"sv-evak"}


def test_readers_see_the_old_index_while_a_refresh_runs(store, index):
    """A second connection reads inside the refresh transaction (WAL): it sees the old index, not half a new one."""
    store.upsert_items([item(f"n{n}", "svt", "editorial", "sv", 40 + n, "Evakuering pågår", "Boende evakueras.")
                        for n in range(5)])
    seen_during: list[set[str]] = []

    def at_commit(statement: str) -> None:
        if statement.strip().upper() == "COMMIT" and not seen_during:
            with SearchIndex(index.path) as reader:  # its own connection to the file
                seen_during.append({h.id for h in reader.search("evakuering*", limit=50).hits})

    index._con.set_trace_callback(at_commit)  # the index's own connection: called as each statement starts
    try:
        stats = index.refresh(store.con, [DAY])
    finally:
        index._con.set_trace_callback(None)
    assert stats.added == 5
    assert seen_during == [{"sv-evak2"}]
    with SearchIndex(index.path) as reader:
        assert {h.id for h in reader.search("evakuering*", limit=50).hits} == {"sv-evak2", "n0", "n1", "n2", "n3",
                                                                              "n4"}
    assert index._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_relevance_search_with_very_many_matches_ranks_the_newest_window(many, monkeypatch):
    import mediebild.data.search_index as search_index

    _, idx = many
    assert idx.search("brand", limit=5).ranked_within is None
    monkeypatch.setattr(search_index, "RANK_WINDOW", 20)
    seen, _, last = page_through(idx, "brand", "relevance")
    newest = {f"m{n:02d}" for n in range(40, 60)}
    assert set(seen) == newest and len(seen) == 20
    assert last.ranked_within == 20 and last.total == 60  # the count still covers every match
    assert idx.search("brand", sort="time", limit=5).ranked_within is None
