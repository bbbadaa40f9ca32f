"""Bluesky post search (`app.bsky.feed.searchPosts`) with a logged-in session: the `bluesky` kind.

May import only the mediebild core and monitors.base/http/social.

The source's URL is the XRPC service to call (default https://bsky.social, the entryway that proxies
app.bsky calls for its accounts; tests give a local server), `options["query"]` the search (Lucene
syntax). Anonymous search has been switched off on the public AppView since 2025, so the monitor
logs in with MEDIEBILD_BLUESKY_HANDLE and MEDIEBILD_BLUESKY_APP_PASSWORD (an app password, never
the account password).

Why plain httpx and not atproto (checked with atproto 0.0.73): it pins `httpx<0.29` and would
downgrade the httpx every monitor uses, and pulls in cryptography, dnspython, libipld, websockets
and zstandard for what is here three XRPC calls.

**The session** (createSession allows 30 logins per 5 minutes and 300 a day per account) is kept and
reused: its tokens are secrets, so they live in a file of their own under the state directory
(`social.state_dir()/bluesky/<hash of service and handle>.json`, mode 0600), never in the database,
the cursor, a log or a problem. An expired access token is refreshed (refreshSession), a refused
refresh token leads to a new login, and logins are counted in that file so the monitor itself stays
under 25 per 5 minutes and 250 a day.

One pass: `sort=latest`, `since=<cursor since>`, `cursor` paging to the end or `options["max_pages"]`
(default 3) x `options["limit"]` (1-100, default 100). The next `since` is the newest post's sort
time (the earlier of createdAt and indexedAt, as the lexicon compares) less a 5-minute overlap;
duplicates are harmless, the store upserts by id. A 429 mid-paging keeps `cursor["pending"]` and
resumes there after `next_call_at` (RateLimit-Reset, epoch or seconds-left). Items link to
https://bsky.app/profile/<handle>/post/<rkey>; facets' UTF-8 byte offsets are turned into text
spans (links, mentions, tags in raw["social"]).
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta
from typing import Any

from mediebild.errors import PermanentSourceError
from mediebild.items import Item, stable_id, trusted_published
from mediebild.monitors.base import FetchResult, ParseResult, Problem, SourceConfig
from mediebild.monitors.http import DEFAULT_LIMITS, HttpLimits
from mediebild.monitors.social import (
    Secrets, call, clean, client, defer, deferred_until, error_text, iso, number, option_int, parse_time,
    ratelimit_state, read_private, result, secret, social_raw, state_dir, title_from, write_private,
)
from mediebild.monitors.social_pages import parse_posts

DEFAULT_BASE = "https://bsky.social"
HANDLE_ENV, PASSWORD_ENV = "MEDIEBILD_BLUESKY_HANDLE", "MEDIEBILD_BLUESKY_APP_PASSWORD"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE, REFRESH = "/xrpc/com.atproto.server.createSession", "/xrpc/com.atproto.server.refreshSession"
OVERLAP, BACKOFF = timedelta(minutes=5), timedelta(minutes=5)
LOGINS_PER_5_MIN, LOGINS_PER_DAY = 25, 250
EXPIRED = ("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing")


def session_path(base: str, handle: str):
    return state_dir() / "bluesky" / f"{stable_id('bluesky-session', base, handle.lower())}.json"


def jwt_expiry(token: Any) -> datetime | None:
    """The `exp` of a JWT (unverified: only to refresh in time), None if it is not one."""
    try:
        payload = token.split(".")[1]
        return parse_time(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("exp"))
    except Exception:
        return None


def reset_time(value: Any, now: datetime) -> datetime | None:
    """RateLimit-Reset: epoch seconds, or (per the IETF draft) seconds left; both are seen."""
    seconds = number(value)
    if seconds is None:
        return None
    return parse_time(seconds) if seconds > 1e9 else now + timedelta(seconds=seconds)


class AuthProblem(Exception):
    def __init__(self, problem: Problem, until: datetime | None = None):
        super().__init__(problem.message)
        self.problem, self.until = problem, until


class BlueskyMonitor:
    """app.bsky.feed.searchPosts through a logged-in, persisted session (the `bluesky` kind)."""

    name = "bluesky"

    def __init__(self, limits: HttpLimits = DEFAULT_LIMITS):
        self.limits = limits

    def fetch(self, source: SourceConfig, cursor: dict[str, Any], *, now: datetime) -> FetchResult:
        started, base = time.monotonic(), (source.url or DEFAULT_BASE).rstrip("/")
        handle, password = secret(HANDLE_ENV), secret(PASSWORD_ENV)
        if not handle or not password:
            raise PermanentSourceError(f"{HANDLE_ENV} and {PASSWORD_ENV} must be set: Bluesky search needs a login",
                                       code="auth_missing")
        query = str(source.options.get("query") or "").strip()
        if not query:
            raise PermanentSourceError("the Bluesky source has no search query (options.query)", code="config")
        secrets, cursor = Secrets(password), dict(cursor or {})
        until = deferred_until(cursor, now)
        if until:
            note = Problem("deferred", f"Bluesky: no call before {iso(until)} (rate limit)", "warning")
            return result("bluesky", base + SEARCH, [], [note], cursor, secrets, started)
        max_pages = option_int(source.options, "max_pages", 3, 1, 100)
        params = {"q": query, "sort": "latest", "limit": option_int(source.options, "limit", 100, 1, 100)}
        if cursor.get("since"):
            params["since"] = cursor["since"]
        pending = p if isinstance(p := cursor.get("pending"), dict) else {}
        page_cursor, newest = pending.get("cursor"), parse_time(pending.get("newest"))
        pages, problems, stop = [], [], "budget"
        session = Session(base, handle, password, secrets, self.limits, now)
        with client(self.limits) as http:
            for _ in range(max_pages):
                request = dict(params, **({"cursor": page_cursor} if page_cursor else {}))
                try:
                    page = session.get(http, base + SEARCH, request)
                except AuthProblem as exc:
                    problems.append(exc.problem)
                    cursor = defer(cursor, exc.until) if exc.until else cursor
                    stop = "interrupted"
                    break
                reset = reset_time(page.header("ratelimit-reset"), now)
                if page.header("ratelimit-limit") or page.header("ratelimit-remaining"):
                    cursor["ratelimit"] = ratelimit_state(page.header("ratelimit-limit"), page.header("ratelimit-remaining"), reset)
                if page.status == 429:
                    until = reset if reset and reset > now else now + BACKOFF
                    cursor, stop = defer(cursor, until), "interrupted"
                    problems.append(Problem("rate_limited", f"Bluesky: too many requests (429); next call at {iso(until)}", "warning"))
                    break
                if page.status != 200:
                    problems.append(_refused(page, secrets))
                    stop = "interrupted"
                    if page.status == 400:  # a stale paging cursor must not block the source
                        cursor.pop("pending", None)
                        page_cursor = None
                    break
                pages.append(page)
                data = page.json()
                if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
                    stop = "interrupted"
                    break
                times = [t for t in [newest, *(sort_time(p) for p in data["posts"])] if t]
                newest = max(times) if times else None
                page_cursor = data.get("cursor") if isinstance(data.get("cursor"), str) and data["posts"] else None
                if not page_cursor:
                    stop = "complete"
                    break
        if stop == "interrupted":
            if page_cursor and newest:
                cursor["pending"] = {"cursor": page_cursor, "newest": iso(newest)}
        else:
            if stop == "budget":
                problems.append(Problem("budget_truncated", f"Bluesky: more posts than this pass's budget ({max_pages} pages); "
                                        "older ones were skipped (narrow the query or raise options.max_pages)", "warning"))
            if newest:
                cursor["since"] = iso(min(newest, now) - OVERLAP)  # a post dated ahead must not skip the present
            cursor.pop("pending", None)
        return result("bluesky", base + SEARCH, pages, problems, cursor, secrets, started)

    def parse(self, source: SourceConfig, fetched: FetchResult, *, now: datetime) -> ParseResult:
        def posts(page: dict[str, Any]) -> list[Any] | None:
            data = page["data"]
            found = data.get("posts") if isinstance(data, dict) else None
            return found if isinstance(found, list) else None

        return parse_posts(fetched, records=posts, messages=MESSAGES,
                           to_item=lambda view, page, flags: post_item(view, source=source, now=now, flags=flags),
                           malformed="a Bluesky answer has no list of posts; skipped")


class Session:
    """The persisted login: reuse, refresh when expired, log in only when needed and allowed."""

    def __init__(self, base: str, handle: str, password: str, secrets: Secrets, limits: HttpLimits, now: datetime):
        self.base, self.handle, self.password, self.secrets, self.limits, self.now = base, handle, password, secrets, limits, now
        self.path = session_path(base, handle)
        stored = read_private(self.path) or {}
        self.state = stored if stored.get("base") == base and str(stored.get("handle", "")).lower() == handle.lower() else {}
        self.secrets.add(self.state.get("accessJwt"), self.state.get("refreshJwt"))

    def get(self, http, url: str, params: dict[str, Any]):
        if not self.state.get("accessJwt"):
            self._login(http)
        elif (exp := jwt_expiry(self.state["accessJwt"])) and exp <= self.now + timedelta(seconds=60):
            self._refresh(http) or self._login(http)
        page = self._call(http, url, params)
        if self._expired(page):
            self._refresh(http) or self._login(http)
            page = self._call(http, url, params)
            if self._expired(page):
                raise AuthProblem(Problem("auth", "Bluesky refused a fresh session (401): the account may be taken "
                                          "down or the app password revoked"))
        return page

    def _call(self, http, url, params):
        return call(http, "GET", url, params=params, headers={"Authorization": f"Bearer {self.state['accessJwt']}"},
                    secrets=self.secrets, limits=self.limits)

    @staticmethod
    def _expired(page) -> bool:
        data = page.json()
        return page.status in (400, 401) and (page.status == 401 or (isinstance(data, dict) and data.get("error") in EXPIRED))

    def _save(self, data: dict[str, Any], login: bool) -> None:
        logins = [t for t in self.state.get("logins", []) if (parse_time(t) or self.now) > self.now - timedelta(days=1)]
        self.state = {"base": self.base, "handle": self.handle, "did": data.get("did"), "accessJwt": data["accessJwt"],
                      "refreshJwt": data["refreshJwt"], "logins": logins + ([iso(self.now)] if login else [])}
        self.secrets.add(data["accessJwt"], data["refreshJwt"])
        write_private(self.path, self.state)

    def _tokens(self, page) -> dict[str, Any] | None:
        data = page.json()
        if page.status == 200 and isinstance(data, dict) and isinstance(data.get("accessJwt"), str) and isinstance(data.get("refreshJwt"), str):
            return data
        return None

    def _refresh(self, http) -> bool:
        if not self.state.get("refreshJwt"):
            return False
        page = call(http, "POST", self.base + REFRESH, headers={"Authorization": f"Bearer {self.state['refreshJwt']}"},
                    secrets=self.secrets, limits=self.limits)
        data = self._tokens(page)
        if data:
            self._save(data, login=False)
        return bool(data)

    def _login(self, http) -> bool:
        times = [t for t in (parse_time(x) for x in self.state.get("logins", [])) if t]
        recent = [t for t in times if t > self.now - timedelta(minutes=5)]
        if len(recent) >= LOGINS_PER_5_MIN or len([t for t in times if t > self.now - timedelta(days=1)]) >= LOGINS_PER_DAY:
            until = min(recent) + timedelta(minutes=5) if len(recent) >= LOGINS_PER_5_MIN else min(times) + timedelta(days=1)
            raise AuthProblem(Problem("login_budget", f"Bluesky: too many logins lately (createSession is limited); "
                                      f"next login at {iso(until)}", "warning"), until)
        self.state.setdefault("logins", [])
        page = call(http, "POST", self.base + CREATE, json_body={"identifier": self.handle, "password": self.password},
                    secrets=self.secrets, limits=self.limits)
        self.state["logins"] = self.state["logins"] + [iso(self.now)]
        data = self._tokens(page)
        if data:
            self._save(data, login=False)
            return True
        write_private(self.path, {"base": self.base, "handle": self.handle, "logins": self.state["logins"]})  # count it
        self.state.pop("accessJwt", None)
        error = page.json().get("error") if isinstance(page.json(), dict) else None
        if page.status == 429:
            until = reset_time(page.header("ratelimit-reset"), self.now) or self.now + BACKOFF
            raise AuthProblem(Problem("rate_limited", f"Bluesky: login refused for now (429); next try at {iso(until)}", "warning"), until)
        if error == "AuthFactorTokenRequired":
            raise AuthProblem(Problem("auth", "Bluesky asks this account for an e-mail code: MEDIEBILD_BLUESKY_APP_PASSWORD "
                                      "must be an app password (Settings, App passwords), not the account password"))
        raise AuthProblem(Problem("auth", f"Bluesky refused the login ({page.status} {error or 'error'}): check "
                                  f"{HANDLE_ENV} and {PASSWORD_ENV} (an app password)"))


def _refused(page, secrets: Secrets) -> Problem:
    if page.status == 403:
        return Problem("forbidden", f"Bluesky forbade the search (403: {error_text(page, secrets)})")
    return Problem(f"http_{page.status}", f"Bluesky rejected the search ({page.status}: {error_text(page, secrets)})")


MESSAGES = {
    "malformed_post": "posts without a usable uri or text were skipped",
    "parse_error": "posts could not be read (unexpected shape)",
    "bad_facets": "facets with byte offsets outside the text were ignored",
    "quoted_missing": "quoted posts are not available (deleted or blocked)",
    "date_missing": "posts without a date: the fetch time was used",
    "date_unparseable": "posts with an unreadable date: the fetch time was used",
    "date_future": "posts dated in the future: the fetch time was used",
}


def bluesky_id(uri: Any) -> str | None:
    return f"bluesky:{stable_id('at', uri)}" if isinstance(uri, str) and uri.startswith("at://") and uri.count("/") >= 4 else None


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def sort_time(view: Any) -> datetime | None:
    """The earlier of createdAt and indexedAt: what `since` is compared with."""
    view = _d(view)
    times = [t for t in (parse_time(_d(view.get("record")).get("createdAt")), parse_time(view.get("indexedAt"))) if t]
    return min(times) if times else None


def facets(text: str, raw: Any, flags: dict[str, int]) -> list[dict[str, Any]]:
    """Facets with their spans: byteStart/byteEnd are UTF-8 byte offsets into `text`, turned into characters."""
    data, out = text.encode("utf-8"), []
    for facet in raw if isinstance(raw, list) else []:
        index = _d(_d(facet).get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(data)):
            flags["bad_facets"] = flags.get("bad_facets", 0) + 1
            continue
        try:
            span, before = data[start:end].decode("utf-8"), data[:start].decode("utf-8")
        except UnicodeDecodeError:  # an offset inside a multi-byte character
            flags["bad_facets"] = flags.get("bad_facets", 0) + 1
            continue
        for feature in _d(facet).get("features") or []:
            feature = _d(feature)
            kind = str(feature.get("$type", "")).rsplit("#", 1)[-1] or next((k for k in ("uri", "did", "tag") if k in feature), "")
            kind = {"uri": "link", "did": "mention"}.get(kind, kind)
            value = clean(feature.get({"link": "uri", "mention": "did", "tag": "tag"}.get(kind, "")), 2000)
            if kind in ("link", "mention", "tag") and value:
                out.append({"type": kind, "start": len(before), "end": len(before) + len(span), "text": span, "value": value})
    return out


def post_item(view: Any, *, source: SourceConfig, now: datetime, flags: dict[str, int]) -> Item | None:
    view = _d(view)
    uri, record, author = view.get("uri"), _d(view.get("record")), _d(view.get("author"))
    iid, text = bluesky_id(uri), clean(record.get("text"))
    if not iid or not text.strip():
        return None
    did, handle = clean(author.get("did"), 200), clean(author.get("handle"), 200)
    profile = handle if handle and handle != "handle.invalid" else (did or uri.split("/")[2])
    rkey = uri.rsplit("/", 1)[-1]
    spans = facets(text, record.get("facets"), flags)
    embed, reply = _d(record.get("embed")), _d(record.get("reply"))
    quoted = _d(embed.get("record")) if "record" in str(embed.get("$type", "")) else {}
    quoted = _d(quoted.get("record")) if "recordWithMedia" in str(embed.get("$type", "")) else quoted
    view_record = _d(_d(view.get("embed")).get("record"))
    view_record = _d(view_record.get("record")) if "recordWithMedia" in str(_d(view.get("embed")).get("$type", "")) else view_record
    quoted_missing = bool(view_record.get("notFound") or view_record.get("blocked") or "viewNotFound" in str(view_record.get("$type", "")))
    if quoted_missing:
        flags["quoted_missing"] = flags.get("quoted_missing", 0) + 1
    external = clean(_d(embed.get("external")).get("uri"), 2000)
    root = bluesky_id(_d(reply.get("root")).get("uri"))
    created = parse_time(record.get("createdAt"))
    published, flag = trusted_published(created, now, unparseable=bool(record.get("createdAt")) and created is None)
    if flag:
        flags[f"date_{flag}"] = flags.get(f"date_{flag}", 0) + 1
    langs = record.get("langs") if isinstance(record.get("langs"), list) else []
    lang = clean(langs[0], 10)[:2].lower() if langs and len(clean(langs[0], 10)) >= 2 else None
    labels = [clean(_d(x).get("val"), 100) for x in view.get("labels") or [] if clean(_d(x).get("val"))]
    social = social_raw(
        "bluesky", clean(uri, 500), author_handle=handle or None, author_name=clean(author.get("displayName"), 200) or None,
        author_id=did or None, likes=view.get("likeCount"), reposts=view.get("repostCount"), replies=view.get("replyCount"),
        quotes=view.get("quoteCount"), quote_of=bluesky_id(quoted.get("uri")),
        reply_to=bluesky_id(_d(reply.get("parent")).get("uri")) or root, thread_id=root or iid,
        links=list(dict.fromkeys([s["value"] for s in spans if s["type"] == "link"] + ([external] if external else []))),
        tags=[s["value"] for s in spans if s["type"] == "tag"], mentions=[s["text"].lstrip("@") for s in spans if s["type"] == "mention"],
        extra={"facets": spans, "indexed_at": clean(view.get("indexedAt"), 40) or None, "quoted_missing": quoted_missing,
               "labels": labels, "cid": clean(view.get("cid"), 200) or None},
    )
    return Item(id=iid, source=source.id, kind=source.item_kind, url=f"https://bsky.app/profile/{profile}/post/{rkey}",
                title=title_from(text), text=text, author=handle or None, published_at=published, fetched_at=now,
                lang=lang, date_flag=flag, raw={"social": social})
