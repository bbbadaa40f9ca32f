"""The demo's social platforms as their APIs answer: X, Mastodon, Bluesky and Reddit on the replay server.

Each function answers one platform's endpoints for one scenario feed (`FeedSpec.monitor`), at the replay
server's simulated time: a post appears once the clock passes its publish time, exactly as in the RSS
replay. Shapes are those of shared/API-NOTES.md (sections 3-6) and the fixtures in tests/fixtures/api/:

* **X** (`x`): `GET /2/tweets/search/recent` with `Authorization: Bearer <token>` (only the run's exercise
  token; else 401 problem+json). `query` (the subset in demo/platforms.py), `max_results` 10-100 (default
  10), `since_id`, `until_id`, `next_token` paging (newest first); `data`, `includes.users`,
  `includes.tweets` (the originals of retweets), `meta` {newest_id, oldest_id, result_count, next_token};
  no hits: only `meta.result_count: 0`. A retweet's text is "RT @user: ..." cut at 140 characters, with
  `referenced_tweets` retweeted. `x-rate-limit-*` headers: 450 per 15 minutes of simulated time (429 past it).
* **Mastodon** (`mastodon`): `GET /api/v1/timelines/tag/:tag`, public; `limit` (default 20, at most 40),
  `max_id`, `since_id`, `min_id` (the statuses just above it), newest first, a `Link` header with
  `rel="next"` (max_id) and `rel="prev"` (min_id); HTML content with Mastodon's hashtag markup; ISO
  `X-RateLimit-Reset`. Boosts never show in tag timelines. The instance's hashtag RSS, `/tags/:tag.rss`,
  is served too (items without titles), as Mastodon serves it.
* **Bluesky** (`bluesky`): `POST /xrpc/com.atproto.server.createSession` (only the exercise handle and app
  password; 30 logins per 5 minutes), `POST .../refreshSession`, and `GET /xrpc/app.bsky.feed.searchPosts`
  with the session's access token (JWT-shaped; it expires two simulated hours after it was issued:
  400 ExpiredToken, so the monitor refreshes). `q`, `sort`, `since`, `until`, `limit` (1-100, default 25),
  `cursor`; postViews with facets for tags at UTF-8 byte offsets; `RateLimit-*` headers.
* **Reddit** (`reddit`): `POST /api/v1/access_token` (HTTP Basic with the exercise client id and secret,
  `grant_type=client_credentials`), then `GET /r/:subs/new` and `/r/:subs/search` with `bearer <token>`;
  a default User-Agent is refused (429) as Reddit does; `limit` (default 25, at most 100), `after`,
  `before`; a Listing of t3 children; `x-ratelimit-*` (remaining a float, reset in seconds); an unknown
  subreddit redirects to /subreddits/search.

Tokens the server hands out are random and kept in memory; they are not the exercise credentials.

Imports: the mediebild core and demo's own modules (platforms, scenario, render).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import quote, urlencode

from mediebild.demo.credentials import DemoCredentials
from mediebild.demo.platforms import (
    JSON, Answer, ApiRequest, derived_title, did, display_name, handle, hashtags, iso_z, json_answer, matches,
    rate_window, user_number,
)
from mediebild.demo.render import render
from mediebild.demo.scenario import FeedSpec, Scenario, ScenarioItem

PROBLEM_JSON = "application/problem+json"
X_WINDOW_LIMIT, MASTODON_LIMIT, BLUESKY_LIMIT, REDDIT_LIMIT = 450, 300, 3000, 1000
ACCESS_LIFETIME, REFRESH_LIFETIME = timedelta(hours=2), timedelta(days=90)
LOGINS_PER_5_MIN = 30
_TAG_PATH = re.compile(r"^/api/v1/timelines/tag/([^/]+)$")
_TAG_RSS = re.compile(r"^/tags/([^/]+)\.rss$")
_SUBREDDIT = re.compile(r"^/r/([A-Za-z0-9_+]+)/(new|search)(?:\.json)?$")
_DEFAULT_AGENTS = ("python-requests", "python-httpx", "curl/", "wget/", "go-http-client")


@dataclass
class PlatformState:
    """What the platforms remember between requests: issued tokens and request counts per rate window."""

    credentials: DemoCredentials
    lock: threading.Lock = field(default_factory=threading.Lock)
    access: dict[str, datetime] = field(default_factory=dict)  # Bluesky access JWT -> expiry (simulated)
    refresh: dict[str, datetime] = field(default_factory=dict)  # Bluesky refresh JWT -> expiry
    reddit_tokens: dict[str, datetime] = field(default_factory=dict)
    counts: dict[tuple[str, datetime], int] = field(default_factory=dict)
    logins: list[datetime] = field(default_factory=list)

    def count(self, platform: str, now: datetime, minutes: int) -> tuple[int, datetime]:
        """Count one request in the platform's rate window; (requests so far in it, the window's end)."""
        start, end = rate_window(now, minutes)
        with self.lock:
            self.counts[(platform, start)] = self.counts.get((platform, start), 0) + 1
            return self.counts[(platform, start)], end


Handler = Callable[[Scenario, FeedSpec, ApiRequest, datetime, PlatformState], Answer]


def answer(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime, state: PlatformState) -> Answer:
    """Dispatch a request below a social feed's mount to its platform."""
    handlers: dict[str, Handler] = {"x": x_api, "mastodon": mastodon_api, "bluesky": bluesky_api, "reddit": reddit_api}
    return handlers[feed.monitor](scenario, feed, request, now, state)


