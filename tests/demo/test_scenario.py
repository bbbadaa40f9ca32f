"""The demo scenario's content and ground truth: counts, quirks, stories, rumours and the profile."""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from mediebild.demo.scenario import (
    FEED_QUIRKS,
    HARD_NEGATIVES,
    INFO_TYPES,
    ITEM_QUIRKS,
    WIRE_FEED,
    load_scenario,
)
from mediebild.errors import ConfigError
from mediebild.timeutil import STOCKHOLM, UTC


@pytest.fixture(scope="module")
def sc():
    return load_scenario()


def test_the_day_and_its_hours(sc):
    assert sc.start.tzinfo is UTC and sc.end.tzinfo is UTC
    assert sc.start.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") == "2026-03-24 07:00"
    assert sc.end - sc.start == timedelta(hours=12)
    assert len(sc.hours) in (12, 13)
    assert all(h.tzinfo is UTC and h.minute == 0 for h in sc.hours)
    assert sc.hours == sorted(sc.hours) and sc.hours[0] == sc.start
    assert sc.start < sc.incident_start < sc.start + timedelta(hours=1)
    assert all(item.published <= sc.end for item in sc.items)


def test_enough_items_feeds_and_noise(sc):
    assert len(sc.items) >= 300
    assert len({item.url for item in sc.items}) == len(sc.items)
    editorial = [feed for feed in sc.feeds if feed.item_kind == "editorial"]
    assert len(editorial) >= 8
    assert {feed.format for feed in editorial} == {"rss", "atom", "json"}
    assert 1 <= sum(feed.lang == "en" for feed in editorial) <= 2
    assert sum(feed.item_kind == "official" for feed in sc.feeds) >= 2
    assert sum(feed.item_kind == "social" for feed in sc.feeds) >= 2
    assert {feed.monitor for feed in sc.feeds if feed.item_kind == "social"} == {"x", "mastodon", "bluesky", "reddit"}
    assert {feed.monitor for feed in sc.feeds if feed.item_kind == "official"} == {
        "rss", "polisen", "krisinformation", "smhi", "vma"}
    assert all(feed.monitor == "rss" for feed in editorial)
    off_topic = sum(not item.relevant for item in sc.items)
    assert off_topic / len(sc.items) >= 0.30
    assert all(item.kind == sc.feed(item.feed_id).item_kind for item in sc.items)


def test_every_feed_is_labelled_an_exercise(sc):
    for feed in sc.feeds:
        assert "övning" in feed.description.lower() or "ÖVNING" in feed.description, feed.id
    assert "övning" in sc.name


def test_every_quirk_is_present(sc):
    feed_quirks = {quirk for feed in sc.feeds for quirk in feed.quirks}
    item_quirks = {quirk for item in sc.items for quirk in item.quirks}
    assert feed_quirks == FEED_QUIRKS
    assert item_quirks == ITEM_QUIRKS
    assert any(item.link.startswith("/") for item in sc.items)
    assert any("utm_source=" in item.link for item in sc.items)
    assert any(sc.feed(f.id).broken_hours for f in sc.feeds)
    assert any(sc.feed(f.id).malformed_hours for f in sc.feeds)


def test_swedish_everywhere(sc):
    swedish = [item for item in sc.items if item.lang == "sv"]
    assert len(swedish) > 0.8 * len(sc.items)
    assert sum(bool(re.search("[åäöÅÄÖ]", item.title + item.text)) for item in swedish) > 0.9 * len(swedish)


def test_load_is_deterministic(sc):
    again = load_scenario()
    assert again.items == sc.items and again.feeds == sc.feeds and again.hours == sc.hours


def test_ground_truth_is_consistent(sc):
    labels = set(INFO_TYPES.values())
    for item in sc.items:
        if item.relevant:
            assert item.story in sc.stories, item.id
            assert item.info_type in labels, item.id
            assert item.topic is None and item.hard_negative is None, item.id
        else:
            assert item.story is None and item.info_type is None and not item.rumour, item.id
            assert item.topic, item.id
        if item.rumour:
            assert item.rumour_key == item.story and item.stance == "spread", item.id
        if item.stance == "deny":
            assert not item.rumour and item.rumour_key, item.id
    assert {item.info_type for item in sc.items if item.relevant} == labels


