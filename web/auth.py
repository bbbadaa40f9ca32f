"""Who is on the page: passwords, sessions, CSRF tokens and the login rate limit.

* Passwords are hashed with argon2id (argon2-cffi's defaults: 3 passes over 64 MiB); a login for a name that
  does not exist still costs one verification, so the answer's timing does not tell which names exist.
* A session is a random 256-bit token in an HttpOnly, SameSite=Strict cookie (Secure over https or behind a
  TLS proxy); the server keeps only its SHA-256, with the account, role, a CSRF token, and its times. Sessions
  live in this process's memory and, through a `SessionBacking` (the page hands one that writes
  data/sessions.py), in the database, so a restart of the page does not log everybody out. A session ends
  `session_hours` after login (also across a restart) or `idle_minutes` after its last request (counted in
  memory: after a restart from the first request), at logout, and when its account is disabled.
* Every form and every POST carries the session's CSRF token (a hidden field or the X-CSRF-Token header),
  compared in constant time; the login form, which has no session yet, uses a double-submit cookie.
* Failed logins are counted per name and per client address in a sliding window; past the limit the login is
  refused (429 with Retry-After) before the password is even checked.

Web layer: imports argon2 and the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
import logging
from typing import Callable, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


class Passwords:
    """argon2id hashing and verification."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        problem = password_problem(password)
        if problem:
            raise ValueError(problem)
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches `stored`; with no stored hash, a dummy verification of equal cost."""
        if stored is None:
            if self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
            stored, password = self._dummy, password + "\x00"
        try:
            return bool(self.hasher.verify(stored, password[:MAX_PASSWORD]))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return bool(self.hasher.check_needs_rehash(stored))
        except InvalidHashError:
            return True


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password must have at most {MAX_PASSWORD} characters"
    if password.strip() != password:
        return "the password must not start or end with white space"
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; False when either is missing."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass
class Session:
    user: str
    role: str
    organisation: str | None
    csrf: str
    created: float
    last_seen: float


class SessionBacking(Protocol):
    """Where sessions are kept beyond this process (the database); every method may raise when it is busy."""

    def save(self, key: str, session: Session, expires: float) -> None: ...

    def load(self, key: str) -> Session | None: ...

    def delete(self, key: str) -> None: ...

    def delete_user(self, user: str) -> None: ...


class Sessions:
    """Server-side sessions keyed by the SHA-256 of the cookie's token: in memory, and in `backing` when given.

    Times are wall-clock seconds (they are stored). A session the backing cannot store (the database busy) lives
    in memory only; a session dropped here is never taken back from a backing that has not caught up yet.
    """

    def __init__(self, *, lifetime_s: float, idle_s: float, clock: Callable[[], float] = time.time,
                 backing: SessionBacking | None = None):
        self.lifetime_s, self.idle_s, self.clock = lifetime_s, idle_s, clock
        self.backing = backing
        self._by_hash: dict[str, Session] = {}
        self._ended: set[str] = set()
        self._lock = threading.Lock()

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def create(self, user: str, role: str, organisation: str | None) -> tuple[str, Session]:
        token = new_token()
        now = self.clock()
        session = Session(user=user, role=role, organisation=organisation, csrf=new_token(), created=now, last_seen=now)
        key = self._key(token)
        with self._lock:
            self._prune(now)
            self._by_hash[key] = session
        if self.backing is not None:
            try:
                self.backing.save(key, session, now + self.lifetime_s)
            except Exception:  # the database busy: the session works, but not across a restart
                log.warning("session of %s kept in memory only", user, exc_info=True)
        return token, session

    def get(self, token: str | None) -> Session | None:
        if not token or len(token) > 200:
            return None
        now = self.clock()
        key = self._key(token)
        with self._lock:
            session = self._by_hash.get(key)
            ended = key in self._ended
        if session is None and not ended and self.backing is not None:
            try:
                session = self.backing.load(key)
            except Exception:
                log.debug("no stored session", exc_info=True)
                session = None
            if session is not None:
                session.last_seen = now  # idle time is counted in memory: from the first request after a restart
                with self._lock:
                    self._by_hash.setdefault(key, session)
                    session = self._by_hash[key]
        if session is None:
            return None
        with self._lock:
            if now - session.created > self.lifetime_s or now - session.last_seen > self.idle_s:
                self._by_hash.pop(key, None)
                return None
            session.last_seen = now
            return session

    def drop(self, token: str | None) -> None:
        if token:
            key = self._key(token)
            with self._lock:
                self._by_hash.pop(key, None)
                self._ended.add(key)
            if self.backing is not None:
                try:
                    self.backing.delete(key)
                except Exception:
                    log.warning("a stored session could not be deleted now (it stays ended here)", exc_info=True)

    def drop_user(self, user: str) -> None:
        with self._lock:
            for key in [k for k, s in self._by_hash.items() if s.user == user]:
                del self._by_hash[key]
                self._ended.add(key)
        if self.backing is not None:
            try:
                self.backing.delete_user(user)
            except Exception:
                log.warning("the stored sessions of %s could not be deleted now", user, exc_info=True)

    def __len__(self) -> int:
        return len(self._by_hash)

    def _prune(self, now: float) -> None:
        for key in [k for k, s in self._by_hash.items()
                    if now - s.created > self.lifetime_s or now - s.last_seen > self.idle_s]:
            del self._by_hash[key]


@dataclass
class _Window:
    times: deque[float] = field(default_factory=deque)


class LoginLimiter:
    """Failed logins per name and per address in a sliding window; `retry_after` > 0 means refuse."""

    def __init__(self, *, per_user: int, per_ip: int, window_s: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.per_user, self.per_ip, self.window_s, self.clock = per_user, per_ip, window_s, clock
        self.max_keys = max_keys
        self._failures: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def _retry(self, key: str, limit: int, now: float) -> float:
        window = self._failures.get(key)
        if window is None:
            return 0.0
        while window.times and now - window.times[0] >= self.window_s:
            window.times.popleft()
        if len(window.times) < limit:
            return 0.0
        return max(1.0, window.times[len(window.times) - limit] + self.window_s - now)

    def retry_after(self, user: str, ip: str) -> float:
        """Seconds until a login for this name from this address may be tried; 0 when it may now."""
        now = self.clock()
        with self._lock:
            return max(self._retry(f"u:{user}", self.per_user, now), self._retry(f"ip:{ip}", self.per_ip, now))

    def failure(self, user: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > self.max_keys:
                self._failures = {k: w for k, w in self._failures.items() if w.times and now - w.times[-1] < self.window_s}
            for key in (f"u:{user}", f"ip:{ip}"):
                self._failures.setdefault(key, _Window()).times.append(now)

    def success(self, user: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{user}", None)