def _posts(scenario: Scenario, feed: FeedSpec, now: datetime) -> list[ScenarioItem]:
    """Every post of the feed published by `now` (social posts are never edited in the scenario)."""
    return [item for item, _ in scenario.visible(feed.id, now, limit=None)]


def _likes(item: ScenarioItem, reposts: int = 0) -> int:
    return int(hashlib.sha1(item.id.encode()).hexdigest(), 16) % 37 + 4 * reposts


def _repost_counts(posts: list[ScenarioItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for post in posts:
        if post.repost and post.copy_of:
            counts[post.copy_of] = counts.get(post.copy_of, 0) + 1
    return counts


# -- X -----------------------------------------------------------------------------------------------


def _x_problem(status: int, title: str, detail: str, kind: str = "about:blank", headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, {"title": title, "type": kind, "status": status, "detail": detail}, headers, PROBLEM_JSON)


def _x_invalid(parameter: str, value: str, message: str) -> Answer:
    return json_answer(400, {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    })


def x_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime, state: PlatformState) -> Answer:
    if request.path.rstrip("/") != "/2/tweets/search/recent" or request.method != "GET":
        return _x_problem(404, "Not Found Error", f"Could not find {request.path}",
                          "https://api.twitter.com/2/problems/resource-not-found")
    if request.bearer() != state.credentials.x_bearer_token:
        return _x_problem(401, "Unauthorized", "Unauthorized")
    used, reset = state.count("x", now, 15)
    limits = {"x-rate-limit-limit": str(X_WINDOW_LIMIT), "x-rate-limit-remaining": str(max(0, X_WINDOW_LIMIT - used)),
              "x-rate-limit-reset": str(int(reset.timestamp()))}
    if used > X_WINDOW_LIMIT:
        return _x_problem(429, "Too Many Requests", "Too Many Requests", headers=limits)
    query = request.arg("query") or ""
    if not query.strip():
        return _x_invalid("query", "", "The `query` query parameter can not be empty")
    size = request.int_arg("max_results", 10, 10, 100)
    if size is None:
        return _x_invalid("max_results", request.arg("max_results") or "", "The `max_results` query parameter value "
                          f"[{request.arg('max_results')}] is not between 10 and 100")
    bounds = {}
    for name in ("since_id", "until_id"):
        value = request.arg(name)
        if value is not None and not value.isdigit():
            return _x_invalid(name, value, f"The `{name}` query parameter value [{value}] is not valid")
        bounds[name] = int(value) if value else None
    token = request.arg("next_token")
    below = None
    if token:
        try:
            below = int(token, 36)
        except ValueError:
            return _x_invalid("next_token", token, f"The `next_token` query parameter value [{token}] is not valid")
    posts = _posts(scenario, feed, now)
    reposts = _repost_counts(posts)
    hits = [p for p in posts if matches(query, p.text, is_repost=p.repost, lang=p.lang)]
    hits = [p for p in hits if (bounds["since_id"] is None or int(p.post_id) > bounds["since_id"])
            and (bounds["until_id"] is None or int(p.post_id) < bounds["until_id"]) and (below is None or int(p.post_id) < below)]
    hits.sort(key=lambda p: int(p.post_id), reverse=True)
    page, more = hits[:size], len(hits) > size
    if not page:
        return json_answer(200, {"meta": {"result_count": 0}}, limits)
    originals = [scenario.item(p.copy_of) for p in page if p.repost and p.copy_of]
    authors = {p.author or "anonym" for p in page + originals}
    meta: dict[str, object] = {"newest_id": page[0].post_id, "oldest_id": page[-1].post_id, "result_count": len(page)}
    if more:
        meta["next_token"] = _base36(int(page[-1].post_id))
    includes: dict[str, object] = {"users": [_x_user(a) for a in sorted(authors)]}
    if originals:
        includes["tweets"] = [_tweet(scenario, o, reposts) for o in originals]
    document = {"data": [_tweet(scenario, p, reposts) for p in page], "includes": includes, "meta": meta}
    return json_answer(200, document, limits)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _x_user(author: str) -> dict[str, object]:
    return {"id": user_number(author), "name": display_name(author), "username": author, "verified": False}


def _tweet(scenario: Scenario, post: ScenarioItem, reposts: dict[str, int]) -> dict[str, object]:
    text = post.text if len(post.text) <= 140 or not post.repost else post.text[:139] + "…"
    original = scenario.item(post.copy_of) if post.repost and post.copy_of else None
    shared = reposts.get(original.id if original else post.id, 0)
    tweet: dict[str, object] = {
        "id": post.post_id, "text": text, "author_id": user_number(post.author), "conversation_id": post.post_id,
        "created_at": iso_z(post.published), "lang": post.lang, "edit_history_tweet_ids": [post.post_id],
        "public_metrics": {"retweet_count": shared, "reply_count": 0, "like_count": 0 if original else _likes(post, shared),
                           "quote_count": 0},
    }
    entities: dict[str, object] = {}
    tags = [{"start": s, "end": e, "tag": t} for s, e, t in hashtags(text)]
    if tags:
        entities["hashtags"] = tags
    if original:
        name = original.author or "anonym"
        entities["mentions"] = [{"start": 3, "end": 4 + len(name), "username": name, "id": user_number(name)}]
        tweet["referenced_tweets"] = [{"type": "retweeted", "id": original.post_id}]
    if entities:
        tweet["entities"] = entities
    return tweet


# -- Mastodon ----------------------------------------------------------------------------------------


def mastodon_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime, state: PlatformState) -> Answer:
    rss = _TAG_RSS.match(request.path)
    if rss and request.method == "GET":
        return _tag_rss(scenario, feed, rss.group(1), now)
    found = _TAG_PATH.match(request.path)
    if not found or request.method != "GET":
        return json_answer(404, {"error": "Record not found"})
    if request.headers.get("authorization"):  # the demo's instance hands out no tokens
        return json_answer(401, {"error": "The access token is invalid"})
    used, reset = state.count("mastodon", now, 5)
    limits = {"X-RateLimit-Limit": str(MASTODON_LIMIT), "X-RateLimit-Remaining": str(max(0, MASTODON_LIMIT - used)),
              "X-RateLimit-Reset": reset.isoformat(timespec="microseconds").replace("+00:00", "Z")}
    if used > MASTODON_LIMIT:
        return json_answer(429, {"error": "Too many requests"}, limits)
    tag = found.group(1).casefold()
    limit = request.int_arg("limit", 20, 1, 10_000)
    limit = min(limit, 40) if limit is not None else 20
    bounds = {}
    for name in ("max_id", "since_id", "min_id"):
        value = request.arg(name)
        bounds[name] = int(value) if value and value.isdigit() else None
    posts = [p for p in _posts(scenario, feed, now) if not p.repost and tag in {t.casefold() for _, _, t in hashtags(p.text)}]
    posts = [p for p in posts if (bounds["max_id"] is None or int(p.post_id) < bounds["max_id"])
             and (bounds["since_id"] is None or int(p.post_id) > bounds["since_id"])
             and (bounds["min_id"] is None or int(p.post_id) > bounds["min_id"])]
    posts.sort(key=lambda p: int(p.post_id), reverse=True)
    page = posts[-limit:] if bounds["min_id"] is not None else posts[:limit]  # min_id: the ones just above it
    headers = dict(limits)
    if page:
        own = f"{request.base}/api/v1/timelines/tag/{quote(found.group(1), safe='')}"
        headers["Link"] = (f'<{own}?{urlencode({"limit": limit, "max_id": page[-1].post_id})}>; rel="next", '
                           f'<{own}?{urlencode({"limit": limit, "min_id": page[0].post_id})}>; rel="prev"')
    return json_answer(200, [_status(feed, p) for p in page], headers)


