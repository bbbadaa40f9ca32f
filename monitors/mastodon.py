"""Mastodon hashtag timelines (and status search with a token): the `mastodon` kind.

May import only the mediebild core and monitors.base/http/social.

The source's URL is an instance (default https://mastodon.social), `options["instances"]` more
instances to read the same tags on, and `options["query"]` the tags and words, e.g.
"#bryssel #brussels". Each tag is read from `GET /api/v1/timelines/tag/:tag` on every instance,
public without a token. Words (not tags) are searched with `GET /api/v2/search?type=statuses` on the
source's own instance only, and only with MEDIEBILD_MASTODON_TOKEN (anonymous callers get no
statuses). The token is a credential of one account on one server: it is sent to the source's own
instance and never to the other instances, which are read anonymously.

Why plain httpx and not Mastodon.py (checked with Mastodon.py 2.3.3 against a local server): it
can be pointed at a local base, but it requests /api/v2/instance whenever a client is made (also with
version_check_mode="none" and mastodon_version given), costing a call per instance and pass; it casts
the answer itself (numeric ids become ints, although the API says ids are strings, and times become
local-zone datetimes) so parse could not be handed the instance's own bytes; and it raises on a
non-JSON answer instead of letting parse report it. The two endpoints and the Link header are a few
lines with httpx and the project's limits.

Paging (Link header): the first pass reads the newest page of each tag; later passes ask for
`min_id=<newest seen>` and follow `rel="prev"` (newer) until an empty page or `options["max_pages"]`
(default 3); a backlog beyond that is read on the following passes. Only the `min_id`/`max_id`
parameters of a Link are used, against the instance's own endpoint: a Link to another host is not
followed (it would carry the token elsewhere). Cursor: `min_id` {"<instance> #<tag>": id}, and per
instance `instances` {"<instance>": {next_call_at, ratelimit}}; a 429 defers that instance only
(X-RateLimit-Reset is an ISO time); `next_call_at` is set when every instance is deferred.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from mediebild.errors import PermanentSourceError, SourceError
from mediebild.items import Item, stable_id, strip_html, trusted_published
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits
from mediebild.monitors.social import (
    MAX_TEXT_CHARS, Page, Secrets, call, clean, client, error_text, iso, option_int, parse_time, ratelimit_state,
    result, secret, social_raw, title_from,
)
from mediebild.monitors.social_pages import parse_posts

DEFAULT_BASE = "https://mastodon.social"
TOKEN_ENV = "MEDIEBILD_MASTODON_TOKEN"
BACKOFF = timedelta(minutes=5)
_TAG = re.compile(r"#(\w+)", re.UNICODE)
_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([\w-]+)"?')
_SPAN = re.compile(r"</?span\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"<a\b([^>]*)>", re.IGNORECASE)


def plan(source: SourceConfig) -> tuple[list[str], list[str], str]:
    """(instances, tags, words) of a source: the bases to read, the tags without '#', the search words."""
    query = str(source.options.get("query") or "")
    tags = list(dict.fromkeys(t.lower() for t in _TAG.findall(query)))
    words = " ".join(w for w in _TAG.sub(" ", query).split())
    extra = source.options.get("instances") or []
    bases = [source.url or DEFAULT_BASE] + [b for b in (extra if isinstance(extra, list) else [extra]) if isinstance(b, str)]
    return list(dict.fromkeys(b.rstrip("/") for b in bases)), tags, words


def links(header: str | None) -> dict[str, dict[str, str]]:
    """rel -> the paging parameters (min_id, max_id, since_id) of a Link header."""
    out = {}
    for url, rel in _LINK.findall(header or ""):
        query = parse_qs(urlsplit(url).query)
        out[rel] = {k: v[0] for k, v in query.items() if k in ("min_id", "max_id", "since_id") and v}
    return out


def newest_id(statuses: list) -> str | None:
    ids = [str(s["id"]) for s in statuses if isinstance(s, dict) and isinstance(s.get("id"), (str, int))]
    return max(ids, key=lambda i: (len(i), i)) if ids else None


class MastodonMonitor:
    """Hashtag timelines on one or more Mastodon instances (the `mastodon` kind)."""

    name = "mastodon"

    def __init__(self, limits: HttpLimits = DEFAULT_LIMITS):
        self.limits = limits

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult:
        started = time.monotonic()
        bases, tags, words = plan(source)
        if not tags and not words:
            raise PermanentSourceError("the Mastodon source has no tags or words to read (options.query)", code="config")
        token = secret(TOKEN_ENV)
        secrets, cursor = Secrets(token), dict(cursor or {})
        min_ids = dict(cursor.get("min_id") or {})
        states = {k: dict(v) for k, v in (cursor.get("instances") or {}).items() if isinstance(v, dict)}
        pages: list[Page] = []
        problems: list[Problem] = []
        failures: list[SourceError] = []
        max_pages, limit = option_int(source.options, "max_pages", 3, 1, 50), option_int(source.options, "limit", 40, 1, 40)
        if words and not token:
            problems.append(Problem("search_needs_token", f"Mastodon: searching for {words!r} needs {TOKEN_ENV} "
                                    "(anonymous search returns no posts); only the hashtags were read", "warning"))
        with client(self.limits) as http:
            for n, base in enumerate(bases):
                state = states.setdefault(base, {})
                until = parse_time(state.get("next_call_at"))
                if until and until > now:
                    problems.append(Problem("deferred", f"Mastodon {base}: no call before {iso(until)} (rate limit)", "warning"))
                    continue
                state.pop("next_call_at", None)
                streams = [("tag", t) for t in tags] + ([("search", words)] if words and token and n == 0 else [])
                auth = {"Authorization": f"Bearer {token}"} if token and n == 0 else {}
                try:
                    for what, name in streams:
                        if not self._stream(http, base, what, name, auth, min_ids, state, pages, problems, secrets,
                                            now=now, max_pages=max_pages, limit=limit):
                            break  # the instance asked us to wait, or refused: its other streams too
                except SourceError as exc:
                    failures.append(exc)
                    problems.append(Problem(exc.code, f"Mastodon {base}: {exc}"))
        if failures and not pages and len(failures) == len(bases) and failures[0].transient:
            raise failures[0]  # nothing answered: let the flow retry the whole source
        cursor["min_id"], cursor["instances"] = min_ids, states
        waits = [parse_time(s.get("next_call_at")) for s in states.values()]
        future = [w for w in waits if w and w > now]
        if waits and len(future) == len(waits):  # every instance asked us to wait
            cursor["next_call_at"] = iso(min(future))
        else:
            cursor.pop("next_call_at", None)
        return result("mastodon", bases[0], pages, problems, cursor, secrets, started)

    def _stream(self, http, base, what, name, auth, min_ids, state, pages, problems, secrets, *, now, max_pages, limit) -> bool:
        """Read one tag (or the search) on one instance; False when the instance must not be asked again now."""
        key = f"{base} #{name}" if what == "tag" else f"{base} search:{name}"
        url = f"{base}/api/v1/timelines/tag/{quote(name, safe='')}" if what == "tag" else f"{base}/api/v2/search"
        fixed = {"limit": limit} if what == "tag" else {"q": name, "type": "statuses", "resolve": "false", "limit": limit}
        since = min_ids.get(key)
        for _ in range(max_pages):
            params = dict(fixed, **({"min_id": since} if since else {}))
            page = call(http, "GET", url, params=params, headers=auth, secrets=secrets, limits=self.limits)
            page.context = {"instance": base, "stream": key}
            reset = parse_time(page.header("x-ratelimit-reset"))
            if page.header("x-ratelimit-limit") or page.header("x-ratelimit-remaining"):
                state["ratelimit"] = ratelimit_state(page.header("x-ratelimit-limit"), page.header("x-ratelimit-remaining"), reset)
            if page.status == 429:
                until = reset if reset and reset > now else now + BACKOFF
                state["next_call_at"] = iso(until)
                problems.append(Problem("rate_limited", f"Mastodon {base}: too many requests (429); "
                                        f"next call at {iso(until)}", "warning"))
                return False
            if page.status != 200:
                problems.append(_refusal(base, name, page, bool(auth), secrets))
                return page.status not in (401, 403)
            pages.append(page)
            data = page.json()
            statuses = data.get("statuses") if what == "search" and isinstance(data, dict) else data
            if not isinstance(statuses, list) or not statuses:
                break  # an empty page (or junk, which parse reports): nothing newer now
            newer = links(page.header("link")).get("prev", {}).get("min_id") or newest_id(statuses)
            if not newer or newer == since:
                break
            since = min_ids[key] = newer
            if what == "search" or "min_id" not in params:
                break  # a search, or a first pass, reads one page (the newest)
            remaining = page.header("x-ratelimit-remaining")
            if remaining is not None and remaining.strip() in ("0", "0.0"):
                state["next_call_at"] = iso(reset if reset and reset > now else now + BACKOFF)
                return False
        return True

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult:
        def statuses(page: dict[str, Any]) -> list[Any] | None:
            data = page["data"]
            found = data.get("statuses") if isinstance(data, dict) else data
            return found if isinstance(found, list) else None

        return parse_posts(
            fetched, records=statuses, messages=MESSAGES,
            to_item=lambda status, page, flags: status_item(status, str(page["context"].get("instance") or fetched.url),
                                                            source=source, now=now, flags=flags),
            malformed="a Mastodon answer is not a list of statuses; skipped")


MESSAGES = {
    "malformed_post": "statuses without a usable uri or text were skipped",
    "parse_error": "statuses could not be read (unexpected shape)",
    "date_missing": "statuses without a date: the fetch time was used",
    "date_unparseable": "statuses with an unreadable date: the fetch time was used",
    "date_future": "statuses dated in the future: the fetch time was used",
}


def _refusal(base: str, tag: str, page, sent_token: bool, secrets: Secrets) -> Problem:
    if page.status == 401:
        what = ("refused MEDIEBILD_MASTODON_TOKEN (401)" if sent_token else
                f"requires a token for its timelines (401): set {TOKEN_ENV} (read:statuses) for the source's own instance")
        return Problem("auth", f"Mastodon {base} {what}")
    if page.status == 404:
        return Problem("not_found", f"Mastodon {base}: #{tag} not found (404)", "warning")
    return Problem(f"http_{page.status}", f"Mastodon {base} refused #{tag} ({page.status}: {error_text(page, secrets)})")


def mastodon_id(uri: Any) -> str | None:
    """A status's item id: from its `uri`, the same on every instance that shows it."""
    return f"mastodon:{stable_id('uri', uri)}" if isinstance(uri, str) and uri.startswith(("http://", "https://")) else None


