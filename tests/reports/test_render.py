"""Rendering: feed text comes out inert in every format, å ä ö survive every format (PDF included),
an empty hour says so plainly, HTML is self-contained and JSON carries its schema version."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from markdown_it import MarkdownIt

from mediebild.reports.brief import build_brief
from mediebild.reports.digest import build_digest
from mediebild.reports.render import md_escape, md_link, parse_formats, render_all, safe_url
from mediebild.errors import UserError


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def digest_docs(hour_store, sample):
    data = build_digest(hour_store.con, period_start=sample.hour, period_end=sample.hour + timedelta(hours=1),
                        now=sample.hour + timedelta(hours=1, minutes=2))
    return data, render_all(data, ("html", "md", "json"))


def assert_inert_html(html: str) -> None:
    assert "<script>" not in html and "<script " not in html
    assert "<img" not in html
    assert 'href="javascript:' not in html.lower()
    assert not re.search(r"<[^>]*\sonerror\s*=", html, re.IGNORECASE)


def test_feed_text_is_inert_in_html(digest_docs):
    _, docs = digest_docs
    html = docs["html"].decode()
    assert_inert_html(html)
    assert "&lt;script&gt;" in html  # shown, not run
    assert "nyheter.example.se/a/08/0" in html  # good links stay links


def test_feed_text_is_inert_in_markdown(digest_docs):
    _, docs = digest_docs
    md = docs["md"].decode()
    assert "](javascript:" not in md
    assert not re.search(r"(?<!\\)<(script|img)", md)  # every feed "<" is backslash-escaped
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert_inert_html(rendered)
    assert "<strong>fet</strong>" not in rendered  # feed emphasis does not become markup
    # the feed's "# rubrik" did not start a heading
    assert all("rubrik" not in h for h in re.findall(r"<h\d>(.*?)</h\d>", rendered))


def test_feed_text_is_plain_data_in_json(digest_docs, sample):
    data, docs = digest_docs
    doc = json.loads(docs["json"])
    assert doc["schema"] == "mediebild.digest/1"
    assert doc["period"]["start"] == "2016-03-22T08:00:00Z"
    titles = [i["title"] for i in doc["newest"]]
    assert sample.evil_title in titles  # the data, unchanged; consumers escape for their medium
    assert doc["figures"]["current"]["items"] == len(data["item_ids"]) == 14


def test_swedish_letters_survive_every_format(digest_docs, sample):
    _, docs = digest_docs
    for fmt in ("html", "md", "json"):
        text = docs[fmt].decode("utf-8")
        assert "Ölandsgatan, åäö ÅÄÖ" in text, fmt
        assert "Läget i siffror" in text or fmt == "json"


def test_pdf_keeps_swedish_letters_and_is_inert(digest_docs):
    data, _ = digest_docs
    body = render_all(data, ("pdf",))["pdf"]
    assert body.startswith(b"%PDF")
    assert b"/JavaScript" not in body and b"/JS " not in body
    assert b"javascript:" not in body.lower()
    text = pdf_text(body)
    assert "Ölandsgatan" in text and "åäö" in text and "ÅÄÖ" in text
    assert "Läget i siffror" in text
    assert "<script>" in text  # shown as text, the way it was published


def test_empty_hour_says_so_plainly(store, sample):
    start = sample.hour + timedelta(hours=5)
    data = build_digest(store.con, period_start=start, period_end=start + timedelta(hours=1))
    assert data["empty"]
    docs = render_all(data, ("html", "md", "json"))
    assert "Inga poster publicerades under perioden." in docs["html"].decode()
    assert "Inga poster publicerades under perioden." in docs["md"].decode()
    assert "Ingen hämtning kördes under perioden" in docs["md"].decode()  # silence is not news
    en = render_all(build_digest(store.con, period_start=start, period_end=start + timedelta(hours=1), lang="en"), ("md",))
    assert "No items were published during the period." in en["md"].decode()


def test_html_is_self_contained_with_inline_svg(digest_docs):
    _, docs = digest_docs
    html = docs["html"].decode()
    assert "<svg" in html and "<rect" in html
    assert not re.search(r"""(src|href)=["'](?!https?://|#)""", html)  # nothing to load
    assert "<link" not in html and "<script" not in html
    assert "@page" in html and "@media print" in html


def test_failing_source_is_named(digest_docs):
    data, docs = digest_docs
    assert [f["source_id"] for f in data["failing"] if f["status"] == "failed"] == ["trasig"]
    assert "Trasig källa" in docs["md"].decode() and "http\\_500" in docs["md"].decode()


def test_copies_stand_in_for_stories_before_clustering(digest_docs):
    data, _ = digest_docs
    assert data["stories_from"] == "copies"
    by_headline = {s["headline"]: s for s in data["top_stories"]}
    assert by_headline["TT: Flygplatsen i Bryssel stängd"]["n_outlets"] == 2
    assert data["top_stories"][0]["n_outlets"] == 3  # the most widely carried first


def test_english_digest(hour_store, sample):
    data = build_digest(hour_store.con, period_start=sample.hour, period_end=sample.hour + timedelta(hours=1), lang="en")
    md = render_all(data, ("md",))["md"].decode()
    assert "22 March 2016" in md and "Sources that could not be read" in md


def test_brief_renders_and_escapes(hour_store, sample):
    data = build_brief(hour_store.con, until=sample.hour + timedelta(hours=1))
    assert len(data["now_lines"]) == 5
    docs = render_all(data, ("html", "md"))
    assert_inert_html(docs["html"].decode())
    assert_inert_html(MarkdownIt("commonmark").render(docs["md"].decode()))
    assert "Medieläget nu" in docs["html"].decode()


def test_markdown_helpers():
    assert md_escape("a*b_c[d](e)<f>#g|h`i") == r"a\*b\_c\[d\]\(e\)\<f\>\#g\|h\`i"
    assert md_escape("två\nrader") == "två rader"
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("x", "https://a.se/p (1)") == "x"  # white space: not a safe URL
    assert md_link("x", "https://a.se/p(1)") == "[x](https://a.se/p%281%29)"
    assert safe_url("HTTPS://a.se/") and not safe_url("data:text/html,x") and not safe_url('https://a.se/"x')


def test_parse_formats():
    assert parse_formats("html, md,pdf") == ("html", "md", "pdf")
    assert parse_formats("markdown") == ("md",)
    with pytest.raises(UserError):
        parse_formats("docx")


def test_label_names_come_from_the_one_label_table():
    from mediebild.labels import INFO_TYPES, LABELS_EN, LABELS_SV, SOURCE_TYPES, TONES
    from mediebild.reports.texts import label

    for key in (*INFO_TYPES, *SOURCE_TYPES):
        assert label(key, "sv") == LABELS_SV[key]
        assert label(key, "en") == LABELS_EN[key]
    assert [label(t, "sv") for t in TONES] == ["negativ", "neutral", "positiv"]
    assert label("term", "en") == "Rising term"  # an alert kind: the reports' own word
    assert label("some_new_label", "sv") == "Some new label"


def test_a_confirmed_story_says_since_when_and_its_words_stay_inert(digest_docs):
    data, _ = digest_docs
    story = dict(data["top_stories"][0], rumour=False,
                 confirmed='bekräftat sedan 13:05 (myndighet: "<script>bekräftar</script>")')
    bodies = render_all({**data, "top_stories": [story]}, ("html", "md"))
    html, md = bodies["html"].decode(), bodies["md"].decode()
    assert 'class="tag confirmed">bekräftat sedan 13:05' in html
    assert_inert_html(html)
    assert "bekräftat sedan 13:05" in md and "<script>" not in md