def _host(feed: FeedSpec) -> str:
    return feed.site.split("://", 1)[-1].strip("/")


def _status(feed: FeedSpec, post: ScenarioItem) -> dict[str, object]:
    host, user = _host(feed), post.author or "anonym"
    content = html.escape(post.text, quote=False)
    for _, _, tag in sorted(hashtags(post.text), key=lambda t: -len(t[2])):
        content = content.replace(f"#{tag}", f'<a href="https://{host}/tags/{tag.lower()}" class="mention hashtag" '
                                  f'rel="tag">#<span>{tag}</span></a>')
    tags = sorted({t.lower() for _, _, t in hashtags(post.text)})
    return {
        "id": post.post_id, "created_at": iso_z(post.published), "in_reply_to_id": None, "in_reply_to_account_id": None,
        "sensitive": False, "spoiler_text": "", "visibility": "public", "language": post.lang,
        "uri": f"https://{host}/users/{user}/statuses/{post.post_id}", "url": post.url,
        "replies_count": 0, "reblogs_count": 0, "favourites_count": _likes(post), "edited_at": None,
        "content": f"<p>{content}</p>", "reblog": None,
        "account": {"id": user_number(user, 18), "username": user, "acct": user, "display_name": display_name(user),
                    "url": f"https://{host}/@{user}", "bot": False, "note": "<p>Övningskonto i mediebilds demo.</p>"},
        "media_attachments": [], "mentions": [], "tags": [{"name": t, "url": f"https://{host}/tags/{t}"} for t in tags],
        "emojis": [], "card": None, "poll": None,
    }