def html_text(content: Any) -> str:
    """Mastodon's HTML as text: spans (the invisible/ellipsis parts of links, mention markup) joined."""
    return strip_html(_SPAN.sub("", clean(content, 200_000)))[:MAX_TEXT_CHARS]


def _hrefs(content: str) -> list[str]:
    out = []
    for attrs in _HREF.findall(content):
        href = re.search(r'href="([^"]+)"', attrs)
        if href and "mention" not in attrs and 'rel="tag"' not in attrs:
            out.append(strip_html(href.group(1)))
    return out


def status_item(status: Any, instance: str, *, source: SourceConfig, now: datetime, flags: dict[str, int]) -> Item | None:
    if not isinstance(status, dict):
        return None
    reblog = r if isinstance(r := status.get("reblog"), dict) else None
    post = reblog or status
    iid = mastodon_id(status.get("uri"))
    content = clean(post.get("content"), 200_000)
    text = html_text(content)
    spoiler = clean(post.get("spoiler_text"), 500).strip()
    if not iid or not (text or spoiler):
        return None
    account = a if isinstance(a := status.get("account"), dict) else {}
    acct = clean(account.get("acct"), 200)
    home = urlsplit(clean(account.get("url"), 500)).hostname or urlsplit(instance).hostname or ""
    handle = (acct if "@" in acct else f"{acct}@{home}") if acct else None
    quote_obj = q if isinstance(q := post.get("quote"), dict) else {}
    quoted = q if isinstance(q := quote_obj.get("quoted_status"), dict) else {}
    created = parse_time(status.get("created_at"))
    published, flag = trusted_published(created, now, unparseable=bool(status.get("created_at")) and created is None)
    if flag:
        flags[f"date_{flag}"] = flags.get(f"date_{flag}", 0) + 1
    is_reply = bool(post.get("in_reply_to_id"))
    tags = [clean(t.get("name"), 200) for t in post.get("tags") or [] if isinstance(t, dict) and clean(t.get("name"))]
    mentions = [clean(m.get("acct"), 200) for m in post.get("mentions") or [] if isinstance(m, dict) and clean(m.get("acct"))]
    card = c if isinstance(c := post.get("card"), dict) else {}
    link_list = list(dict.fromkeys(_hrefs(content) + ([clean(card["url"], 2000)] if clean(card.get("url")) else [])))
    social = social_raw(
        "mastodon", clean(status.get("id"), 100) or clean(status.get("uri"), 500), author_handle=handle,
        author_name=clean(account.get("display_name"), 200) or None, author_id=clean(account.get("id"), 100) or None,
        likes=post.get("favourites_count"), reposts=post.get("reblogs_count"), replies=post.get("replies_count"),
        quotes=post.get("quotes_count"), repost_of=mastodon_id(reblog.get("uri")) if reblog else None,
        quote_of=mastodon_id(quoted.get("uri")), reply_to=None, thread_id=None if is_reply else iid,
        links=link_list, tags=tags, mentions=mentions,
        extra={"instance": instance, "uri": clean(status.get("uri"), 500), "in_reply_to_id": clean(post.get("in_reply_to_id"), 100) or None,
               "spoiler_text": spoiler or None, "edited_at": clean(post.get("edited_at"), 40) or None},
    )
    social["is_reply"] = is_reply  # the parent's id is local to the instance, so reply_to stays None
    url = clean(post.get("url"), 2000) or clean(post.get("uri"), 2000) or None
    lang = clean(post.get("language"), 10)
    return Item(id=iid, source=source.id, kind=source.item_kind, url=url, title=spoiler or title_from(text), text=text,
                author=handle, published_at=published, fetched_at=now, lang=lang[:2].lower() if len(lang) >= 2 else None,
                date_flag=flag, raw={"social": social})
