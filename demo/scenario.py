"""The bundled demo scenario: a Swedish incident day, loaded from hand-written data with its ground truth.

The content lives in package data under `demo/scenario/` (see README.md there): `feeds.toml` (the sources
the replay server publishes), `stories.toml` (story and rumour keys with their CrisisLex information
type), `items/<feed>.toml` (every article, post and notice, with its ground truth) and `profile.toml`
(the incident profile). `load_scenario()` turns them into plain records; it is deterministic (no
randomness, no clock) and fast, and it checks the data so a typo in a file fails loudly.

Times in the data files are Stockholm wall-clock times ("HH:MM") on the scenario day; everything this
module hands out is aware UTC.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediebild.demo.platforms import API_MONITORS, REPOSTS_SHOWN, derived_title, handle, post_number
from mediebild.errors import ConfigError
from mediebild.items import canonical_url, strip_html
from mediebild.timeutil import STOCKHOLM, UTC

SCENARIO_DIR = Path(__file__).resolve().parent / "scenario"
DAY = date(2026, 3, 24)  # a fictional Tuesday; Stockholm is UTC+1 that day
FIRST_HOUR, LAST_HOUR = 7, 19  # the simulated day, Stockholm time: ingest passes at 07:00 ... 19:00
LATEST_PER_FEED = 40  # a feed shows at most this many entries, like real feeds

# CrisisLex information types (CrisisLexT26), by the short codes the data files use.
INFO_TYPES = {
    "affected": "Affected individuals",
    "caution": "Caution and advice",
    "infra": "Infrastructure and utilities",
    "donations": "Donations and volunteering",
    "sympathy": "Sympathy and support",
    "other": "Other Useful Information",
}
FEED_QUIRKS = frozenset({"utm", "cdata", "relative", "latin1", "no-title", "http-500", "malformed"})
ITEM_QUIRKS = frozenset({"html-title", "double-entity", "missing-date", "unparseable-date", "future-date"})
HARD_NEGATIVES = frozenset({"same-city", "other-explosion", "police-news", "football"})
TOPICS = frozenset({"sport", "weather", "economy", "culture", "local", "crime", "politics", "travel"})
STANCES = frozenset({"spread", "deny"})
KINDS = frozenset({"editorial", "social", "official"})
FORMATS = frozenset({"rss", "atom", "json", "api"})  # api: served in the format of the feed's `monitor`
WIRE_FEED = "nyhetsbyran-tn"  # the news agency whose stories other papers print
WIRE_BYLINE = " (TN)"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # papers append the agency's byline to a wire copy: the "small edit"

_ITEM_FIELDS = {
    "key", "at", "title", "text", "author", "lang", "story", "info", "stance", "topic", "hard",
    "copy_of", "repost", "updates", "quirks", "api",
}
_FEED_FIELDS = {
    "id", "name", "format", "item_kind", "lang", "path", "site", "link", "quirks", "broken", "malformed",
    "description", "monitor", "query", "options",
}


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One source the replay server publishes."""

    id: str
    name: str
    path: str  # where the replay server serves it
    monitor: str = "rss"
    item_kind: str = "editorial"  # editorial, social or official
    format: str = "rss"  # rss, atom or json (JSON Feed 1.1)
    lang: str = "sv"
    site: str = ""  # the outlet's home (channel link); relative item links resolve against it
    description: str = ""
    quirks: tuple[str, ...] = ()
    link_pattern: str = "/{num}"  # how item links are built: {slug}, {num}, {user}
    broken_hours: tuple[int, int] | None = None  # HTTP 500 while Stockholm hour in [a, b)
    malformed_hours: tuple[int, int] | None = None  # truncated XML while Stockholm hour in [a, b)
    query: str = ""  # an API feed's search (what the demo registers with --query)
    options: dict[str, Any] = field(default_factory=dict, hash=False)  # an API source's --option filters

    @property
    def is_api(self) -> bool:
        """Served in a platform's API format (the monitor's kind), not as a feed document."""
        return self.monitor != "rss"

    @property
    def home(self) -> str:
        return self.site.rstrip("/") + "/"

    def is_broken(self, now: datetime) -> bool:
        return _within(now, self.broken_hours)

    def is_malformed(self, now: datetime) -> bool:
        return _within(now, self.malformed_hours)


