"""X (Twitter) recent search, API v2: the `x` kind.

May import only the mediebild core and monitors.base/http/social.

The source's URL is the API base (default https://api.x.com; tests and proxies give another) and
its `options["query"]` the search query. The app-only bearer token comes from
MEDIEBILD_X_BEARER_TOKEN and nowhere else.

Why plain httpx and not tweepy (checked with tweepy 4.17.0): `BaseClient.request` hard-codes the host
`https://api.twitter.com`, so it cannot be pointed at a local server or another base; it logs the
request headers, `Authorization: Bearer <token>` included, at DEBUG (`tweepy.client`), which breaks the
rule that secrets never reach a log; and it sets no timeout on its requests. The API is one GET with
query parameters, so httpx with the project's limits does it with less code than working around that.

One pass: `GET /2/tweets/search/recent` with `since_id` (the newest post of the last complete pass),
`next_token` paging to the end, expansions for authors and referenced posts. Budget by design:
`options["max_pages"]` (default 3) x `options["max_results"]` (10-100, default 100) posts at most per
pass, and `options["monthly_cap"]` (posts per calendar month, counted in the cursor) stops reading
before X's cap does. When the pages of one pass run out of budget, the cursor moves to the newest
post and the older remainder is skipped with a warning (crisis work wants the newest first).

Limits: a 429 with `x-rate-limit-remaining: 0` (or an HTML/JSON 429 without headers) defers the
source to `x-rate-limit-reset` (`cursor["next_call_at"]`) and keeps `cursor["pending"]` (the
`next_token` and newest id) so the next pass resumes the paging where it stopped; a 429 whose window
is not exhausted is the usage cap (`UsageCapExceeded`): the source stops until the next period with
an error problem. 401, 403 client-not-enrolled and 453 become one sentence saying what the access
lacks. Cursor keys: since_id, pending, next_call_at, ratelimit, usage {period, posts}.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from mediebild.errors import PermanentSourceError
from mediebild.items import Item, trusted_published
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits
from mediebild.monitors.social import (
    MAX_TEXT_CHARS, Page, Secrets, call, clean, client, count, defer, deferred_until, error_text, iso, next_period,
    number, option_int, parse_time, ratelimit_state, result, secret, social_raw, summarise, title_from, unpack,
)

DEFAULT_BASE = "https://api.x.com"
SEARCH_PATH = "/2/tweets/search/recent"
TOKEN_ENV = "MEDIEBILD_X_BEARER_TOKEN"
TWEET_FIELDS = ("author_id,conversation_id,created_at,entities,in_reply_to_user_id,lang,note_tweet,public_metrics,"
                "referenced_tweets")
EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
USER_FIELDS = "name,username,verified"
WINDOW = timedelta(minutes=15)


def endpoint(source: SourceConfig) -> str:
    base = (source.url or DEFAULT_BASE).rstrip("/")
    return base if base.endswith(SEARCH_PATH) else base + SEARCH_PATH


def x_id(post_id: Any) -> str | None:
    text = str(post_id or "")
    return f"x:{text}" if text.isdigit() else None


class XMonitor:
    """X API v2 recent search (the `x` kind)."""

    name = "x"

    def __init__(self, limits: HttpLimits = DEFAULT_LIMITS):
        self.limits = limits

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult:
        started, url = time.monotonic(), endpoint(source)
        token = secret(TOKEN_ENV)
        if not token:
            raise PermanentSourceError(f"{TOKEN_ENV} is not set: X recent search needs the app's bearer token", code="auth_missing")
        query = str(source.options.get("query") or "").strip()
        if not query:
            raise PermanentSourceError("the X source has no search query (options.query)", code="config")
        secrets, cursor = Secrets(token), dict(cursor or {})
        period = now.strftime("%Y-%m")
        usage = cursor.get("usage") if isinstance(cursor.get("usage"), dict) and cursor["usage"].get("period") == period else None
        usage = dict(usage or {"period": period, "posts": 0})
        cap = option_int(source.options, "monthly_cap", 0, 0, 10**9)
        until = deferred_until(cursor, now)
        if until:
            note = Problem("deferred", f"X: no call before {iso(until)} (rate limit or usage cap)", "warning")
            return result("x", url, [], [note], cursor, secrets, started)
        if cap and usage["posts"] >= cap:
            until = next_period(now, "Monthly")
            note = Problem("budget_exhausted", f"X: this source's budget of {cap} posts a month is used up; "
                           f"reading resumes {iso(until)} (raise options.monthly_cap to read more)", "warning")
            return result("x", url, [], [note], defer({**cursor, "usage": usage}, until), secrets, started)

        max_pages = option_int(source.options, "max_pages", 3, 1, 100)
        params = {"query": query, "max_results": option_int(source.options, "max_results", 100, 10, 100),
                  "tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS}
        if cursor.get("since_id"):
            params["since_id"] = str(cursor["since_id"])
        pending = p if isinstance(p := cursor.get("pending"), dict) else {}
        token_next, newest = pending.get("next_token"), pending.get("newest_id")
        pages: list[Page] = []
        problems: list[Problem] = []
        stop = "budget"  # budget: the pass's pages ran out before the results did
        with client(self.limits) as http:
            for _ in range(max_pages):
                request = dict(params, **({"next_token": token_next} if token_next else {}))
                page = call(http, "GET", url, params=request, headers={"Authorization": f"Bearer {token}"},
                            secrets=secrets, limits=self.limits)
                remaining = number(page.header("x-rate-limit-remaining"))
                reset = parse_time(number(page.header("x-rate-limit-reset")))
                if page.header("x-rate-limit-limit") or remaining is not None:
                    cursor["ratelimit"] = ratelimit_state(page.header("x-rate-limit-limit"), remaining, reset)
                if page.status != 200:  # a refusal other than a 429 leaves the cursor to _refused
                    cursor = self._refused(page, cursor, problems, secrets, now, remaining, reset)
                    stop = "interrupted" if page.status == 429 else "refused"
                    break
                pages.append(page)
                data = page.json()
                if not isinstance(data, dict):
                    stop = "interrupted"  # parse reports the page; the same next_token is tried again next pass
                    break
                meta = m if isinstance(m := data.get("meta"), dict) else {}
                usage["posts"] += count(meta.get("result_count")) or 0
                newest = newest or meta.get("newest_id")
                token_next = meta.get("next_token")
                if not token_next:
                    stop = "complete"
                    break
                if remaining == 0:
                    until = reset if reset and reset > now else now + WINDOW
                    cursor, stop = defer(cursor, until), "interrupted"
                    problems.append(Problem("rate_limited", f"X: request window used up while paging; "
                                            f"the rest is read after {iso(until)}", "warning"))
                    break
                if cap and usage["posts"] >= cap:
                    break
        cursor["usage"] = usage
        if stop == "interrupted":
            if token_next and newest:  # resume the paging where it stopped; since_id moves when it completes
                cursor["pending"] = {"next_token": token_next, "newest_id": str(newest)}
        elif stop in ("complete", "budget"):
            if stop == "budget":
                problems.append(Problem("budget_truncated", f"X: more posts than this pass's budget ({max_pages} pages"
                                        f"{', monthly cap ' + str(cap) if cap else ''}); older ones were skipped "
                                        "(narrow the query or raise options.max_pages)", "warning"))
            if newest:
                cursor["since_id"] = str(newest)
            cursor.pop("pending", None)
        return result("x", url, pages, problems, cursor, secrets, started)

    def _refused(self, page, cursor, problems, secrets, now, remaining, reset) -> dict[str, Any]:
        """Turn a non-200 answer into one problem (and a deferral where the answer asks for one)."""
        data = page.json()
        data = data if isinstance(data, dict) else {}
        detail = error_text(page, secrets)
        if page.status == 429:
            capped = "usagecap" in str(data.get("title", "")).lower().replace(" ", "") or "usage-capped" in str(data.get("type", ""))
            if capped or (remaining is not None and remaining > 0):
                period = str(data.get("period") or "Monthly")
                until = next_period(now, period)
                problems.append(Problem("usage_cap", f"X: the account's {period.lower()} usage cap is reached ({detail}); "
                                        f"this source is stopped until {iso(until)}, the start of the next period"))
                return defer(cursor, until)
            until = reset if reset and reset > now else now + WINDOW
            problems.append(Problem("rate_limited", f"X: the 15-minute request window is used up (429); "
                                    f"next call at {iso(until)}", "warning"))
            return defer(cursor, until)
        codes = {e.get("code") for e in data.get("errors") or [] if isinstance(e, dict)}
        if page.status == 401:
            message = ("X refused the bearer token (401 Unauthorized): MEDIEBILD_X_BEARER_TOKEN is wrong, revoked, "
                       "or belongs to a suspended app")
            code = "auth"
        elif 453 in codes or "453" in detail:
            message = ("X: the account's access tier covers only a subset of the v2 endpoints and lacks recent "
                       "search (453); a tier with search access is needed")
            code = "auth_tier"
        elif page.status == 403 and (data.get("reason") == "client-not-enrolled" or "client-forbidden" in str(data.get("type"))):
            message = ("X: the app is not enrolled for recent search (403 client-not-enrolled): its access level lacks "
                       "/2/tweets/search/recent; attach it to a project on a tier that includes search")
            code = "auth_tier"
        elif page.status == 403:
            message, code = f"X forbade the search (403: {detail})", "auth"
        else:
            message, code = f"X rejected the search ({page.status}: {detail})", f"http_{page.status}"
            if page.status == 400 and cursor.get("pending"):  # a stale next_token must not block the source
                cursor = {k: v for k, v in cursor.items() if k != "pending"}
                message += "; the interrupted paging was dropped"
            if page.status == 400 and "since_id" in detail and cursor.get("since_id"):
                cursor = {k: v for k, v in cursor.items() if k != "since_id"}
                message += "; the since_id cursor was dropped, the next pass starts afresh"
        problems.append(Problem(code, message))
        return cursor

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult:
        pages, problems = unpack(fetched.body)
        items: list[Item] = []
        seen: set[str] = set()
        flags: dict[str, int] = {}
        for page in pages:
            data = page["data"]
            if page["status"] != 200 or data is None:
                continue
            if not isinstance(data, dict):
                problems.append(Problem("malformed", "an X answer is JSON but not an object; skipped"))
                continue
            try:
                items += parse_page(data, source=source, now=now, seen=seen, flags=flags)
            except Exception as exc:  # a bug must not stop the run: report it as this source's problem
                problems.append(Problem("parse_error", f"unexpected {type(exc).__name__} reading an X page"))
        problems += summarise(flags, MESSAGES)
        return ParseResult(items=items, cursor=fetched.cursor, problems=problems)


MESSAGES = {
    "malformed_post": "posts without a usable id or text were skipped",
    "referenced_missing": "referenced posts are not available (deleted, protected or suspended)",
    "date_missing": "posts without a date: the fetch time was used",
    "date_unparseable": "posts with an unreadable date: the fetch time was used",
    "date_future": "posts dated in the future: the fetch time was used",
}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _strings(entries: Any, *keys: str) -> list[str]:
    """The first non-empty string among `keys` of each entity dict."""
    out = []
    for entry in _list(entries):
        value = next((clean(entry.get(k), 2000) for k in keys if isinstance(entry, dict) and clean(entry.get(k))), "")
        if value:
            out.append(value)
    return out


def _full_text(tweet: dict) -> str:
    note = clean(_dict(tweet.get("note_tweet")).get("text"))
    return note if note.strip() else clean(tweet.get("text"))


def parse_page(data: dict, *, source: SourceConfig, now: datetime, seen: set[str], flags: dict[str, int]) -> list[Item]:
    includes = _dict(data.get("includes"))
    users = {str(u.get("id")): u for u in _list(includes.get("users")) if isinstance(u, dict)}
    tweets = {str(t.get("id")): t for t in _list(includes.get("tweets")) if isinstance(t, dict)}
    missing = sum(1 for e in _list(data.get("errors")) if isinstance(e, dict) and "tweet" in str(e.get("resource_type", "tweet")))
    if missing:
        flags["referenced_missing"] = flags.get("referenced_missing", 0) + missing
    items = []
    for tweet in _list(data.get("data")):
        item = _item(tweet, users, tweets, source=source, now=now, flags=flags) if isinstance(tweet, dict) else None
        if item is None:
            flags["malformed_post"] = flags.get("malformed_post", 0) + 1
        elif item.id not in seen:
            seen.add(item.id)
            items.append(item)
    return items


def _item(tweet: dict, users: dict, tweets: dict, *, source: SourceConfig, now: datetime, flags: dict[str, int]) -> Item | None:
    iid, text = x_id(tweet.get("id")), _full_text(tweet)
    if not iid or not text.strip():
        return None
    refs = {str(r.get("type")): str(r.get("id")) for r in _list(tweet.get("referenced_tweets")) if isinstance(r, dict)}
    repost_of, quote_of, reply_to = x_id(refs.get("retweeted")), x_id(refs.get("quoted")), x_id(refs.get("replied_to"))
    if repost_of and refs["retweeted"] in tweets:
        # the original's full text, so the repost has the original's content hash and collapses onto it
        text = _full_text(tweets[refs["retweeted"]]) or text
    user = _dict(users.get(str(tweet.get("author_id"))))
    handle = clean(user.get("username"), 100) or None
    post_id = iid.split(":", 1)[1]
    url = f"https://x.com/{handle}/status/{post_id}" if handle else f"https://x.com/i/web/status/{post_id}"
    created = parse_time(tweet.get("created_at"))
    published, flag = trusted_published(created, now, unparseable=bool(tweet.get("created_at")) and created is None)
    if flag:
        flags[f"date_{flag}"] = flags.get(f"date_{flag}", 0) + 1
    metrics, entities = _dict(tweet.get("public_metrics")), _dict(tweet.get("entities"))
    lang = tweet.get("lang") if isinstance(tweet.get("lang"), str) and len(tweet["lang"]) == 2 else None
    social = social_raw(
        "x", post_id, author_handle=handle, author_name=clean(user.get("name"), 200) or None,
        author_id=clean(tweet.get("author_id"), 40) or None,
        likes=metrics.get("like_count"), reposts=metrics.get("retweet_count"), replies=metrics.get("reply_count"),
        quotes=metrics.get("quote_count"), repost_of=repost_of, quote_of=quote_of, reply_to=reply_to,
        thread_id=x_id(tweet.get("conversation_id")),
        links=_strings(entities.get("urls"), "expanded_url", "url"), tags=_strings(entities.get("hashtags"), "tag"),
        mentions=_strings(entities.get("mentions"), "username"),
        extra={"verified": user["verified"]} if isinstance(user.get("verified"), bool) else None,
    )
    text = text[:MAX_TEXT_CHARS]
    return Item(id=iid, source=source.id, kind=source.item_kind, url=url, title=title_from(text), text=text,
                author=handle, published_at=published, fetched_at=now, lang=lang, date_flag=flag, raw={"social": social})
