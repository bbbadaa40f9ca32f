"""`mediebild search` as an analyst meets it: a table with highlighted, escaped feed text and the next page's
cursor; --json with hits and next_cursor; the digest's filters; exit 2 and one line for a malformed query."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mediebild.cli import main
from mediebild.data.search_index import SearchIndex
from mediebild.data.snapshot import snapshot_root
from mediebild.data.store import Store
from mediebild.items import Item

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # 09:00 Stockholm


def item(n: int, title: str, text: str, *, lang: str = "sv", source: str = "svt", kind: str = "editorial") -> Item:
    when = T0 + timedelta(minutes=n)
    return Item(id=f"i{n:02d}", source=source, kind=kind, url=f"https://example.org/{n}", title=title, text=text,
                author="someone", published_at=when, fetched_at=when, lang=lang)


@pytest.fixture
def db(db_path):
    with Store.open(db_path) as store:
        store.upsert_items([item(n, f"Evakuering {n}", "Boende evakuerades från området.") for n in range(25)])
        store.upsert_items([
            item(30, "[bold red]Varning[/bold red] för rök", "Stäng fönster [link=https://evil.example]här[/link]."),
            item(31, "Residents evacuated", "Smoke over the area; residents evacuated.", lang="en", source="bbc",
                 kind="social"),
        ])
        store.con.execute("INSERT INTO enrichments (item_id, enriched_at, model_version, lang, relevance, info_type, "
                          "tone) VALUES ('i30', now(), 'test', 'sv', 0.9, 'caution_and_advice', 'negative')")
        snapshot_root(db_path).mkdir()
        with SearchIndex(snapshot_root(db_path) / "search.sqlite") as index:
            index.refresh(store.con, None)
    return db_path


def run(capsys, *args):
    code = main(["search", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_escapes_feed_text_and_prints_the_cursor(db, capsys):
    code, out, err = run(capsys, "rök OR smoke", "--db", str(db))
    assert code == 0, err
    assert "2 träffar" in out
    assert "[bold red]Varning[/bold red]" in out and "[link=https://evil.example]" in out  # shown, not obeyed
    code, out, _ = run(capsys, "evakuera", "--db", str(db), "--limit", "5")
    assert "25 träffar" in out and "--cursor " in out


def test_json_pages_through_every_hit_once(db, capsys):
    seen, cursor = [], None
    while True:
        args = ["evakuera", "--db", str(db), "--json", "--limit", "10"] + (["--cursor", cursor] if cursor else [])
        code, out, err = run(capsys, *args)
        assert code == 0, err
        page = json.loads(out)
        seen += [h["id"] for h in page["hits"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 25 and page["total"] == 25
    hit = page["hits"][0]
    assert set(hit) >= {"id", "published_at", "source_id", "kind", "lang", "title", "url", "story_id", "info_type",
                        "tone", "relevance", "score", "snippet", "title_highlights"}
    start, end = hit["snippet"]["highlights"][0]
    assert hit["snippet"]["text"][start:end].lower().startswith("evakuer")


def test_filters_use_the_digests_names_and_values(db, capsys):
    def found(*args):
        code, out, err = run(capsys, "evakuera OR evacuate OR rök", "--db", str(db), "--json", *args)
        assert code == 0, err
        return {h["id"] for h in json.loads(out)["hits"]}

    assert found("--kind", "social") == {"i31"}
    assert found("--lang", "en") == {"i31"} == found("--item-lang", "en")
    assert found("--source", "bbc,none") == {"i31"}
    assert found("--type", "Varningar och råd") == {"i30"} == found("--info-type", "caution_and_advice")
    assert found("--tone", "negativ") == {"i30"}
    assert found("--min-relevance", "0.5") == {"i30"}
    assert found("--since", "2026-03-02T09:24", "--until", "2026-03-02T09:31") == {"i24", "i30"}
    assert len(found("--sort", "time")) == 20


@pytest.mark.parametrize("args, message", [
    (["(evakuera"], "unbalanced parenthesis at character 1"),
    (['"evakuera'], "unbalanced quote at character 1"),
    (["evakuera AND"], "ends too early"),
    (["evakuera", "--cursor", "nonsense"], "not a search cursor"),
    (["evakuera", "--kind", "tv"], "--kind: unknown value 'tv'"),
    (["evakuera", "--sort", "popularity"], "--sort must be relevance or time"),
    (["evakuera", "--min-relevance", "2"], "not between 0 and 1"),
    (["evakuera", "--since", "igår"], "not a time"),
])
def test_bad_queries_and_options_exit_2_with_one_line(db, capsys, args, message):
    code, out, err = run(capsys, args[0], "--db", str(db), *args[1:])
    assert code == 2 and out == ""
    assert err.startswith("mediebild: error: ") and message in err and err.count("\n") == 1


def test_no_index_yet_says_so(tmp_path, capsys):
    code, _, err = run(capsys, "brand", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "no database" in err


def test_help_has_examples(capsys):
    code = main(["search", "--help"])
    out = capsys.readouterr().out
    assert code == 0 and "mediebild search" in out and "--cursor" in out and "--type" in out
