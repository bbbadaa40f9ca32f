"""The replay server: the demo scenario's feeds and platform APIs on 127.0.0.1, as they looked at a simulated time.

A real `http.server.ThreadingHTTPServer` in a daemon thread. `set_clock(dt)` moves simulated time;
every feed then shows the items published up to that moment (the latest 40, newest version of each).
It behaves like the servers monitors meet in the wild: conditional GET (ETag / Last-Modified -> 304),
proper Content-Types, an HTTP 500 for one feed around midday and one truncated XML body for another
(see feeds.toml). Besides the feeds it serves `/` (an index) and `/feeds.opml` (every RSS, Atom and
JSON feed, for `mediebild sources import`).

API feeds (`format = "api"`) are mounted under the first segment of their path (`/x`, `/mastodon`,
`/polisen`, ...) and answered in their platform's documented format by `demo.social_api` (X, Mastodon,
Bluesky, Reddit) and `demo.official_api` (Polisen, Krisinformation, SMHI, Sveriges Radio's VMA), on the
same simulated clock. The platforms that need credentials accept only the run's exercise credentials
(`credentials`, made up per server unless given: `demo.credentials`).

Imports: the mediebild core and demo's own modules.

    with ReplayServer(load_scenario()) as srv:
        srv.set_clock(sc.hours[2])
        httpx.get(srv.url("kvallsposten"))

Run it by hand: `python -m mediebild.demo.server --at 10:30 --port 8765`.
"""

from __future__ import annotations

from typing import Any

import argparse
import hashlib
import shlex
import sys
import threading
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from mediebild.demo import official_api, social_api
from mediebild.demo.credentials import DemoCredentials
from mediebild.demo.platforms import SOCIAL_MONITORS, ApiRequest
from mediebild.demo.render import last_modified, render, truncate
from mediebild.demo.scenario import DAY, FeedSpec, Scenario, load_scenario
from mediebild.timeutil import STOCKHOLM, UTC, as_utc


