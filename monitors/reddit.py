"""Reddit: new posts, or a search, in chosen subreddits, over OAuth: the `reddit` kind.

May import only the mediebild core and monitors.base/http/social.

The source's URL is the API base (default https://oauth.reddit.com; the token then comes from
https://www.reddit.com/api/v1/access_token, otherwise from `<base>/api/v1/access_token` or
`options["auth_url"]`). `options["subreddits"]` (a list, or "stockholm+sweden") are read together;
with `options["query"]` the monitor searches them (`/r/a+b/search?restrict_sr=1&sort=new`), without
it it reads `/r/a+b/new`. Credentials: MEDIEBILD_REDDIT_CLIENT_ID and MEDIEBILD_REDDIT_CLIENT_SECRET
(app-only OAuth, the client-credentials grant of a "script" or "web" app); MEDIEBILD_REDDIT_USERNAME,
if set, names the operator in the User-Agent `python:mediebild:<version> (by /u/<name>)`, the form
Reddit asks for (default agents are throttled hard).

Why plain OAuth over httpx and not PRAW: PRAW sleeps inside its calls when the rate limit runs low,
which would hold an ingest worker, while the project defers a source to its next allowed call;
it hands back lazy objects rather than the listing's bytes that parse is to read; and it adds
prawcore, update_checker and websocket-client for one token request and one GET per page.

One pass pages with `after` (100 per page, `options["max_pages"]`, default 3) from the newest post
back to the newest one seen before (`cursor["newest_utc"]`, `created_utc` of that post); the token
is fetched per pass and kept in memory only. `x-ratelimit-remaining` (a float string) and
`x-ratelimit-reset` (SECONDS until the window ends, not a time) are respected: when nothing remains,
the source waits (`cursor["next_call_at"]`) and `cursor["pending"]` resumes the paging.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from mediebild import __version__
from mediebild.errors import PermanentSourceError
from mediebild.items import Item, strip_html, trusted_published
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits
from mediebild.monitors.social import (
    MAX_TEXT_CHARS, Page, Secrets, call, clean, client, defer, deferred_until, error_text, iso, number, option_int,
    parse_time, ratelimit_state, result, secret, social_raw,
)
from mediebild.monitors.social_pages import parse_posts

DEFAULT_BASE = "https://oauth.reddit.com"
DEFAULT_AUTH = "https://www.reddit.com/api/v1/access_token"
ID_ENV, SECRET_ENV, USER_ENV = "MEDIEBILD_REDDIT_CLIENT_ID", "MEDIEBILD_REDDIT_CLIENT_SECRET", "MEDIEBILD_REDDIT_USERNAME"
BACKOFF = timedelta(minutes=1)
GONE = ("[removed]", "[deleted]")


def user_agent() -> str:
    user = secret(USER_ENV)
    return f"python:mediebild:{__version__} (by /u/{user})" if user else f"python:mediebild:{__version__} (crisis media monitoring)"


def subreddits(source: SourceConfig) -> list[str]:
    value = source.options.get("subreddits") or []
    names = value.replace(",", "+").split("+") if isinstance(value, str) else [str(v) for v in value]
    return [n.strip().removeprefix("/").removeprefix("r/") for n in names if n and n.strip()]


class RedditMonitor:
    """Reddit listings over app-only OAuth (the `reddit` kind)."""

    name = "reddit"

    def __init__(self, limits: HttpLimits = DEFAULT_LIMITS):
        self.limits = limits

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult:
        started, base = time.monotonic(), (source.url or DEFAULT_BASE).rstrip("/")
        client_id, client_secret = secret(ID_ENV), secret(SECRET_ENV)
        if not client_id or not client_secret:
            raise PermanentSourceError(f"{ID_ENV} and {SECRET_ENV} must be set: Reddit's API needs OAuth", code="auth_missing")
        subs = subreddits(source)
        if not subs:
            raise PermanentSourceError("the Reddit source names no subreddits (options.subreddits)", code="config")
        query = str(source.options.get("query") or "").strip()
        secrets, cursor = Secrets(client_secret, client_id), dict(cursor or {})
        path = f"{base}/r/{quote('+'.join(subs), safe='+')}/{'search' if query else 'new'}"
        until = deferred_until(cursor, now)
        if until:
            note = Problem("deferred", f"Reddit: no call before {iso(until)} (rate limit)", "warning")
            return result("reddit", path, [], [note], cursor, secrets, started)
        params: dict[str, Any] = {"limit": option_int(source.options, "limit", 100, 1, 100), "raw_json": 1}
        if query:
            params.update(q=query, restrict_sr=1, sort="new", t=str(source.options.get("time_filter") or "day"))
        max_pages, floor = option_int(source.options, "max_pages", 3, 1, 10), number(cursor.get("newest_utc"))
        pending = p if isinstance(p := cursor.get("pending"), dict) else {}
        after, newest = pending.get("after"), number(pending.get("newest_utc"))
        pages: list[Page] = []
        problems: list[Problem] = []
        stop = "budget"
        headers = {"User-Agent": user_agent()}
        with client(self.limits) as http:
            token = self._token(http, source, base, client_id, client_secret, secrets, problems)
            for _ in range(max_pages if token else 0):
                request = dict(params, **({"after": after} if after else {}))
                page = call(http, "GET", path, params=request, headers={"Authorization": f"bearer {token}"},
                            secrets=secrets, limits=self.limits, user_agent=headers["User-Agent"])
                remaining, reset = number(page.header("x-ratelimit-remaining")), number(page.header("x-ratelimit-reset"))
                reset_at = now + timedelta(seconds=reset) if reset is not None else None
                if remaining is not None or reset is not None:
                    cursor["ratelimit"] = ratelimit_state((remaining or 0) + (number(page.header("x-ratelimit-used")) or 0),
                                                          remaining, reset_at)
                if page.status == 429:
                    until = reset_at if reset_at and reset_at > now else now + BACKOFF
                    cursor, stop = defer(cursor, until), "interrupted"
                    problems.append(Problem("rate_limited", f"Reddit: too many requests (429); next call at {iso(until)}", "warning"))
                    break
                if page.status != 200:
                    problems.append(_refused(page, subs, secrets))
                    stop = "interrupted"
                    break
                pages.append(page)
                data = page.json()
                listing = data.get("data") if isinstance(data, dict) and isinstance(data.get("data"), dict) else None
                if listing is None or not isinstance(listing.get("children"), list):
                    stop = "interrupted"
                    break
                created = (number(c["data"].get("created_utc")) for c in listing["children"]
                           if isinstance(c, dict) and isinstance(c.get("data"), dict))
                times = [t for t in created if t is not None]
                newest = max([newest, *times]) if newest is not None else (max(times) if times else None)
                after = listing.get("after") if isinstance(listing.get("after"), str) else None
                if not after or (floor is not None and times and min(times) <= floor):  # back at what was seen
                    stop = "complete"
                    break
                if remaining is not None and remaining < 1:
                    until = reset_at if reset_at and reset_at > now else now + BACKOFF
                    cursor, stop = defer(cursor, until), "interrupted"
                    problems.append(Problem("rate_limited", f"Reddit: request budget used up while paging; "
                                            f"the rest is read after {iso(until)}", "warning"))
                    break
            if not token:
                stop = "interrupted"
        if stop == "interrupted":
            if after and newest is not None:
                cursor["pending"] = {"after": after, "newest_utc": newest}
        else:
            if stop == "budget":
                problems.append(Problem("budget_truncated", f"Reddit: more posts than this pass's budget ({max_pages} pages); "
                                        "older ones were skipped (raise options.max_pages)", "warning"))
            if newest is not None:
                cursor["newest_utc"] = newest
            cursor.pop("pending", None)
        return result("reddit", path, pages, problems, cursor, secrets, started)

    def _token(self, http, source, base, client_id, client_secret, secrets, problems) -> str | None:
        """An app-only bearer token (client-credentials grant), or None with a problem."""
        auth_url = str(source.options.get("auth_url") or (DEFAULT_AUTH if base == DEFAULT_BASE else f"{base}/api/v1/access_token"))
        page = call(http, "POST", auth_url, data={"grant_type": "client_credentials"}, auth=(client_id, client_secret),
                    secrets=secrets, limits=self.limits, user_agent=user_agent())
        data = page.json()
        token = data.get("access_token") if page.status == 200 and isinstance(data, dict) else None
        if isinstance(token, str) and token:
            secrets.add(token)
            return token
        if page.status in (400, 401, 403) or (isinstance(data, dict) and data.get("error")):
            problems.append(Problem("auth", f"Reddit refused the app credentials ({page.status}: {error_text(page, secrets)}): "
                                    f"check {ID_ENV} and {SECRET_ENV} (a script or web app)"))
        else:
            problems.append(Problem("auth", f"Reddit's token endpoint gave no token ({page.status}: {error_text(page, secrets)})"))
        return None

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult:
        def children(page: dict[str, Any]) -> list[Any] | None:
            data = page["data"]
            listing = data.get("data") if isinstance(data, dict) else None
            found = listing.get("children") if isinstance(listing, dict) else None
            return found if isinstance(found, list) else None

        return parse_posts(fetched, records=children, messages=MESSAGES,
                           to_item=lambda child, page, flags: post_item(child, source=source, now=now, flags=flags),
                           malformed="a Reddit answer is not a listing; skipped")


MESSAGES = {
    "malformed_post": "listing entries that are not readable posts were skipped",
    "parse_error": "posts could not be read (unexpected shape)",
    "deleted_post": "posts were deleted or removed (kept with their title, without text)",
    "date_missing": "posts without a date: the fetch time was used",
    "date_unparseable": "posts with an unreadable date: the fetch time was used",
    "date_future": "posts dated in the future: the fetch time was used",
}


def _refused(page, subs: list[str], secrets: Secrets) -> Problem:
    where = "r/" + "+".join(subs)
    location = page.header("location") or ""
    if page.status in (301, 302, 303, 307, 308):
        what = "does not exist" if "subreddits/search" in location else f"redirects elsewhere ({page.status})"
        return Problem("not_found", f"Reddit: {where} {what}")
    if page.status == 401:
        return Problem("auth", f"Reddit refused the app token for {where} (401)")
    if page.status == 403:
        return Problem("forbidden", f"Reddit: {where} is private, banned or quarantined, or the app lacks the scope (403)")
    if page.status == 404:
        return Problem("not_found", f"Reddit: {where} not found (404)")
    return Problem(f"http_{page.status}", f"Reddit rejected the listing ({page.status}: {error_text(page, secrets)})")


def reddit_id(fullname: Any) -> str | None:
    text = clean(fullname, 40)
    return f"reddit:{text}" if text.startswith("t3_") and text[3:].isalnum() else None


def post_item(child: Any, *, source: SourceConfig, now: datetime, flags: dict[str, int]) -> Item | None:
    if not isinstance(child, dict) or child.get("kind") != "t3" or not isinstance(child.get("data"), dict):
        return None
    post = child["data"]
    iid, title = reddit_id(post.get("name")), strip_html(clean(post.get("title"), 2000))
    permalink = clean(post.get("permalink"), 2000)
    if not iid or not title or not permalink.startswith("/"):
        return None
    text = clean(post.get("selftext"))
    author = clean(post.get("author"), 100)
    deleted = text.strip() in GONE or author in GONE or bool(post.get("removed_by_category"))
    if text.strip() in GONE:
        text = ""
    if deleted:
        flags["deleted_post"] = flags.get("deleted_post", 0) + 1
    parents = post.get("crosspost_parent_list") if isinstance(post.get("crosspost_parent_list"), list) else []
    repost_of = reddit_id(post.get("crosspost_parent"))
    if repost_of and not text and parents and isinstance(parents[0], dict):
        text = clean(parents[0].get("selftext"))  # the original's text: the crosspost collapses onto it
    created = parse_time(number(post.get("created_utc")))
    published, flag = trusted_published(created, now, unparseable=post.get("created_utc") is not None and created is None)
    if flag:
        flags[f"date_{flag}"] = flags.get(f"date_{flag}", 0) + 1
    link = clean(post.get("url_overridden_by_dest") or post.get("url"), 2000)
    handle = author if author and author not in GONE else None
    social = social_raw(
        "reddit", clean(post.get("name"), 40), author_handle=handle, author_name=None,
        author_id=clean(post.get("author_fullname"), 40) or None, likes=post.get("score"),
        reposts=post.get("num_crossposts"), replies=post.get("num_comments"), repost_of=repost_of, thread_id=iid,
        links=[link] if link and not post.get("is_self") and link.startswith(("http://", "https://")) else [],
        deleted=deleted,
        extra={"subreddit": clean(post.get("subreddit"), 100) or None, "flair": clean(post.get("link_flair_text"), 200) or None,
               "over_18": post.get("over_18") is True, "removed_by_category": clean(post.get("removed_by_category"), 60) or None},
    )
    return Item(id=iid, source=source.id, kind=source.item_kind, url=f"https://www.reddit.com{permalink}", title=title[:500],
                text=text[:MAX_TEXT_CHARS], author=handle, published_at=published, fetched_at=now, lang=None,
                date_flag=flag, raw={"social": social})
