"""Render the demo scenario's feeds as RSS 2.0, Atom 1.0 or JSON Feed 1.1, real-world quirks included.

The renderer is deliberately small and hand-rolled (stdlib escaping only): its job is to produce the
documents real outlets serve, including their mistakes, which a template engine would politely fix.
Quirks come from the scenario data (FeedSpec.quirks, ScenarioItem.quirks):

* html-title: markup in a title (served escaped, so a reader sees `<b>JUST NU:</b>`);
* double-entity: a title escaped twice (`&amp;amp;`);
* missing-date / unparseable-date / future-date: no date, a Swedish free-text date, a date a day ahead;
* utm, relative: tracking parameters and site-relative links (already in ScenarioItem.link);
* cdata: descriptions as HTML in CDATA sections; latin1: the body in ISO-8859-1;
* no-title: Mastodon-style items without <title>, hashtags as links in the HTML content;
* malformed: `truncate()` cuts a rendered body in half, as an aborted write would.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from mediebild.demo.scenario import FeedSpec, ScenarioItem, Version
from mediebild.timeutil import STOCKHOLM, UTC

CONTENT_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
SWEDISH_MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
                  "oktober", "november", "december"]
SWEDISH_DAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]

Entry = tuple[ScenarioItem, Version]


def render(feed: FeedSpec, entries: list[Entry], *, self_url: str = "") -> tuple[bytes, str]:
    """The feed document for these entries (newest first) and its Content-Type."""
    if feed.format not in CONTENT_TYPES:
        raise ValueError(f"{feed.id}: an API feed is answered by demo.social_api or demo.official_api, not rendered")
    if feed.format == "atom":
        body = _atom(feed, entries, self_url)
    elif feed.format == "json":
        body = _json_feed(feed, entries, self_url)
    else:
        body = _rss(feed, entries, self_url)
    encoding = "iso-8859-1" if "latin1" in feed.quirks else "utf-8"
    if encoding != "utf-8":
        body = body.replace('encoding="utf-8"', f'encoding="{encoding.upper()}"', 1)
    return body.encode(encoding, errors="xmlcharrefreplace"), f"{CONTENT_TYPES[feed.format]}; charset={encoding}"


def truncate(body: bytes) -> bytes:
    """A body cut off in the middle, like a feed written by a process that died half-way."""
    return body[: max(1, len(body) * 11 // 20)]


def last_modified(entries: list[Entry], default: datetime) -> datetime:
    return max((version.at for _, version in entries), default=default)


# --- RSS 2.0 ------------------------------------------------------------------------------------


def _rss(feed: FeedSpec, entries: list[Entry], self_url: str) -> str:
    built = last_modified(entries, datetime(2026, 3, 24, tzinfo=UTC))
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        f"<title>{escape(feed.name)}</title>",
        f"<link>{escape(feed.home)}</link>",
        f"<description>{escape(feed.description)}</description>",
        f"<language>{_language(feed.lang)}</language>",
        f"<lastBuildDate>{_rfc822(built, feed)}</lastBuildDate>",
        "<generator>mediebild demo replay</generator>",
    ]
    if self_url:
        out.append(f'<atom:link href={quoteattr(self_url)} rel="self" type="application/rss+xml"/>')
    for item, version in entries:
        out.append("<item>")
        if "no-title" not in feed.quirks:
            out.append(f"<title>{_title(item, version)}</title>")
        out.append(f"<link>{escape(item.link)}</link>")
        permalink = "true" if item.kind == "social" else "false"
        guid = item.url if item.kind == "social" else f"{feed.id}:{item.id}"
        out.append(f'<guid isPermaLink="{permalink}">{escape(guid)}</guid>')
        date = _item_date(item, version, lambda value: _rfc822(value, feed))
        if date is not None:
            out.append(f"<pubDate>{escape(date)}</pubDate>")
        html = _html(item, version, feed)
        if "cdata" in feed.quirks:
            out.append(f"<description><![CDATA[{html.replace(']]>', ']]&gt;')}]]></description>")
        else:
            out.append(f"<description>{escape(html)}</description>")
        if item.author:
            creator = f"@{item.author}@{_host(feed)}" if item.kind == "social" else item.author
            out.append(f"<dc:creator>{escape(creator)}</dc:creator>")
        for tag in _tags(item, version):
            out.append(f"<category>{escape(tag)}</category>")
        out.append("</item>")
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


# --- Atom 1.0 -----------------------------------------------------------------------------------


def _atom(feed: FeedSpec, entries: list[Entry], self_url: str) -> str:
    updated = last_modified(entries, datetime(2026, 3, 24, tzinfo=UTC))
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed.lang}">',
        f"<title>{escape(feed.name)}</title>",
        f"<subtitle>{escape(feed.description)}</subtitle>",
        f'<link rel="alternate" type="text/html" href={quoteattr(feed.home)}/>',
        f"<id>tag:{_host(feed)},2026:{feed.id}</id>",
        f"<updated>{_iso(updated, feed)}</updated>",
        "<generator>mediebild demo replay</generator>",
    ]
    if self_url:
        out.append(f'<link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>')
    for item, version in entries:
        title_type = "html" if "html-title" in item.quirks else "text"
        out += [
            "<entry>",
            f'<title type="{title_type}">{_title(item, version)}</title>',
            f'<link rel="alternate" type="text/html" href={quoteattr(item.link)}/>',
            f"<id>tag:{_host(feed)},2026:{item.id}</id>",
        ]
        date = _item_date(item, version, lambda value: _iso(value, feed))
        if date is not None:
            if version.at != item.published and "future-date" not in item.quirks:
                out.append(f"<published>{_iso(item.published, feed)}</published>")
            out.append(f"<updated>{escape(date)}</updated>")
        if item.author:
            out.append(f"<author><name>{escape(item.author)}</name></author>")
        out.append(f'<summary type="html">{escape(_html(item, version, feed))}</summary>')
        for tag in _tags(item, version):
            out.append(f"<category term={quoteattr(tag)}/>")
        out.append("</entry>")
    out += ["</feed>", ""]
    return "\n".join(out)


# --- JSON Feed 1.1 ------------------------------------------------------------------------------


def _json_feed(feed: FeedSpec, entries: list[Entry], self_url: str) -> str:
    items = []
    for item, version in entries:
        record: dict[str, object] = {"id": f"{feed.id}:{item.id}", "url": item.link, "title": _plain_or_raw(item, version)}
        record["content_html"] = _html(item, version, feed)
        record["summary"] = version.text
        date = _item_date(item, version, lambda value: _iso(value, feed))
        if date is not None:
            record["date_published"] = date if version.at == item.published else _iso(item.published, feed)
            if version.at != item.published:
                record["date_modified"] = date
        if item.author:
            record["authors"] = [{"name": item.author}]
        tags = _tags(item, version)
        if tags:
            record["tags"] = tags
        record["language"] = item.lang
        items.append(record)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.name,
        "home_page_url": feed.home,
        "description": feed.description,
        "language": feed.lang,
        "items": items,
    }
    if self_url:
        document["feed_url"] = self_url
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


# --- pieces -------------------------------------------------------------------------------------

_HASHTAG = re.compile(r"(?<![\w&])#(\w+)")


def _title(item: ScenarioItem, version: Version) -> str:
    title = escape(version.title)
    if "double-entity" in item.quirks:
        title = escape(title)  # the CMS escaped it, then the feed writer escaped it again
    return title


def _plain_or_raw(item: ScenarioItem, version: Version) -> str:
    if "double-entity" in item.quirks:
        return escape(version.title)
    return version.title


def _html(item: ScenarioItem, version: Version, feed: FeedSpec) -> str:
    """The body as outlets serve it: a paragraph of HTML (Mastodon-style links for social hashtags)."""
    text = escape(version.text)
    if item.kind == "social":
        host = _host(feed)
        text = _HASHTAG.sub(
            lambda m: f'<a href="https://{host}/tags/{m.group(1).lower()}" class="mention hashtag" rel="tag">'
            f"#<span>{m.group(1)}</span></a>",
            text,
        )
        return f"<p>{text}</p>"
    if "cdata" in feed.quirks:
        return f'<p>{text}</p><p><a href="{escape(item.link)}">Läs mer</a></p>'
    return f"<p>{text}</p>"


def _tags(item: ScenarioItem, version: Version) -> list[str]:
    if item.kind == "social":
        return sorted({m.group(1).lower() for m in _HASHTAG.finditer(version.text)})
    if item.kind == "official":
        return ["Övning"]
    return []


def _item_date(item: ScenarioItem, version: Version, fmt) -> str | None:
    if "missing-date" in item.quirks:
        return None
    if "unparseable-date" in item.quirks:
        local = version.at.astimezone(STOCKHOLM)
        return (f"{SWEDISH_DAYS[local.weekday()]} {local.day} {SWEDISH_MONTHS[local.month - 1]} "
                f"{local.year} kl. {local:%H.%M}")
    if "future-date" in item.quirks:
        return fmt(version.at + timedelta(days=1))
    return fmt(version.at)


def _rfc822(value: datetime, feed: FeedSpec) -> str:
    if feed.lang == "sv":
        return format_datetime(value.astimezone(STOCKHOLM))
    return format_datetime(value.astimezone(UTC), usegmt=True)


def _iso(value: datetime, feed: FeedSpec) -> str:
    zone = STOCKHOLM if feed.lang == "sv" else UTC
    return value.astimezone(zone).isoformat(timespec="seconds").replace("+00:00", "Z")


def _language(lang: str) -> str:
    return {"sv": "sv-SE", "en": "en-GB"}.get(lang, lang)


def _host(feed: FeedSpec) -> str:
    return feed.site.split("://", 1)[-1].strip("/")