@dataclass(frozen=True, slots=True)
class Version:
    """What an item says from `at` on: the first publication or a later update of the same URL."""

    at: datetime
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Story:
    key: str
    sv: str
    en: str
    info_type: str
    rumour: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScenarioItem:
    """An article, post or notice of the scenario with its ground truth (never served)."""

    id: str  # the key in the data files, e.g. "tn-04"
    feed_id: str
    kind: str  # editorial, social, official
    lang: str
    url: str  # canonical absolute link (what `truth_by_url` looks up)
    link: str  # the link as the feed serves it (maybe relative, maybe with utm_* parameters)
    title: str  # first version, as written (html-title items keep their markup)
    text: str
    author: str | None
    published: datetime  # aware UTC: when it first appears in its feed
    updates: tuple[Version, ...] = ()
    # ground truth
    relevant: bool = False
    story: str | None = None
    info_type: str | None = None  # a CrisisLex label, None when off-topic
    rumour: bool = False  # spreads an unverified claim
    rumour_key: str | None = None  # the rumour it spreads or denies
    stance: str | None = None  # "spread" or "deny" for rumour stories
    topic: str | None = None  # off-topic kind: sport, weather, economy, ...
    hard_negative: str | None = None  # same-city, other-explosion, police-news, football
    wire_group: str | None = None  # id of the agency original, for the original and its copies
    copy_of: str | None = None  # id of the item this one copies (wire copy, repost, copy-paste)
    repost: bool = False
    quirks: tuple[str, ...] = ()
    post_id: str = ""  # the platform's id of the post or record ({num} of the link; demo/platforms.py)
    api: dict[str, Any] = field(default_factory=dict, hash=False)  # platform details (demo/scenario/README.md)

    @property
    def versions(self) -> tuple[Version, ...]:
        return (Version(self.published, self.title, self.text), *self.updates)

    @property
    def updated(self) -> datetime:
        return self.versions[-1].at

    @property
    def plain_title(self) -> str:
        """The title as a reader sees it: markup removed, entities decoded."""
        return strip_html(self.title)

    def version_at(self, now: datetime) -> Version | None:
        """The version the feed shows at `now`, or None before the item appears."""
        shown = None
        for version in self.versions:
            if version.at <= now:
                shown = version
        return shown


@dataclass(slots=True)
class Scenario:
    name: str
    start: datetime  # aware UTC: 07:00 Stockholm time
    end: datetime  # aware UTC: 19:00 Stockholm time
    incident_start: datetime  # aware UTC: the profile's start (first explosion)
    hours: list[datetime]  # aware UTC hour starts, one ingest pass each (07:00 ... 19:00 Stockholm)
    feeds: list[FeedSpec]
    items: list[ScenarioItem]
    stories: dict[str, Story]
    profile_path: Path
    _by_url: dict[str, ScenarioItem] = field(default_factory=dict, repr=False)
    _by_id: dict[str, ScenarioItem] = field(default_factory=dict, repr=False)
    _by_relative: dict[str, ScenarioItem] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_url = {item.url: item for item in self.items}
        self._by_id = {item.id: item for item in self.items}
        self._by_relative = {item.link: item for item in self.items if item.link.startswith("/")}

    def truth_by_url(self, url: str | None, base: str | None = None) -> ScenarioItem | None:
        """Ground truth by link (tracking parameters are dropped; a relative link needs its feed's `base`).

        A relative link that a parser resolved against the replay server's own address
        (http://127.0.0.1:PORT/nyheter/123) instead of the channel link is recognised too.
        """
        canonical = canonical_url(url, base) or ""
        found = self._by_url.get(canonical)
        if found is None and canonical:
            parts = urlsplit(canonical)
            if parts.hostname in _LOOPBACK:
                found = self._by_relative.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        return found

    def item(self, item_id: str) -> ScenarioItem:
        return self._by_id[item_id]

    def feed(self, feed_id: str) -> FeedSpec:
        for spec in self.feeds:
            if spec.id == feed_id:
                return spec
        raise KeyError(feed_id)

    def items_of(self, feed_id: str) -> list[ScenarioItem]:
        return [item for item in self.items if item.feed_id == feed_id]

    def visible(self, feed_id: str, now: datetime, limit: int | None = LATEST_PER_FEED) -> list[tuple[ScenarioItem, Version]]:
        """What the feed shows at `now`: the latest `limit` entries (all with None), newest version first."""
        shown = []
        for item in self.items_of(feed_id):
            version = item.version_at(now)
            if version is not None:
                shown.append((item, version))
        shown.sort(key=lambda pair: (pair[1].at, pair[0].id), reverse=True)
        return shown[:limit] if limit is not None else shown


