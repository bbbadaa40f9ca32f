"""`mediebild sources add|import|update` as a newsroom's feed list meets it: many feeds on one host."""

from __future__ import annotations

import json

from mediebild.cli import main

SECTIONS = ("nyheter", "sport", "kultur", "ekonomi", "lokalt/stockholm", "utrikes", "vader")


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out if "--json" in args else " ".join(out.split()), err


def listed(db, capsys):
    code, out, _ = run(["sources", "list", "--json", "--db", str(db)], capsys)
    assert code == 0
    return json.loads(out)


def serve_seven_feeds(httpserver):
    """Seven feeds from one host; each has 5 articles of its own and shares one with the next section."""
    urls = set()
    for n, section in enumerate(SECTIONS):
        own = [f"https://tidning.example/{section}/{i}" for i in range(5)]
        shared = f"https://tidning.example/delad/{(n + 1) % len(SECTIONS)}"
        mine = f"https://tidning.example/delad/{n}"
        links = own + [shared, mine]
        urls.update(links)
        body = "".join(f"<item><title>{section} {link}</title><link>{link}</link></item>" for link in links)
        httpserver.expect_request(f"/{section}/rss.xml").respond_with_data(
            f'<rss version="2.0"><channel><title>{section}</title>{body}</channel></rss>',
            content_type="application/rss+xml",
        )
    return urls


def test_the_issue_commands_keep_two_sources(db_path, capsys):
    assert run(["sources", "add", "https://www.svt.se/nyheter/rss.xml", "--db", str(db_path)], capsys)[0] == 0
    code, out, _ = run(["sources", "add", "https://www.svt.se/sport/rss.xml", "--db", str(db_path)], capsys)
    assert code == 0 and "Lade till" in out and "svt-se-sport" in out
    assert [(s["id"], s["url"]) for s in listed(db_path, capsys)] == [
        ("svt-se-nyheter", "https://www.svt.se/nyheter/rss.xml"),
        ("svt-se-sport", "https://www.svt.se/sport/rss.xml"),
    ]
    code, out, _ = run(["sources", "add", "https://www.svt.se/sport/rss.xml", "--db", str(db_path)], capsys)
    assert code == 0 and "finns redan" in out and len(listed(db_path, capsys)) == 2


def test_a_name_clash_keeps_both_and_replace_must_be_asked_for(db_path, capsys):
    for section in ("nyheter", "sport"):
        code, out, _ = run(["sources", "add", f"https://www.svt.se/{section}/rss.xml", "--name", "SVT",
                            "--db", str(db_path)], capsys)
        assert code == 0
    assert {(s["id"], s["name"]) for s in listed(db_path, capsys)} == {("svt", "SVT"), ("svt-2", "SVT (2)")}
    code, _, err = run(["sources", "add", "https://www.svt.se/kultur/rss.xml", "--id", "svt", "--db", str(db_path)], capsys)
    assert code == 2 and "--replace" in err
    code, out, _ = run(["sources", "add", "https://www.svt.se/kultur/rss.xml", "--id", "svt", "--replace",
                        "--db", str(db_path)], capsys)
    assert code == 0 and "Ersatte" in out
    assert {s["url"] for s in listed(db_path, capsys)} == {"https://www.svt.se/kultur/rss.xml", "https://www.svt.se/sport/rss.xml"}
    code, _, _ = run(["sources", "update", "svt-2", "--name", "SVT Sport", "--db", str(db_path)], capsys)
    assert code == 0 and "SVT Sport" in {s["name"] for s in listed(db_path, capsys)}


def test_seven_feeds_on_one_host_store_every_unique_item_via_add(db_path, httpserver, capsys):
    urls = serve_seven_feeds(httpserver)
    for section in SECTIONS:
        assert run(["sources", "add", httpserver.url_for(f"/{section}/rss.xml"), "--db", str(db_path)], capsys)[0] == 0
    assert len(listed(db_path, capsys)) == 7
    code, out, _ = run(["ingest", "--engine", "plain", "--json", "--db", str(db_path)], capsys)
    assert code == 0 and json.loads(out)["items_new"] == len(urls)


