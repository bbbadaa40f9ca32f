"""The replay server's platform APIs over real HTTP: each answers in its documented shape at a simulated time.

Posts and notices appear as the clock passes their publish time, paging reaches the end, the Krisinformation
VMA is edited to an all clear under the same Identifier, and the platforms that need credentials refuse
anything but the run's exercise credentials. The last test reads every platform with the project's own
monitors, so "the documented shape" is the one the monitors were written against.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from mediebild.demo.credentials import DemoCredentials
from mediebild.demo.scenario import load_scenario
from mediebild.demo.server import ReplayServer
from mediebild.timeutil import STOCKHOLM

UA = {"User-Agent": "python:mediebild:test (by /u/ovning)"}
POLITE = {"User-Agent": "mediebild/test (tests; contact: ovning@mediebild.invalid)"}


@pytest.fixture(scope="module")
def sc():
    return load_scenario()


@pytest.fixture()
def srv(sc):
    with ReplayServer(sc) as server:
        yield server


@pytest.fixture()
def http():
    with httpx.Client(timeout=5) as client:
        yield client


def at(hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, 3, 24, hour, minute, tzinfo=STOCKHOLM)


def x_search(srv, http, token=None, **params):
    params = {"query": "#bryssel OR #brussels OR #stockholm", "max_results": 100, **params}
    token = srv.credentials.x_bearer_token if token is None else token
    return http.get(srv.url("x-sok") + "/2/tweets/search/recent", params=params,
                    headers={"Authorization": f"Bearer {token}"})


def test_credentials_are_fresh_and_never_printed():
    first, second = DemoCredentials.generate(), DemoCredentials.generate()
    assert not set(first.values()) & set(second.values())
    assert all(value not in repr(first) for value in first.values())


def test_x_recent_search(sc, srv, http):
    refused = x_search(srv, http, token="ovning-fel")
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Unauthorized"
    assert http.get(srv.url("x-sok") + "/2/tweets/search/recent", params={"query": "a"}).status_code == 401
    assert x_search(srv, http, query="").status_code == 400

    srv.set_clock(at("07:05"))  # the first post on X is at 07:12
    early = x_search(srv, http)
    assert early.status_code == 200 and "data" not in early.json() and early.json()["meta"] == {"result_count": 0}
    assert int(early.headers["x-rate-limit-remaining"]) < int(early.headers["x-rate-limit-limit"]) == 450
    srv.set_clock(at("08:30"))
    answer = x_search(srv, http).json()
    ids = [tweet["id"] for tweet in answer["data"]]
    assert sc.item("sb-04").post_id in ids and ids == sorted(ids, key=int, reverse=True)
    assert answer["meta"]["result_count"] == len(ids) and answer["meta"]["newest_id"] == ids[0]
    retweet = next(t for t in answer["data"] if t["id"] == sc.item("sb-05").post_id)
    assert retweet["text"].startswith("RT @marie_bxl: ")
    assert retweet["referenced_tweets"] == [{"type": "retweeted", "id": sc.item("sb-04").post_id}]
    assert sc.item("sb-04").post_id in {t["id"] for t in answer.get("includes", {}).get("tweets", [])} | set(ids)
    assert {"marie_bxl", "pettersson_k"} <= {u["username"] for u in answer["includes"]["users"]}

    srv.set_clock(at("19:00"))  # paging with next_token to the end, then since_id for what is newer
    seen, token = [], None
    while True:
        page = x_search(srv, http, max_results=10, **({"next_token": token} if token else {})).json()
        seen += [t["id"] for t in page["data"]]
        token = page["meta"].get("next_token")
        if not token:
            break
    assert len(seen) == len(set(seen)) == 42
    since = sc.item("sb-35").post_id
    newer = x_search(srv, http, since_id=since).json()
    expected = {item.post_id for item in sc.items_of("x-sok") if int(item.post_id) > int(since)}
    assert {t["id"] for t in newer["data"]} == expected and len(expected) >= 3


def test_mastodon_tag_timeline(sc, srv, http):
    base = srv.url("mastodon-sthlm") + "/api/v1/timelines/tag/"
    srv.set_clock(at("11:00"))
    page = http.get(base + "stockholm", params={"limit": 3})
    assert page.status_code == 200 and len(page.json()) == 3
    status = page.json()[0]
    assert {"id", "created_at", "uri", "url", "content", "account", "tags", "reblog", "favourites_count"} <= set(status)
    assert status["url"].startswith("https://sthlm.social/@") and 'class="mention hashtag"' in status["content"]
    assert {"stockholm"} <= {tag["name"] for tag in status["tags"]}
    assert 'rel="next"' in page.headers["link"] and 'rel="prev"' in page.headers["link"]
    assert page.headers["x-ratelimit-reset"].endswith("Z")
    newest = status["id"]
    srv.set_clock(at("12:30"))  # min_id: only what came after, oldest first in the answer's window
    newer = http.get(base + "stockholm", params={"min_id": newest, "limit": 40}).json()
    assert newer and all(int(s["id"]) > int(newest) for s in newer)
    assert {s["url"] for s in newer} == {sc.item("ss-26").url, sc.item("ss-28").url}  # on Mastodon since 11:00
    assert http.get(base + "finnsinte").json() == []
    rss = http.get(srv.url("mastodon-sthlm") + "/tags/bryssel.rss")
    assert rss.status_code == 200 and rss.headers["content-type"].startswith("application/rss+xml")


def test_bluesky_session_and_search(sc, srv, http):
    creds = srv.credentials
    base = srv.url("bluesky-sok") + "/xrpc/"
    wrong = http.post(base + "com.atproto.server.createSession", json={"identifier": creds.bluesky_handle, "password": "fel"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "AuthenticationRequired"
    srv.set_clock(at("10:00"))
    session = http.post(base + "com.atproto.server.createSession",
                        json={"identifier": creds.bluesky_handle, "password": creds.bluesky_app_password}).json()
    assert {"did", "handle", "accessJwt", "refreshJwt"} <= set(session)
    search = base + "app.bsky.feed.searchPosts"
    assert http.get(search, params={"q": "bryssel"}).json()["error"] == "AuthMissing"
    auth = {"Authorization": f"Bearer {session['accessJwt']}"}
    answer = http.get(search, params={"q": "bryssel OR stockholm", "limit": 1}, headers=auth)
    assert answer.status_code == 200 and answer.headers["ratelimit-policy"] == "3000;w=300"
    first = answer.json()
    post = first["posts"][0]
    assert post["uri"].startswith("at://did:plc:") and post["author"]["handle"].endswith(".bsky.social")
    for facet in post["record"].get("facets", []):  # UTF-8 byte offsets
        index = facet["index"]
        tag = post["record"]["text"].encode("utf-8")[index["byteStart"]:index["byteEnd"]].decode("utf-8")
        assert tag == "#" + facet["features"][0]["tag"]
    uris, cursor = [post["uri"]], first["cursor"]
    while cursor:
        page = http.get(search, params={"q": "bryssel OR stockholm", "limit": 1, "cursor": cursor}, headers=auth).json()
        uris += [p["uri"] for p in page["posts"]]
        cursor = page.get("cursor")
    assert len(uris) == len(set(uris)) == 2 == first["hitsTotal"]  # sb-02 06:50, sb-15 09:19; sb-24 at 10:33
    srv.set_clock(at("12:01"))  # the access token lives two simulated hours
    expired = http.get(search, params={"q": "bryssel"}, headers=auth)
    assert expired.status_code == 400 and expired.json()["error"] == "ExpiredToken"
    refreshed = http.post(base + "com.atproto.server.refreshSession",
                          headers={"Authorization": f"Bearer {session['refreshJwt']}"}).json()
    again = http.get(search, params={"q": "bryssel"}, headers={"Authorization": f"Bearer {refreshed['accessJwt']}"})
    assert again.status_code == 200 and again.json()["hitsTotal"] == 4


def test_reddit_oauth_and_listing(sc, srv, http):
    creds = srv.credentials
    token_url = srv.url("reddit-stockholm") + "/api/v1/access_token"
    grant = {"grant_type": "client_credentials"}
    assert http.post(token_url, data=grant, auth=(creds.reddit_client_id, "fel"), headers=UA).status_code == 401
    assert http.post(token_url, data=grant, auth=(creds.reddit_client_id, creds.reddit_client_secret)).status_code == 429
    token = http.post(token_url, data=grant, auth=(creds.reddit_client_id, creds.reddit_client_secret), headers=UA).json()
    assert token["token_type"] == "bearer"
    listing_url = srv.url("reddit-stockholm") + "/r/stockholm/new"
    assert http.get(listing_url, headers={**UA, "Authorization": "bearer fel"}).status_code == 401
    auth = {**UA, "Authorization": f"bearer {token['access_token']}"}
    srv.set_clock(at("19:00"))
    names, after = [], None
    while True:
        listing = http.get(listing_url, params={"limit": 1, "raw_json": 1, **({"after": after} if after else {})},
                           headers=auth)
        assert listing.status_code == 200 and float(listing.headers["x-ratelimit-remaining"]) > 0
        data = listing.json()["data"]
        names += [child["data"]["name"] for child in data["children"]]
        after = data["after"]
        if not after:
            break
    assert len(names) == 4 and all(name.startswith("t3_") for name in names)
    post = http.get(listing_url, params={"limit": 100}, headers=auth).json()["data"]["children"][0]["data"]
    assert post["url"] == sc.item("sb-37").url and post["permalink"].startswith("/r/stockholm/comments/")
    assert post["title"] and post["selftext"] and isinstance(post["created_utc"], float)
    assert http.get(srv.url("reddit-stockholm") + "/r/finnsinte/new", headers=auth).status_code == 302


def test_polisen_events(sc, srv, http):
    url = srv.url("polisen-stockholm")
    assert http.get(url).status_code == 403  # httpx's default User-Agent is not descriptive
    srv.set_clock(at("10:00"))
    events = http.get(url, headers=POLITE).json()
    assert isinstance(events, list) and {"id", "datetime", "name", "summary", "url", "type", "location"} <= set(events[0])
    notice = next(e for e in events if e["id"] == int(sc.item("pol-04").post_id))
    assert notice["datetime"] == "2026-03-24 9:45:00 +01:00"  # the hour not zero-padded
    assert notice["name"].startswith("24 mars 09.40, Övrigt") and notice["url"].startswith("/ovning/")
    assert notice["location"]["name"] == "Stockholm" and "," in notice["location"]["gps"]
    assert all(e["id"] != int(sc.item("pol-06").post_id) for e in events)  # published 11:05
    srv.set_clock(at("13:00"))
    edited = next(e for e in http.get(url, headers=POLITE).json() if e["id"] == notice["id"])
    assert edited["datetime"] == "2026-03-24 12:30:00 +01:00" and "Uppdatering 12.30" in edited["summary"]
    only = http.get(url, params={"locationname": "Arlanda"}, headers=POLITE).json()
    assert [e["id"] for e in only] == [int(sc.item("pol-07").post_id)]


def test_krisinformation_news_and_an_edited_vma(sc, srv, http):
    base = srv.url("krisinformation")
    srv.set_clock(at("14:30"))
    news = http.get(base + "/news").json()
    assert all(record["Event"] == "News" for record in news) and len(news) == 5  # ki-01 to ki-05
    vmas = http.get(base + "/vmas")
    vma = vmas.json()[0]
    assert vma["Event"] == "Alert" and vma["Identifier"] == sc.item("ki-09").post_id
    assert vma["PushMessage"].startswith("VMA: Brand") and {a["Type"] for a in vma["Area"]} == {"Country", "County", "PoI"}
    assert http.get(base + "/vmas", headers={"If-None-Match": vmas.headers["etag"]}).status_code == 304
    srv.set_clock(at("16:00"))
    cleared = http.get(base + "/vmas").json()[0]
    assert cleared["Identifier"] == vma["Identifier"] and cleared["Published"] == vma["Published"]
    assert cleared["Updated"] == vma["Updated"]  # not bumped, as in the recorded all clear
    assert "Faran är över" in cleared["PushMessage"] and "Faran är över" in cleared["Preamble"]
    assert http.get(base + "/testvmas").json() == []


def test_smhi_and_sr_vma(sc, srv, http):
    srv.set_clock(at("14:00"))
    assert http.get(srv.url("smhi-varningar")).json() == []
    assert http.get(srv.url("sr-vma")).json()["alerts"] == []
    srv.set_clock(at("15:00"))
    warning = http.get(srv.url("smhi-varningar")).json()[0]
    area = warning["warningAreas"][0]
    assert area["warningLevel"]["code"] == "MESSAGE" and area["affectedAreas"][0]["sv"] == "Stockholms län"
    alert = http.get(srv.url("sr-vma"), params={"geocode": "01"}).json()["alerts"][0]
    assert alert["status"] == "Exercise" and alert["msgType"] == "Alert" and alert["info"][0]["instruction"]
    srv.set_clock(at("16:00"))
    alerts = http.get(srv.url("sr-vma"), params={"geocode": "01"}).json()["alerts"]
    assert [a["msgType"] for a in alerts] == ["Cancel", "Alert"]
    assert alerts[0]["references"].split(",")[1] == alerts[1]["identifier"]
    assert http.get(srv.url("sr-vma"), params={"geocode": "03"}).json()["alerts"] == []


def test_the_monitors_read_every_platform(sc, srv, monkeypatch, tmp_path):
    """Each platform through its monitor at the end of the day: every visible item, each link known to the truth."""
    from mediebild.monitors import monitor_for
    from mediebild.sources import SourceConfig

    for name, value in srv.credentials.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MEDIEBILD_STATE_DIR", str(tmp_path))
    srv.set_clock(sc.end)
    clock = iter(sc.end + timedelta(minutes=n) for n in range(100))
    for feed in (feed for feed in sc.feeds if feed.is_api):
        options = {**feed.options, **({"query": feed.query} if feed.query else {})}  # as `sources add --kind` stores them
        source = SourceConfig(feed.id, feed.monitor, srv.url(feed.id), feed.name, feed.item_kind, options)
        monitor = monitor_for(feed.monitor, clock=lambda: next(clock))
        parsed = monitor.parse(source, monitor.fetch(source, {}, now=sc.end), now=sc.end)
        assert not [p for p in parsed.problems if p.severity == "error"], (feed.id, parsed.problems)
        truth = {sc.truth_by_url(item.url).id for item in parsed.items if item.url and sc.truth_by_url(item.url)}
        expected = {item.id for item, _ in sc.visible(feed.id, sc.end, limit=None)}
        if feed.monitor == "smhi":  # SMHI warnings carry no link
            assert len(parsed.items) == 1 and parsed.items[0].raw["level"] == "MESSAGE"
            continue
        assert truth == expected, feed.id
        if feed.monitor == "vma":
            assert len(parsed.items) == 2 and all(item.raw["alert"] == "vma" for item in parsed.items)