def load_scenario(directory: Path | None = None) -> Scenario:
    """Load and check the bundled scenario (or one in `directory` with the same layout)."""
    base = Path(directory) if directory else SCENARIO_DIR
    feeds = [_feed_spec(raw) for raw in _read_toml(base / "feeds.toml").get("feed", [])]
    stories = _stories(_read_toml(base / "stories.toml"))
    profile_path = base / "profile.toml"
    profile = _read_toml(profile_path)
    raw_items: dict[str, tuple[FeedSpec, dict[str, Any]]] = {}
    for spec in feeds:
        path = base / "items" / f"{spec.id}.toml"
        for raw in _read_toml(path).get("item", []):
            unknown = set(raw) - _ITEM_FIELDS
            key = raw.get("key")
            if not key or unknown:
                raise ConfigError(f"{path.name}: item {key!r} has no key or unknown fields {sorted(unknown)}")
            if key in raw_items:
                raise ConfigError(f"{path.name}: duplicate item key {key!r}")
            raw_items[key] = (spec, raw)
    items = [_build_item(key, raw_items, stories) for key in raw_items]
    originals = {item.copy_of for item in items if item.wire_group}
    items = [_replace_wire_group(item) if item.id in originals else item for item in items]
    items.sort(key=lambda item: (item.published, item.feed_id, item.id))
    _check_unique_urls(items)
    start = _local(f"{FIRST_HOUR:02d}:00")
    end = _local(f"{LAST_HOUR:02d}:00")
    hours = [start + timedelta(hours=h) for h in range(LAST_HOUR - FIRST_HOUR + 1)]
    try:
        incident_start = datetime.fromisoformat(profile["start"]).astimezone(UTC)
        name = str(profile["name"])
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"{profile_path.name}: needs name and an ISO start time ({exc})") from exc
    return Scenario(
        name=name, start=start, end=end, incident_start=incident_start, hours=hours, feeds=feeds,
        items=items, stories=stories, profile_path=profile_path,
    )


# --- building the records -------------------------------------------------------------------------