def _tag_rss(scenario: Scenario, feed: FeedSpec, tag: str, now: datetime) -> Answer:
    """The instance's hashtag RSS (Mastodon serves /tags/TAG.rss): items without titles."""
    entries = [(item, version) for item, version in scenario.visible(feed.id, now)
               if tag.casefold() in {t.casefold() for _, _, t in hashtags(item.text)}]
    body, content_type = render(replace(feed, format="rss", name=f"#{tag} på {_host(feed)}"), entries)
    return 200, {"Content-Type": content_type}, body


# -- Bluesky -----------------------------------------------------------------------------------------


def _xrpc_error(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return json_answer(status, {"error": error, "message": message}, headers)


def _jwt(subject: str, scope: str, issued: datetime, expires: datetime) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()

    claims = {"scope": scope, "sub": subject, "iat": int(issued.timestamp()), "exp": int(expires.timestamp()),
              "aud": "did:web:ovning.bsky.invalid", "jti": secrets.token_urlsafe(12)}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.{secrets.token_urlsafe(48)}"


def _session(state: PlatformState, now: datetime) -> dict[str, object]:
    account = state.credentials.bluesky_handle
    access = _jwt(did(account), "com.atproto.appPass", now, now + ACCESS_LIFETIME)
    refresh = _jwt(did(account), "com.atproto.refresh", now, now + REFRESH_LIFETIME)
    with state.lock:
        state.access[access] = now + ACCESS_LIFETIME
        state.refresh[refresh] = now + REFRESH_LIFETIME
    return {"did": did(account), "handle": account, "accessJwt": access, "refreshJwt": refresh, "active": True}


def bluesky_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime, state: PlatformState) -> Answer:
    used, reset = state.count("bluesky", now, 5)
    limits = {"RateLimit-Limit": str(BLUESKY_LIMIT), "RateLimit-Remaining": str(max(0, BLUESKY_LIMIT - used)),
              "RateLimit-Reset": str(int(reset.timestamp())), "RateLimit-Policy": f"{BLUESKY_LIMIT};w=300"}
    if used > BLUESKY_LIMIT:
        return _xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", limits)
    method = request.path.removeprefix("/xrpc/")
    if method == "com.atproto.server.createSession" and request.method == "POST":
        return _create_session(request, now, state)
    if method == "com.atproto.server.refreshSession" and request.method == "POST":
        token = request.bearer()
        with state.lock:
            expiry = state.refresh.pop(token, None) if token else None
        if expiry is None:
            return _xrpc_error(401, "InvalidToken", "Token could not be verified")
        if expiry <= now:
            return _xrpc_error(400, "ExpiredToken", "Token has expired")
        return json_answer(200, _session(state, now))
    if method == "app.bsky.feed.searchPosts" and request.method == "GET":
        token = request.bearer()
        if not token:
            return _xrpc_error(401, "AuthMissing", "Authentication Required", limits)
        with state.lock:
            expiry = state.access.get(token)
        if expiry is None:
            return _xrpc_error(401, "InvalidToken", "Token could not be verified", limits)
        if expiry <= now:
            return _xrpc_error(400, "ExpiredToken", "Token has expired", limits)
        return _search_posts(scenario, feed, request, now, limits)
    return _xrpc_error(501, "MethodNotImplemented", f"Method Not Implemented: {method}")


