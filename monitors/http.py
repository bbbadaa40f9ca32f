"""Polite, bounded HTTP fetching for every monitor.

One function, `fetch_url`, does what a feed reader owes both the publisher and its own user: a
User-Agent that says who is asking, conditional GET (ETag, Last-Modified) plus an MD5 of the body for
servers whose ETag lies, connect/read timeouts and an overall deadline (a server that trickles one
byte a second cannot hold a worker), a cap on the decoded size (a gzip bomb stops at the cap),
bounded redirects, and http(s) only. Failures become SourceError: transient ones (timeouts, 5xx, 429,
connection errors) are worth retrying, permanent ones (4xx, too large, redirect loops) are not. An
HTTP error carries the server's Retry-After header, if any, as `retry_after` (a string or None).

`request_gate(gate)` sets, for the calls made in this thread (a context variable), a callable that every
request of every monitor passes before it is sent (`before_request()`: here and in monitors.social.call).
The scaled-out ingest (flows/fanout.py) puts Prefect's global rate limit of the source's kind there, so a
platform's rate holds across all workers, per request (a source of six tags makes six requests); with no
gate (the plain paths, the tests) a request is sent at once.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from mediebild import __version__
from mediebild.errors import PermanentSourceError, TransientSourceError
from mediebild.monitors.base import FetchResult

USER_AGENT = f"mediebild/{__version__} (crisis media monitoring; polite feed reader)"


@dataclass(frozen=True, slots=True)
class HttpLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0  # whole request, body included
    max_bytes: int = 10 * 1024 * 1024  # decoded body
    max_redirects: int = 5


DEFAULT_LIMITS = HttpLimits()


@functools.lru_cache(maxsize=1)
def _ssl_context():
    """One TLS context for every fetch: building one loads the CA bundle, about 0.1 s each time."""
    return httpx.create_ssl_context()
_GATE: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("mediebild_request_gate", default=None)


@contextmanager
def request_gate(gate: Callable[[], None] | None) -> Iterator[None]:
    """Make every request of this thread (context) wait for `gate()` first; None: no gate."""
    token = _GATE.set(gate)
    try:
        yield
    finally:
        _GATE.reset(token)


def before_request() -> None:
    """Called by every monitor right before it sends a request: waits for the gate, if one is set."""
    gate = _GATE.get()
    if gate is not None:
        gate()


TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}


def _conditional_headers(cursor: dict[str, Any]) -> dict[str, str]:
    headers = {}
    if cursor.get("etag"):
        headers["If-None-Match"] = cursor["etag"]
    if cursor.get("last_modified"):
        headers["If-Modified-Since"] = cursor["last_modified"]
    return headers


def fetch_url(
    url: str,
    cursor: dict[str, Any] | None = None,
    *,
    limits: HttpLimits = DEFAULT_LIMITS,
    headers: dict[str, str] | None = None,
    user_agent: str = USER_AGENT,
    transport: httpx.BaseTransport | None = None,
) -> FetchResult:
    """GET `url` within `limits`; raise SourceError on failure, return 304s as `not_modified`."""
    cursor = cursor or {}
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise PermanentSourceError(f"only http and https URLs are fetched, not {scheme}:", code="bad_url")
    request_headers = {
        "User-Agent": user_agent,
        "Accept": "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
        "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
        **_conditional_headers(cursor),
        **(headers or {}),
    }
    timeout = httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
    before_request()
    started = time.monotonic()
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=True, max_redirects=limits.max_redirects, transport=transport,
            verify=_ssl_context(),
        ) as client:
            with client.stream("GET", url, headers=request_headers) as response:
                status = response.status_code
                if status == 304:
                    return FetchResult(
                        url=str(response.url), status=304, body=None, headers=dict(response.headers),
                        not_modified=True, elapsed_s=time.monotonic() - started, cursor=dict(cursor),
                    )
                if status >= 400:
                    detail = f"HTTP {status} {response.reason_phrase}".strip()
                    retry_after = response.headers.get("Retry-After")
                    if retry_after:
                        detail += f" (Retry-After: {retry_after[:40]})"
                    error = TransientSourceError if status in TRANSIENT_STATUS or status >= 500 else PermanentSourceError
                    failure = error(detail, code=f"http_{status}", status=status)
                    failure.retry_after = retry_after
                    raise failure
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > limits.max_bytes and not response.headers.get("Content-Encoding"):
                    raise PermanentSourceError(
                        f"body of {int(declared):,} bytes is over the limit of {limits.max_bytes:,}", code="too_large", status=status
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise PermanentSourceError(
                            f"body over the limit of {limits.max_bytes:,} bytes (after decompression)", code="too_large", status=status
                        )
                    if time.monotonic() - started > limits.deadline:
                        raise TransientSourceError(
                            f"body not complete after {limits.deadline:.0f} s (server too slow)", code="deadline", status=status
                        )
                    chunks.append(chunk)
                body = b"".join(chunks)
                final_url = str(response.url)
                response_headers = dict(response.headers)
    except httpx.TooManyRedirects as exc:
        raise PermanentSourceError(f"more than {limits.max_redirects} redirects (a loop?)", code="redirect_loop") from exc
    except httpx.TimeoutException as exc:
        raise TransientSourceError(f"timed out ({type(exc).__name__})", code="timeout") from exc
    except httpx.DecodingError as exc:
        raise PermanentSourceError(f"cannot decode the body: {exc}", code="bad_encoding") from exc
    except httpx.ConnectError as exc:
        text = str(exc)
        code = "dns" if ("Name or service" in text or "nodename" in text or "getaddrinfo" in text or "resolve" in text) else "connect"
        raise TransientSourceError(f"cannot connect: {text[:200]}", code=code) from exc
    except httpx.UnsupportedProtocol as exc:
        raise PermanentSourceError(f"unsupported URL: {exc}", code="bad_url") from exc
    except httpx.InvalidURL as exc:
        raise PermanentSourceError(f"invalid URL: {exc}", code="bad_url") from exc
    except httpx.HTTPError as exc:
        raise TransientSourceError(f"{type(exc).__name__}: {str(exc)[:200]}", code="http_error") from exc

    md5 = hashlib.md5(body).hexdigest()
    new_cursor = {
        "etag": response_headers.get("etag"),
        "last_modified": response_headers.get("last-modified"),
        "body_md5": md5,
    }
    unchanged = bool(cursor.get("body_md5")) and cursor.get("body_md5") == md5
    return FetchResult(
        url=final_url,
        status=status,
        body=body,
        headers=response_headers,
        not_modified=unchanged,
        elapsed_s=time.monotonic() - started,
        cursor=new_cursor,
    )