def test_rumours_spread_on_social_and_get_denied(sc):
    rumour_stories = [key for key, story in sc.stories.items() if story.rumour]
    assert "rumour-shooting-tcentralen" in rumour_stories and len(rumour_stories) >= 3
    for key in rumour_stories:
        spread = [item for item in sc.items if item.rumour_key == key and item.rumour]
        denials = [item for item in sc.items if item.rumour_key == key and item.stance == "deny"]
        assert any(item.kind == "social" for item in spread), key
        assert any(item.kind in ("official", "editorial") for item in denials), key
        first_spread = min(item.published for item in spread)
        first_denial = min(item.published for item in denials if item.kind != "social")
        assert first_spread < first_denial, key
    hedges = ("obekräftade uppgifter", "enligt uppgift", "rykte", "unconfirmed", "reportedly")
    spread_texts = [item.text.lower() for item in sc.items if item.rumour]
    for hedge in hedges:
        assert any(hedge in text for text in spread_texts), hedge


def test_casualty_numbers_contradict_before_the_official_figure(sc):
    early = [item for item in sc.items
             if item.story in ("death-toll", "airport-blast", "metro-blast") and item.published < sc.start + timedelta(hours=5, minutes=30)]
    numbers = set()
    for item in early:
        for version in item.versions:
            numbers |= set(re.findall(r"\b(1[0-9]|2[0-9]|elva|tio|tiotal)\b", version.text + version.title))
    assert len(numbers) >= 3, numbers


def test_a_story_breaks_at_a_clear_hour(sc):
    airport = [item for item in sc.items if item.story == "airport-blast"]
    assert min(item.published for item in airport) >= sc.incident_start
    by_hour = Counter(item.published.astimezone(STOCKHOLM).hour for item in airport)
    assert by_hour[8] >= 10 and by_hour[7] == 0


def test_wire_copies_and_updates(sc):
    groups = defaultdict(set)
    for item in sc.items:
        if item.wire_group:
            groups[item.wire_group].add(item.feed_id)
    assert all(sc.item(key).feed_id == WIRE_FEED for key in groups)
    assert max(len(feeds - {WIRE_FEED}) for feeds in groups.values()) >= 3
    assert sum(len(feeds - {WIRE_FEED}) >= 3 for feeds in groups.values()) >= 3
    copy = next(item for item in sc.items if item.wire_group and item.copy_of)
    original = sc.item(copy.copy_of)
    assert copy.url != original.url and copy.text.startswith(original.text)
    updated = [item for item in sc.items if item.updates]
    assert len(updated) >= 3
    assert any(version.title.startswith("UPPDATERAD") for item in updated for version in item.updates)
    reposts = [item for item in sc.items if item.kind == "social" and item.copy_of]
    assert any(item.repost for item in reposts) and any(not item.repost for item in reposts)


def test_cross_language_stories(sc):
    by_story = defaultdict(set)
    for item in sc.items:
        if item.relevant:
            by_story[item.story].add(item.lang)
    both = [story for story, langs in by_story.items() if {"sv", "en"} <= langs]
    assert len(both) >= 6


def test_hard_negatives_of_every_kind(sc):
    kinds = Counter(item.hard_negative for item in sc.items if item.hard_negative)
    assert set(kinds) == HARD_NEGATIVES
    same_city = [item for item in sc.items if item.hard_negative == "same-city"]
    assert any("Bryssel" in item.title or "Brussels" in item.title for item in same_city)


def test_official_notices_name_the_authorities(sc):
    official_text = " ".join(item.title + " " + item.text + " " + (item.author or "") for item in sc.items if item.kind == "official")
    for name in ("Polisen", "Säpo", "Utrikesdepartementet", "MSB", "Krisinformation.se", "Region Stockholm",
                 "Länsstyrelsen", "SL", "Swedavia"):
        assert name in official_text, name
    assert "”" in official_text  # statements to quote verbatim


def test_swedish_ties_are_covered(sc):
    for story in ("swedes-injured", "flights-cancelled", "stockholm-security", "ud-advice", "threat-level-sweden",
                  "hospitals-standby", "regional-coordination", "sl-normal", "condolences", "blood-donation",
                  "vigil-sergels-torg"):
        assert any(item.story == story for item in sc.items), story
    injured = sorted((item for item in sc.items if item.story == "swedes-injured"), key=lambda item: item.published)
    assert "bekräfta" in injured[0].text  # unconfirmed first ...
    assert any("bekräftar" in item.text and item.kind == "official" for item in injured)  # ... then confirmed


def test_truth_by_url(sc):
    item = next(item for item in sc.items if "utm_source=" in item.link)
    assert sc.truth_by_url(item.link) is item
    assert sc.truth_by_url(item.url) is item
    relative = next(item for item in sc.items if item.link.startswith("/"))
    assert sc.truth_by_url(relative.link, base=sc.feed(relative.feed_id).home) is relative
    # a parser that resolved the relative link against the replay server's address instead
    assert sc.truth_by_url("http://127.0.0.1:8765" + relative.link) is relative
    assert sc.truth_by_url("http://127.0.0.1:8765/nyheter/0") is None
    assert sc.truth_by_url("https://example.org/nothing") is None
    assert sc.truth_by_url(None) is None