def _create_session(request: ApiRequest, now: datetime, state: PlatformState) -> Answer:
    with state.lock:
        state.logins = [t for t in state.logins if t > now - timedelta(minutes=5)]
        state.logins.append(now)
        too_many = len(state.logins) > LOGINS_PER_5_MIN
    if too_many:
        return _xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded",
                           {"RateLimit-Limit": str(LOGINS_PER_5_MIN), "RateLimit-Remaining": "0",
                            "RateLimit-Reset": str(int((now + timedelta(minutes=5)).timestamp())),
                            "RateLimit-Policy": f"{LOGINS_PER_5_MIN};w=300"})
    body = request.json()
    body = body if isinstance(body, dict) else {}
    known = state.credentials
    if (str(body.get("identifier", "")).casefold() != known.bluesky_handle.casefold()
            or body.get("password") != known.bluesky_app_password):
        return _xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
    return json_answer(200, _session(state, now))


def _sort_at(post: ScenarioItem) -> datetime:
    return post.published  # createdAt; indexedAt is a second or two later, so the earlier is createdAt


def _search_posts(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime, limits: dict[str, str]) -> Answer:
    q = request.arg("q") or ""
    if not q.strip():
        return _xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"', limits)
    limit = request.int_arg("limit", 25, 1, 100)
    if limit is None:
        return _xrpc_error(400, "InvalidRequest", "Error: limit must be between 1 and 100", limits)
    since, until = _when(request.arg("since")), _when(request.arg("until"))
    posts = [p for p in _posts(scenario, feed, now) if not p.repost and matches(q, p.text, lang=p.lang)]
    posts = [p for p in posts if (since is None or _sort_at(p) >= since) and (until is None or _sort_at(p) < until)]
    posts.sort(key=lambda p: (_sort_at(p), p.post_id), reverse=True)
    cursor = request.arg("cursor")
    if cursor:
        ms, _, rkey = cursor.partition("::")
        if not ms.isdigit():
            return _xrpc_error(400, "InvalidRequest", "Error: malformed cursor", limits)
        posts = [p for p in posts if (int(_sort_at(p).timestamp() * 1000), p.post_id) < (int(ms), rkey)]
    page, more = posts[:limit], len(posts) > limit
    document: dict[str, object] = {"hitsTotal": len(posts), "posts": [_post_view(p) for p in page]}
    if more:
        document["cursor"] = f"{int(_sort_at(page[-1]).timestamp() * 1000)}::{page[-1].post_id}"
    return json_answer(200, document, limits)


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _post_view(post: ScenarioItem) -> dict[str, object]:
    account = handle("bluesky", post.author)
    facets = []
    for start, end, tag in hashtags(post.text):
        byte_start = len(post.text[:start].encode("utf-8"))
        facets.append({"$type": "app.bsky.richtext.facet",
                       "index": {"byteStart": byte_start, "byteEnd": byte_start + len(post.text[start:end].encode("utf-8"))},
                       "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})
    record: dict[str, object] = {"$type": "app.bsky.feed.post", "text": post.text, "createdAt": iso_z(post.published),
                                 "langs": [post.lang]}
    if facets:
        record["facets"] = facets
    return {
        "uri": f"at://{did(post.author)}/app.bsky.feed.post/{post.post_id}",
        "cid": "bafyrei" + hashlib.sha256(post.id.encode()).hexdigest()[:52],
        "author": {"did": did(post.author), "handle": account, "displayName": display_name(post.author), "labels": [],
                   "createdAt": "2024-02-01T10:00:00.000Z"},
        "record": record, "replyCount": 0, "repostCount": 0, "likeCount": _likes(post), "quoteCount": 0,
        "indexedAt": iso_z(post.published + timedelta(seconds=1, milliseconds=312)), "labels": [],
    }


# -- Reddit ------------------------------------------------------------------------------------------


def reddit_api(scenario: Scenario, feed: FeedSpec, request: ApiRequest, now: datetime, state: PlatformState) -> Answer:
    agent = request.headers.get("user-agent", "").lower()
    if not agent or any(agent.startswith(default) for default in _DEFAULT_AGENTS):
        return json_answer(429, {"message": "Too Many Requests", "error": 429})
    if request.path.rstrip("/") == "/api/v1/access_token" and request.method == "POST":
        return _reddit_token(request, now, state)
    found = _SUBREDDIT.match(request.path)
    if not found or request.method != "GET":
        return json_answer(404, {"message": "Not Found", "error": 404})
    token = request.bearer()
    with state.lock:
        expiry = state.reddit_tokens.get(token) if token else None
    if expiry is None or expiry <= now:
        return json_answer(401, {"message": "Unauthorized", "error": 401},
                           {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"'})
    wanted = [s.casefold() for s in found.group(1).split("+") if s]
    served = [s.casefold() for s in str(feed.options.get("subreddits", "")).replace(",", "+").split("+") if s]
    unknown = [s for s in wanted if s not in served]
    if unknown:
        return 302, {"Location": f"https://www.reddit.com/subreddits/search.json?q={quote(unknown[0])}",
                     "Content-Type": JSON}, b"{}"
    used, reset = state.count("reddit", now, 10)
    limits = {"x-ratelimit-used": str(used), "x-ratelimit-remaining": f"{max(0, REDDIT_LIMIT - used):.1f}",
              "x-ratelimit-reset": str(int((reset - now).total_seconds()))}
    if used > REDDIT_LIMIT:
        return json_answer(429, {"message": "Too Many Requests", "error": 429}, limits)
    limit = request.int_arg("limit", 25, 1, 10_000)
    limit = min(limit, 100) if limit is not None else 25
    posts = _posts(scenario, feed, now)
    if found.group(2) == "search":
        q = request.arg("q") or ""
        posts = [p for p in posts if q.strip() and matches(q, derived_title("reddit", p.text) + " " + p.text)]
    posts.sort(key=lambda p: (p.published, p.post_id), reverse=True)
    names = [f"t3_{p.post_id}" for p in posts]
    after, before = request.arg("after"), request.arg("before")
    if after in names:
        posts = posts[names.index(after) + 1:]
    elif before in names:
        posts = posts[:names.index(before)]
    page, more = posts[:limit], len(posts) > limit
    listing = {"kind": "Listing", "data": {
        "after": f"t3_{page[-1].post_id}" if more else None, "dist": len(page), "modhash": None, "geo_filter": "",
        "children": [{"kind": "t3", "data": _reddit_post(p, now, raw=request.arg("raw_json") == "1")} for p in page],
        "before": None,
    }}
    return json_answer(200, listing, limits)


def _reddit_token(request: ApiRequest, now: datetime, state: PlatformState) -> Answer:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        client_id, _, client_secret = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        client_id = client_secret = ""
    known = state.credentials
    if scheme.lower() != "basic" or client_id != known.reddit_client_id or client_secret != known.reddit_client_secret:
        return json_answer(401, {"message": "Unauthorized", "error": 401})
    if b"grant_type=client_credentials" not in request.body:
        return json_answer(200, {"error": "unsupported_grant_type"})
    token = "ovning-" + secrets.token_urlsafe(30)
    with state.lock:
        state.reddit_tokens[token] = now + timedelta(hours=24)
    return json_answer(200, {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"})


def _reddit_post(post: ScenarioItem, now: datetime, *, raw: bool) -> dict[str, object]:
    """A t3's data; without raw_json=1 Reddit sends text fields HTML-escaped (API-NOTES §6)."""
    permalink = post.url.removeprefix("https://www.reddit.com")
    subreddit = permalink.split("/")[2]
    created = post.published.timestamp()
    fresh = now - post.published < timedelta(hours=1)
    title = derived_title("reddit", post.text)
    body_html = f'<!-- SC_OFF --><div class="md"><p>{html.escape(post.text, quote=False)}</p></div><!-- SC_ON -->'
    if not raw:
        title, text, body_html = (html.escape(v, quote=False) for v in (title, post.text, body_html))
    else:
        text = post.text
    return {
        "subreddit": subreddit, "subreddit_name_prefixed": f"r/{subreddit}", "title": title, "selftext": text,
        "selftext_html": body_html, "author": post.author, "author_fullname": f"t2_{user_number(post.author, 8)}",
        "name": f"t3_{post.post_id}", "id": post.post_id, "permalink": permalink, "url": post.url, "is_self": True,
        "over_18": False, "created_utc": created, "created": created, "edited": False,
        "score": 1 if fresh else _likes(post), "ups": 1 if fresh else _likes(post), "hide_score": fresh,
        "num_comments": _likes(post) // 3, "num_crossposts": 0, "link_flair_text": "Fråga" if "?" in post.text else None,
        "removed_by_category": None, "stickied": False, "locked": False, "spoiler": False, "domain": f"self.{subreddit}",
        "modhash": None,
    }