def _feed_spec(raw: dict[str, Any]) -> FeedSpec:
    unknown = set(raw) - _FEED_FIELDS
    quirks = tuple(raw.get("quirks", ()))
    bad = set(quirks) - FEED_QUIRKS
    if unknown or bad or raw.get("format") not in FORMATS or raw.get("item_kind") not in KINDS:
        raise ConfigError(f"feeds.toml: feed {raw.get('id')!r}: unknown {sorted(unknown | bad)} or bad format/kind")
    monitor = raw.get("monitor", "rss")
    if (raw["format"] == "api") != (monitor in API_MONITORS) or (monitor != "rss" and monitor not in API_MONITORS):
        raise ConfigError(f"feeds.toml: feed {raw.get('id')!r}: format 'api' goes with an API monitor "
                          f"({', '.join(API_MONITORS)}), a feed format with monitor 'rss'")
    if not isinstance(raw.get("options", {}), dict):
        raise ConfigError(f"feeds.toml: feed {raw.get('id')!r}: options must be a table")
    if "{" not in raw.get("link", ""):
        raise ConfigError(f"feeds.toml: feed {raw.get('id')!r} needs a link pattern with {{slug}}, {{num}} or {{user}}")
    return FeedSpec(
        id=raw["id"], name=raw["name"], path=raw["path"], monitor=monitor,
        item_kind=raw["item_kind"], format=raw["format"], lang=raw.get("lang", "sv"), site=raw["site"],
        description=raw.get("description", ""), quirks=quirks, link_pattern=raw["link"],
        broken_hours=tuple(raw["broken"]) if "broken" in raw else None,
        malformed_hours=tuple(raw["malformed"]) if "malformed" in raw else None,
        query=str(raw.get("query", "")), options=dict(raw.get("options", {})),
    )


def _stories(raw: dict[str, Any]) -> dict[str, Story]:
    stories = {}
    for key, value in raw.get("story", {}).items():
        if value.get("info") not in INFO_TYPES:
            raise ConfigError(f"stories.toml: story {key!r} has no valid info code")
        stories[key] = Story(
            key=key, sv=value["sv"], en=value["en"], info_type=INFO_TYPES[value["info"]],
            rumour=bool(value.get("rumour", False)), note=value.get("note", ""),
        )
    return stories


def _build_item(key: str, raw_items: dict[str, tuple[FeedSpec, dict[str, Any]]], stories: dict[str, Story]) -> ScenarioItem:
    spec, raw = raw_items[key]
    where = f"items/{spec.id}.toml: {key}"
    original_raw: dict[str, Any] = {}
    copy_of = raw.get("copy_of")
    if copy_of:
        if copy_of not in raw_items:
            raise ConfigError(f"{where}: copy_of {copy_of!r} is not an item")
        original_spec, original_raw = raw_items[copy_of]
    merged = {k: v for k, v in original_raw.items() if k in {"title", "text", "story", "info", "stance", "topic", "hard", "lang"}}
    merged.update(raw)
    title, text = merged.get("title", ""), merged.get("text", "")
    if raw.get("repost") and copy_of and (spec.monitor not in REPOSTS_SHOWN or (spec.is_api and original_spec.id != spec.id)):
        raise ConfigError(f"{where}: a repost must be on its original's platform, one whose search or listing "
                          f"shows reposts ({', '.join(REPOSTS_SHOWN)}); copy the text instead (copy_of without repost)")
    if not isinstance(raw.get("api", {}), dict):
        raise ConfigError(f"{where}: api must be a table")
    if copy_of and "text" not in raw:
        if raw.get("repost"):
            text = f"RT @{original_raw.get('author', '')}: {original_raw['text']}"
        elif original_spec.id == WIRE_FEED:
            text = original_raw["text"] + WIRE_BYLINE
    if not text or (spec.item_kind != "social" and not title):
        raise ConfigError(f"{where}: needs a title and a text")
    published = _local(raw.get("at", ""), where)
    updates = tuple(
        Version(_local(update["at"], where), update["title"], update["text"]) for update in raw.get("updates", ())
    )
    if any(b.at <= a.at for a, b in zip((Version(published, "", ""), *updates), updates)):
        raise ConfigError(f"{where}: updates must come after the item, in order")
    story_key = merged.get("story")
    story = stories.get(story_key) if story_key else None
    if story_key and story is None:
        raise ConfigError(f"{where}: unknown story {story_key!r}")
    topic, hard = merged.get("topic"), merged.get("hard")
    if story is None and topic not in TOPICS:
        raise ConfigError(f"{where}: an off-topic item needs a topic from {sorted(TOPICS)}")
    if story is not None and (topic or hard):
        raise ConfigError(f"{where}: a relevant item has no topic or hard-negative kind")
    if hard and hard not in HARD_NEGATIVES:
        raise ConfigError(f"{where}: unknown hard-negative kind {hard!r}")
    info = merged.get("info")
    if info is not None and info not in INFO_TYPES:
        raise ConfigError(f"{where}: unknown info code {info!r}")
    stance = merged.get("stance") or ("spread" if story and story.rumour else None)
    if stance and (stance not in STANCES or not (story and story.rumour)):
        raise ConfigError(f"{where}: stance is only for rumour stories, spread or deny")
    quirks = tuple(raw.get("quirks", ()))
    if set(quirks) - ITEM_QUIRKS:
        raise ConfigError(f"{where}: unknown quirks {sorted(set(quirks) - ITEM_QUIRKS)}")
    author = raw.get("author")
    url, link, num = _links(spec, key, title or derived_title(spec.monitor, text) or text, author, published)
    wire = copy_of if copy_of and original_spec.id == WIRE_FEED and spec.item_kind == "editorial" else None
    return ScenarioItem(
        id=key, feed_id=spec.id, kind=spec.item_kind, lang=merged.get("lang", spec.lang), url=url, link=link,
        title=title, text=text, author=author, published=published, updates=updates,
        relevant=story is not None, story=story.key if story else None,
        info_type=(INFO_TYPES[info] if info else story.info_type) if story else None,
        rumour=stance == "spread", rumour_key=story.key if story and story.rumour else None, stance=stance,
        topic=None if story else topic, hard_negative=hard, wire_group=wire, copy_of=copy_of,
        repost=bool(raw.get("repost")), quirks=quirks, post_id=num, api=dict(raw.get("api", {})),
    )