def test_seven_feeds_on_one_host_via_opml(db_path, httpserver, tmp_path, capsys):
    urls = serve_seven_feeds(httpserver)
    outlines = "".join(f'<outline text="Tidningen" xmlUrl="{httpserver.url_for(f"/{s}/rss.xml")}"/>' for s in SECTIONS)
    opml = tmp_path / "tidningen.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>', encoding="utf-8")
    code, out, _ = run(["sources", "import", str(opml), "--db", str(db_path)], capsys)
    assert code == 0 and "7 nya" in out
    sources = listed(db_path, capsys)
    assert len(sources) == 7 and len({s["name"] for s in sources}) == 7
    assert any(s["id"].endswith("lokalt-stockholm") for s in sources)
    code, out, _ = run(["sources", "import", str(opml), "--db", str(db_path)], capsys)
    assert code == 0 and "7 fanns redan" in out and len(listed(db_path, capsys)) == 7
    code, out, _ = run(["ingest", "--engine", "plain", "--json", "--db", str(db_path)], capsys)
    assert code == 0 and json.loads(out)["items_new"] == len(urls)


def test_api_sources_by_kind_query_and_filters(db_path, capsys):
    """Two Polisen sources for two counties are two sources; the documented base is the default URL."""
    for county in ("Stockholms län", "Uppsala län"):
        code, out, _ = run(["sources", "add", "--kind", "polisen", "--option", f"locations={county}", "--db", str(db_path)], capsys)
        assert code == 0 and "Lade till" in out
    code, out, _ = run(["sources", "add", "--kind", "polisen", "--option", "locations=Uppsala län", "--db", str(db_path)], capsys)
    assert "finns redan" in out
    code, _, _ = run(["sources", "add", "http://127.0.0.1:9/", "--kind", "mastodon", "--query", "#bryssel #brussels",
                      "--option", "instances=https://a.example;https://b.example", "--db", str(db_path)], capsys)
    assert code == 0
    by_id = {s["id"]: s for s in listed(db_path, capsys)}
    assert by_id["polisen-stockholms-lan"]["url"] == "https://polisen.se/api/events"
    assert by_id["polisen-stockholms-lan"]["item_kind"] == "official"
    mastodon = by_id["mastodon-bryssel-brussels"]
    assert mastodon["item_kind"] == "social" and mastodon["query"] == "#bryssel #brussels"
    assert mastodon["options"] == {"instances": ["https://a.example", "https://b.example"]}
    code, _, err = run(["sources", "add", "--db", str(db_path)], capsys)
    assert code == 2 and "URL" in err
    code, _, err = run(["sources", "add", "--kind", "polisen", "--option", "nonsense", "--db", str(db_path)], capsys)
    assert code == 2 and "key=value" in err


def test_health_shows_an_api_sources_next_allowed_call(db_path, capsys):
    from datetime import datetime, timedelta, timezone

    from mediebild.data.store import Store

    assert run(["sources", "add", "--kind", "polisen", "--option", "locations=Gotlands län", "--db", str(db_path)], capsys)[0] == 0
    soon = datetime.now(timezone.utc) + timedelta(minutes=7)
    with Store.open(db_path) as store:
        store.record_fetch(source_id="polisen-gotlands-lan", run_id="r", started_at=soon, finished_at=soon, http_status=429,
                           size=0, not_modified=False, items=[], problems=[], ok=True,
                           cursor={"pacing": {"next_call_at": soon.isoformat()}, "ratelimit": {"limit": 60, "remaining": 0}})
    code, out, _ = run(["sources", "health", "--json", "--db", str(db_path)], capsys)
    row = json.loads(out)[0]
    assert row["next_call_at"].startswith(soon.strftime("%Y-%m-%dT%H:%M")) and row["rate_limit"]["remaining"] == 0
    from mediebild.cli.sources import budget

    assert budget({**row, "next_call_at": soon}).startswith("väntar till") and budget({**row, "next_call_at": None}) == "0/60 kvar"
    assert run(["sources", "health", "--db", str(db_path)], capsys)[0] == 0
