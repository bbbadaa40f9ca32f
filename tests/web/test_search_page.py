"""Sök och trender over plain HTTP: search with highlights, escaping and paging, a malformed query shown with the
form kept (400), trends as a chart (image/svg+xml) and a table that sums, the top lists linking to a search, on the
room's database (not enriched) and on the enriched incident database (entities, words, relevant only)."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import login

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


def hit_ids(page: str) -> list[str]:
    return re.findall(r'<li class="hit [^"]*" id="hit-([^"]+)"', page)


def test_a_search_returns_highlighted_hits_linked_to_their_story(client_for):
    client = client_for("rolf")  # a reader: the page only reads
    answer = client.get("/sok", params={"q": "explosion"})
    assert answer.status_code == 200
    assert len(hit_ids(answer.text)) > 0
    assert "<mark>explosion</mark>" in answer.text.lower()
    assert re.search(r'<h3><a href="/berattelse/S\d+">', answer.text)
    assert 'value="explosion"' in answer.text  # the form keeps the query


def test_feed_text_and_the_query_are_escaped(client_for):
    client = client_for("anna")
    answer = client.get("/sok", params={"q": "Centralen", "sort": "time"})
    assert "evil-1" in answer.text or "copy-1" in answer.text  # the item whose title carries <script> and <img>
    main = answer.text.split('<main id="main">', 1)[1]
    assert "&lt;script&gt;alert(" in main
    assert re.search(r"<script|<img", main) is None


def test_a_malformed_query_is_a_400_with_the_message_and_the_form(client_for):
    client = client_for("anna")
    answer = client.get("/sok", params={"q": "(brand AND"})
    assert answer.status_code == 400
    assert 'id="problem"' in answer.text and "character 1" in answer.text
    assert 'value="(brand AND"' in answer.text and 'id="search-form"' in answer.text
    evil = client.get("/sok", params={"q": "<script>alert(1)</script>"})
    assert evil.status_code == 400
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in evil.text
    assert "<script>alert(1)" not in evil.text
    assert client.get("/sok", params={"q": "x", "since": "igår"}).status_code == 400


def test_paging_follows_the_cursor_without_repeating_a_hit(client_for):
    client = client_for("anna")
    first = client.get("/sok", params={"q": "Centralen OR Slussen", "sort": "time"})
    ids = hit_ids(first.text)
    assert len(ids) == 20
    found = re.search(r'href="([^"]+)" rel="next" id="next-page"', first.text)
    assert found, "no next page"
    link = htmllib.unescape(found.group(1))
    assert parse_qs(urlsplit(link).query)["q"] == ["Centralen OR Slussen"]
    second = client.get(link)
    assert second.status_code == 200
    more = hit_ids(second.text)
    assert more and not set(more) & set(ids)
    assert "Första sidan" in second.text


def test_trends_give_a_chart_and_a_table_that_sums(client_for):
    client = client_for("anna")
    params = {"queries": "explosion\nSlussen, \"tunnelbanan stängd\"", "by": "15min", "period": "24h"}
    answer = client.get("/sok/trender", params=params)
    assert answer.status_code == 200
    table = answer.text.split('id="trend-table"', 1)[1].split("</table>", 1)[0]
    body, foot = table.split("<tfoot>", 1)
    assert body.count("<th scope=\"col\" class=\"num\">") == 4  # all items and three queries
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", body, re.DOTALL)
    cells = [[int(c) for c in re.findall(r'data-count="(\d+)"', row)] for row in rows]
    totals = [int(re.search(r'<td class="num total">(\d+)</td>', row).group(1)) for row in rows]
    sums = [int(c) for c in re.findall(r'data-count="(\d+)"', foot)]
    assert sums == [sum(col) for col in zip(*cells)] and sums[0] > 0
    assert int(re.search(r'id="sum-all">(\d+)<', foot).group(1)) == sum(totals)
    assert all(c <= t for row, t in zip(cells, totals) for c in row)
    src = htmllib.unescape(re.search(r'<img id="trend-chart" src="([^"]+)"', answer.text).group(1))
    chart = client.get(src)
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.text.count("<polyline") == 4 and "tunnelbanan stängd" in chart.text and "<script" not in chart.text
    share = client.get(src + "&show=share")
    assert share.status_code == 200 and "%" in share.text and share.text.count("<polyline") == 3


def test_the_top_lists_link_to_a_search_and_to_stories(client_for):
    client = client_for("anna")
    answer = client.get("/sok/topp", params={"period": "24h", "kind": "editorial"})
    assert answer.status_code == 200
    for what in ("sources", "entities", "places", "organisations", "people", "hashtags", "words", "stories"):
        assert f'id="top-{what}"' in answer.text
    sources = answer.text.split('id="top-sources"', 1)[1].split("</section>", 1)[0]
    link = htmllib.unescape(re.search(r'<a href="(/sok\?[^"]+)">', sources).group(1))
    state = parse_qs(urlsplit(link).query)
    assert state["q"][0].startswith("source:") and state["kind"] == ["editorial"] and state["period"] == ["24h"]
    assert hit_ids(client.get(link).text)
    stories = answer.text.split('id="top-stories"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'<a href="/berattelse/S\d+">', stories)
    assert "ny" in answer.text  # nothing in the period before the room's three hours


def test_english_and_unknown_filter_values(client_for):
    client = client_for("anna")
    client.get("/sprak/en?next=/sok")
    answer = client.get("/sok", params={"q": "explosion", "kind": ["social", "nonsense"], "tone": "furious"})
    assert answer.status_code == 200 and "Search and trends" in answer.text
    main = answer.text.split('<main id="main">', 1)[1]
    assert 'value="social" checked' in main and "nonsense" not in main and "furious" not in main
    assert all("kind-row-social" in li for li in re.findall(r'<li class="hit [^"]*"', answer.text))


@pytest.fixture
def analyst_client(analyst_db):
    """A client of the page on the enriched incident database (entities, words, relevance)."""
    from starlette.testclient import TestClient

    from mediebild.data.access import Snapshots
    from mediebild.flows.serve import web_services
    from mediebild.web.app import create_app
    from mediebild.web.config import WebSettings

    access = Snapshots(analyst_db, settle=0, poll=0.1, write_timeout=10).start()
    client = TestClient(create_app(WebSettings(allowed_hosts=["testserver"]), access, web_services()),
                        follow_redirects=False)
    assert login(client, "anna").status_code == 303
    yield client
    client.close()
    access.close()


def test_entities_and_words_run_a_search_and_relevant_only_narrows_it(analyst_client):
    answer = analyst_client.get("/sok/topp", params={"period": "7d"})
    assert answer.status_code == 200
    for what in ("places", "words"):
        section = answer.text.split(f'id="top-{what}"', 1)[1].split("</section>", 1)[0]
        link = htmllib.unescape(re.search(r'<a href="(/sok\?[^"]+)">', section).group(1))
        found = analyst_client.get(link)
        assert found.status_code == 200 and hit_ids(found.text), (what, link)
        assert "<mark>" in found.text
    everything = analyst_client.get("/sok", params={"q": "Slussen OR Centralen", "period": "7d"})
    relevant = analyst_client.get("/sok", params={"q": "Slussen OR Centralen", "period": "7d", "relevant": "1"})
    count = lambda page: int(re.search(r'id="result-count">(\d+)', page.text).group(1))
    assert relevant.status_code == 200 and 0 < count(relevant) <= count(everything)
    assert 'name="relevant" value="1" checked' in relevant.text


def test_a_new_published_version_is_read_at_the_next_search(client_for, room_db):
    import room_data

    from mediebild.data.snapshot import current_version, publish_database, snapshot_root

    client = client_for("anna")
    assert "Inga träffar" in client.get("/sok", params={"q": "\"öppnar igen\""}).text  # publishes the first version
    first = current_version(snapshot_root(room_db))
    new_ids = room_data.add_pass(room_db, n=3)
    publish_database(room_db)  # what the pass does when it finishes
    assert current_version(snapshot_root(room_db)) != first
    answer = client.get("/sok", params={"q": "\"öppnar igen\"", "sort": "time"})
    assert set(hit_ids(answer.text)) == set(new_ids)