def test_visible_is_capped_and_grows(sc):
    counts = [len(sc.visible("x-sok", hour)) for hour in sc.hours]
    assert counts == sorted(counts) and counts[-1] == 40
    assert len(sc.visible("x-sok", sc.end, limit=None)) == 42  # an API pages instead of capping
    assert len(sc.visible("nyhetsbyran-tn", sc.start)) < len(sc.visible("nyhetsbyran-tn", sc.end))


def test_profile_has_exactly_the_issue_keys(sc):
    profile = tomllib.loads(sc.profile_path.read_text(encoding="utf-8"))
    assert set(profile) == {"name", "start", "query", "terms"}
    assert set(profile["terms"]) == {"sv", "en", "places", "organisations", "exclude"}
    assert profile["name"] == "Attackerna i Bryssel (övning)"
    assert profile["start"] == "2026-03-24T07:58:00+01:00"
    assert "fotboll*" in profile["terms"]["exclude"]
    assert sc.profile_path.name == "profile.toml"


def test_bad_data_fails_loudly(tmp_path, sc):
    source = sc.profile_path.parent
    for name in ("feeds.toml", "stories.toml", "profile.toml"):
        (tmp_path / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "items").mkdir()
    for feed in sc.feeds:
        text = (source / "items" / f"{feed.id}.toml").read_text(encoding="utf-8")
        (tmp_path / "items" / f"{feed.id}.toml").write_text(text, encoding="utf-8")
    assert len(load_scenario(tmp_path).items) == len(sc.items)
    broken = tmp_path / "items" / "kvallsposten.toml"
    broken.write_text(broken.read_text(encoding="utf-8").replace('story = "airport-blast"', 'story = "airport-blsat"', 1),
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="airport-blsat"):
        load_scenario(tmp_path)


def test_social_posts_are_spread_over_the_platforms(sc):
    """X and Mastodon carry most posts, Bluesky some, Reddit a few threads; reposts stay with their originals
    on X (the only one of the four whose search shows them), and every rumour spreads on more than one."""
    by_monitor = Counter(sc.feed(item.feed_id).monitor for item in sc.items if item.kind == "social")
    assert by_monitor["x"] + by_monitor["mastodon"] >= 0.8 * sum(by_monitor.values())
    assert by_monitor["bluesky"] >= 5 and 3 <= by_monitor["reddit"] <= 8
    for item in sc.items:
        if item.repost:
            assert item.feed_id == sc.item(item.copy_of).feed_id == "x-sok", item.id
    for key in (k for k, story in sc.stories.items() if story.rumour):
        spread = sorted((i for i in sc.items if i.rumour_key == key and i.rumour), key=lambda i: i.published)
        assert sc.feed(spread[0].feed_id).monitor in ("x", "mastodon", "bluesky", "reddit"), key  # starts on social
        platforms = {sc.feed(i.feed_id).monitor for i in spread if i.kind == "social"}
        assert len(platforms) >= 2, (key, platforms)


def test_platform_links_and_ids(sc):
    x = sc.item("sb-04")
    assert x.url == f"https://x.com/marie_bxl/status/{x.post_id}" and int(x.post_id) >> 22 > 0
    bluesky = sc.item("sb-02")
    assert bluesky.url == f"https://bsky.app/profile/eu-norden.bsky.social/post/{bluesky.post_id}"
    assert len(bluesky.post_id) == 13
    reddit = sc.item("ss-24")
    assert re.fullmatch(r"https://www\.reddit\.com/r/stockholm/comments/[0-9a-z]{7}/[a-z0-9_]+/", reddit.url)
    assert sc.item("ss-01").url.startswith("https://sthlm.social/@morgonmanniska/")
    posts = [item for item in sc.items if item.kind == "social"]
    assert len({item.post_id for item in posts}) == len(posts)


def test_new_official_items_are_exercise_material_with_an_all_clear(sc):
    vma = sc.item("ki-09")
    assert vma.api["endpoint"] == "vmas" and "Faran är över" in vma.updates[-1].text
    assert "ÖVNING" in sc.item("vma-01").text and "ÖVNING" in vma.api["body"]
    assert not any(sc.item(key).relevant for key in ("ki-09", "vma-01", "smhi-01"))  # not the Brussels story