class ReplayServer:
    """Serve a Scenario's feeds on 127.0.0.1 (port 0: a free port) at a settable simulated time."""

    def __init__(self, scenario: Scenario, *, host: str = "127.0.0.1", port: int = 0,
                 credentials: DemoCredentials | None = None):
        self.scenario = scenario
        self._host, self._port = host, port
        self._clock = scenario.end  # until told otherwise, the whole day is out
        self._lock = threading.Lock()
        self._by_path = {feed.path: feed for feed in scenario.feeds if not feed.is_api}
        self._mounts = {mount(feed): feed for feed in scenario.feeds if feed.is_api}
        clash = [path for path in self._by_path if "/" + path.strip("/").split("/", 1)[0] in self._mounts]
        if len(self._mounts) != sum(feed.is_api for feed in scenario.feeds) or clash:
            raise ValueError(f"API feeds need mounts of their own (first path segment); clashes: {clash}")
        self.credentials = credentials or DemoCredentials.generate()
        self.platforms = social_api.PlatformState(self.credentials)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.log: list[tuple[str, int]] = []  # (path, status) of every request, for tests and curiosity

    # --- lifecycle ---

    def start(self) -> ReplayServer:
        if self._httpd is None:
            self._httpd = _QuietServer((self._host, self._port), _handler_for(self))
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="mediebild-replay", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
            if self._thread is not None:
                self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the simulated clock and addresses ---

    def set_clock(self, now: datetime) -> None:
        """Simulated now (aware; naive is taken as UTC): feeds show what was published up to it."""
        with self._lock:
            self._clock = as_utc(now)

    @property
    def clock(self) -> datetime:
        with self._lock:
            return self._clock

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the replay server is not running (use it as a context manager or call start())")
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    def url(self, feed_id: str) -> str:
        return self.base_url + self.scenario.feed(feed_id).path

    def opml_url(self) -> str:
        return self.base_url + "/feeds.opml"

    # --- responses (pure given the clock: the handler only writes them out) ---

    def respond(self, path: str, headers: dict[str, str], method: str = "GET", body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        path = parts.path
        now = self.clock
        api = self._mounts.get("/" + path.strip("/").split("/", 1)[0])
        if api is not None:
            prefix = mount(api)
            base = (self.base_url if self._httpd else "") + prefix
            request = ApiRequest.of(method, path[len(prefix):], parts.query, headers, body, base)
            if api.monitor in SOCIAL_MONITORS:
                return social_api.answer(self.scenario, api, request, now, self.platforms)
            return official_api.answer(self.scenario, api, request, now)
        if method not in ("GET", "HEAD"):
            return 405, {"Content-Type": "text/plain; charset=utf-8", "Allow": "GET, HEAD"}, b"Method not allowed\n"
        if path in ("/", "/index.html"):
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self._index(now)
        if path == "/feeds.opml":
            return 200, {"Content-Type": "text/x-opml; charset=utf-8"}, self._opml()
        feed = self._by_path.get(path)
        if feed is None:
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found\n"
        if feed.is_broken(now):
            body = b"<html><body><h1>500 Internal Server Error</h1><p>Varnish cache server</p></body></html>\n"
            return 500, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "600"}, body
        return self._feed_response(feed, now, headers)

    def _feed_response(self, feed: FeedSpec, now: datetime, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        entries = self.scenario.visible(feed.id, now)
        body, content_type = render(feed, entries, self_url=self.base_url + feed.path if self._httpd else "")
        if feed.is_malformed(now):
            body = truncate(body)
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        modified = last_modified(entries, self.scenario.start)
        out = {
            "Content-Type": content_type,
            "ETag": etag,
            "Last-Modified": format_datetime(modified.astimezone(UTC), usegmt=True),
            "Cache-Control": "max-age=60",
        }
        if _not_modified(headers, etag, modified):
            return 304, {k: v for k, v in out.items() if k != "Content-Type"}, b""
        return 200, out, body

    def _index(self, now: datetime) -> bytes:
        rows = "".join(
            f'<li><a href={quoteattr(feed.path)}>{escape(feed.name)}</a> '
            f"({'API: ' + feed.monitor if feed.is_api else feed.format}, {feed.item_kind}, "
            f"{len(self.scenario.visible(feed.id, now, limit=None if feed.is_api else 40))} synliga)</li>"
            for feed in self.scenario.feeds
        )
        clock = now.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
        page = (
            f"<!doctype html><html lang='sv'><meta charset='utf-8'><title>{escape(self.scenario.name)}</title>"
            f"<h1>{escape(self.scenario.name)}</h1><p>Övningsscenario. Simulerad tid: {clock} (Stockholm).</p>"
            f"<ul>{rows}</ul><p><a href='/feeds.opml'>OPML</a></p></html>"
        )
        return page.encode("utf-8")

    def _opml(self) -> bytes:
        base = self.base_url if self._httpd else ""
        outlines = "\n".join(
            f"    <outline type={quoteattr(feed.format)} text={quoteattr(feed.name)} title={quoteattr(feed.name)} "
            f"xmlUrl={quoteattr(base + feed.path)} htmlUrl={quoteattr(feed.home)} "
            f"category={quoteattr(feed.item_kind)} language={quoteattr(feed.lang)}/>"
            for feed in self.scenario.feeds
            if not feed.is_api
        )
        document = (
            '<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n'
            f"  <head><title>{escape(self.scenario.name)}</title></head>\n  <body>\n{outlines}\n  </body>\n</opml>\n"
        )
        return document.encode("utf-8")


def mount(feed: FeedSpec) -> str:
    """Where an API feed is mounted: the first segment of its path ("/polisen" for /polisen/api/events)."""
    return "/" + feed.path.strip("/").split("/", 1)[0]


class _QuietServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that does not print a traceback when a client hangs up on it."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def _not_modified(headers: dict[str, str], etag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only when there is none."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return modified.replace(microsecond=0) <= as_utc(since)
    return False


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mediebild-replay/1.0"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait on delayed ACKs

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(with_body=False)

        def do_POST(self) -> None:  # noqa: N802 (the platforms' logins and token endpoints)
            self._answer(with_body=True, method="POST")

        def _answer(self, *, with_body: bool, method: str | None = None) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            request_body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
            status, out, body = server.respond(self.path, headers, method or self.command, request_body)
            server.log.append((urlsplit(self.path).path, status))
            self.send_response(status)
            for key, value in out.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body and body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet: tests and flows own stdout
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve the scenario by hand, frozen at one simulated time."""
    parser = argparse.ArgumentParser(description="Serve the mediebild demo scenario's feeds on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--at", default="19:00", help="simulated Stockholm time HH:MM on the scenario day (default 19:00)")
    args = parser.parse_args(argv)
    scenario = load_scenario()
    at = datetime.combine(DAY, datetime.strptime(args.at, "%H:%M").time(), tzinfo=STOCKHOLM)
    with ReplayServer(scenario, port=args.port) as srv:
        srv.set_clock(at)
        print(f"{scenario.name}: {srv.base_url}/ at {args.at} Stockholm time (Ctrl-C stops)")
        for feed in scenario.feeds:
            if not feed.is_api:
                print(f"  {feed.id:20} {srv.url(feed.id)}")
        print("API sources (exercise credentials for this server only, set them in the shell that runs mediebild):")
        for name, value in srv.credentials.environment().items():
            print(f"  export {name}={value}")
        for feed in scenario.feeds:
            if feed.is_api:
                extra = "".join(" --option " + shlex.quote(f"{k}={';'.join(map(str, v)) if isinstance(v, list) else v}")
                                for k, v in feed.options.items())
                query = f" --query {shlex.quote(feed.query)}" if feed.query else ""
                print(f"  mediebild sources add {srv.url(feed.id)} --kind {feed.monitor}{query}{extra}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