def _replace_wire_group(item: ScenarioItem) -> ScenarioItem:
    """An agency original belongs to its own wire group."""
    fields = {name: getattr(item, name) for name in ScenarioItem.__slots__}
    fields["wire_group"] = item.id
    return ScenarioItem(**fields)


def _links(spec: FeedSpec, key: str, title: str, author: str | None, published: datetime) -> tuple[str, str, str]:
    """The canonical absolute URL of an item, the link as its feed serves it, and its platform id ({num})."""
    digest = int(hashlib.sha1(f"{spec.id}/{key}".encode()).hexdigest(), 16)
    num = post_number(spec.monitor, spec.item_kind, digest, published)
    slug = slugify(title)
    path = spec.link_pattern.format(slug=slug, uslug=slug[:50].rstrip("-").replace("-", "_"), num=num,
                                    user=handle(spec.monitor, author))
    url = canonical_url(spec.home.rstrip("/") + path)
    if url is None:
        raise ConfigError(f"items/{spec.id}.toml: {key}: cannot build a link from {path!r}")
    link = path if "relative" in spec.quirks else url
    if "utm" in spec.quirks:
        link += ("&" if "?" in link else "?") + "utm_source=rss&utm_medium=feed&utm_campaign=senaste"
    return url, link, num


def _check_unique_urls(items: list[ScenarioItem]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if item.url in seen:
            raise ConfigError(f"items {seen[item.url]} and {item.id} have the same link {item.url}")
        seen[item.url] = item.id


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, limit: int = 60) -> str:
    """A URL slug as Swedish news sites make them: å/ä -> a, ö -> o, words joined by hyphens."""
    folded = unicodedata.normalize("NFKD", strip_html(text).casefold())
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_DROP.sub("-", ascii_text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "artikel"


def _local(hhmm: str, where: str = "") -> datetime:
    """"HH:MM" Stockholm time on the scenario day -> aware UTC."""
    try:
        clock = time.fromisoformat(hhmm)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: 'at' must be HH:MM, not {hhmm!r}") from exc
    return datetime.combine(DAY, clock, tzinfo=STOCKHOLM).astimezone(UTC)


def _within(now: datetime, hours: tuple[int, int] | None) -> bool:
    if not hours:
        return False
    local = now.astimezone(STOCKHOLM)
    return local.date() == DAY and hours[0] <= local.hour < hours[1]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"scenario file missing: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
