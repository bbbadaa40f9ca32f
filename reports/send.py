"""Distribution of stored digests and briefs: to a folder, by e-mail, by webhook.

Configuration is the `[send]` section of mediebild.toml, validated by `SendSettings`; secrets (the
SMTP password, webhook tokens) come only from environment variables and are never logged or stored.

    [send]
    folder = "/srv/mediebild/utskick"     # atomic writes: temp file + os.replace
    retries = 3                           # attempts per recipient, with exponential back-off
    backoff_seconds = 2
    [send.email]
    host = "smtp.example.se"
    port = 587
    starttls = true
    username = "mediebild"                # password from MEDIEBILD_SMTP_PASSWORD
    from = "mediebild@example.se"
    to = ["kommunikation@example.se", "tib@example.se"]
    [[send.webhooks]]
    url = "https://lagesbild.example.se/api/mediebild"
    token_env = "MEDIEBILD_WEBHOOK_TOKEN" # sent as "Authorization: Bearer ..."

Every delivery is recorded in the `sends` table (data/digest_queries.py); a period already delivered
to a recipient is skipped, so it is never sent twice. The documents are stored before anything is
sent, so a failing SMTP server or webhook loses nothing: the failure is a `failed` row and a result.

Reports layer: imports data.digest_queries (the sends rows) and the core (errors, settings, timeutil).
"""

from __future__ import annotations

import functools
import os
import smtplib
import ssl
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mediebild.data import digest_queries as q
from mediebild.errors import ConfigError
from mediebild.timeutil import utcnow

SMTP_PASSWORD_ENV = "MEDIEBILD_SMTP_PASSWORD"
WEBHOOK_TOKEN_ENV = "MEDIEBILD_WEBHOOK_TOKEN"
USER_AGENT = "mediebild-digest/0.1"


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password_env: str = SMTP_PASSWORD_ENV
    from_addr: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    ca_file: Path | None = None  # trust this CA bundle (an internal relay); default: the system's
    timeout: float = Field(30.0, gt=0, le=300)

    @field_validator("from_addr", "to")
    @classmethod
    def _addresses(cls, value):
        for address in [value] if isinstance(value, str) else value:
            if "@" not in address or any(c in address for c in " \r\n<>,"):
                raise ValueError(f"not an e-mail address: {address!r}")
        return value


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    token_env: str | None = WEBHOOK_TOKEN_ENV
    timeout: float = Field(15.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"webhook url must be http(s): {redact_url(value)!r}")
        return value


class SendSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: Path | None = None
    email: EmailSettings | None = None
    webhooks: list[WebhookSettings] = Field(default_factory=list)
    retries: int = Field(3, ge=1, le=10)
    backoff_seconds: float = Field(2.0, ge=0, le=60)

    @property
    def configured(self) -> bool:
        return bool(self.folder or self.email or self.webhooks)


def parse_send_settings(section: dict[str, Any] | None) -> SendSettings:
    """Validate a `[send]` table; a mistake is one ConfigError line naming the field."""
    try:
        return SendSettings.model_validate(section or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"mediebild.toml [send] {where}: {first['msg']}") from None


def load_send_settings(raw: dict[str, Any] | None = None, *, config: Path | None = None) -> SendSettings:
    """The `[send]` settings: from `raw` (a parsed mediebild.toml) or the project's settings loader.

    Until `mediebild.settings` exists, reads the TOML named by `config`, env MEDIEBILD_CONFIG or
    ./mediebild.toml (a missing file means nothing is configured).
    """
    if raw is None and config is None:
        try:
            from mediebild.settings import load_settings

            raw = load_settings().raw
        except ImportError:
            raw = None
    if raw is None:
        path = config or Path(os.environ.get("MEDIEBILD_CONFIG", "mediebild.toml"))
        if not path.exists():
            if config is not None:
                raise ConfigError(f"no configuration file at {path}")
            return SendSettings()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return parse_send_settings(raw.get("send"))


# -- what is sent -----------------------------------------------------------------------------


@dataclass
class Document:
    id: str
    format: str
    body: bytes
    filename: str


@dataclass
class Package:
    """The stored documents of one digest or brief, ready to deliver."""

    kind: str
    period_start: datetime
    period_end: datetime
    lang: str
    subject: str
    documents: dict[str, Document]

    def main_id(self, preferred: tuple[str, ...]) -> str:
        for fmt in preferred:
            if fmt in self.documents:
                return self.documents[fmt].id
        return next(iter(self.documents.values())).id


@dataclass
class SendResult:
    channel: str
    recipient: str
    status: str  # delivered, failed, skipped (already delivered)
    attempts: int = 0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Permanent(Exception):
    """A failure that retrying will not fix (a 4xx answer, a refused recipient, bad credentials)."""


def redact_url(url: str) -> str:
    """scheme://host/path only: no user info, query or fragment (tokens live there)."""
    try:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", "")) if parts.port is None else \
            urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port}", parts.path, "", ""))
    except ValueError:
        return "<bad url>"


def write_atomic(path: Path, data: bytes) -> Path:
    """Write via a temporary file in the same folder and os.replace: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_folder(package: Package, folder: Path) -> list[Path]:
    return [write_atomic(Path(folder) / doc.filename, doc.body) for doc in package.documents.values()]


def build_email(package: Package, settings: EmailSettings, recipient: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = package.subject
    msg["From"] = settings.from_addr
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.from_addr.rsplit("@", 1)[1])
    docs = package.documents
    plain = docs["md"].body.decode("utf-8") if "md" in docs else package.subject
    msg.set_content(plain, subtype="plain", charset="utf-8")
    if "html" in docs:
        msg.add_alternative(docs["html"].body.decode("utf-8"), subtype="html", charset="utf-8")
    if "pdf" in docs:
        msg.add_attachment(docs["pdf"].body, maintype="application", subtype="pdf", filename=docs["pdf"].filename)
    return msg


def _smtp_send(message: EmailMessage, settings: EmailSettings) -> None:
    password = os.environ.get(settings.password_env) if settings.username else None
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                if password is None:
                    raise _Permanent(f"SMTP user {settings.username} set but {settings.password_env} is empty")
                smtp.login(settings.username, password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code}: {exc.smtp_error.decode('utf-8', 'replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
        if 500 <= exc.smtp_code < 600:
            raise _Permanent(text) from None
        raise RuntimeError(text) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise _Permanent(f"recipient refused: {', '.join(exc.recipients)}") from None


def _webhook_post(package: Package, hook: WebhookSettings) -> int:
    if "json" not in package.documents:
        raise _Permanent("no JSON document to post")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Mediebild-Document": package.documents["json"].id}
    token = os.environ.get(hook.token_env) if hook.token_env else None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = httpx.post(hook.url, content=package.documents["json"].body, headers=headers,
                              timeout=hook.timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise RuntimeError(f"{type(exc).__name__} posting to {redact_url(hook.url)}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise RuntimeError(f"HTTP {response.status_code} from {redact_url(hook.url)}")
    if response.status_code >= 300:
        raise _Permanent(f"HTTP {response.status_code} from {redact_url(hook.url)}")
    return response.status_code


def _with_retries(action: Callable[[], Any], settings: SendSettings, sleep: Callable[[float], None]) -> tuple[int, str | None]:
    """(attempts, last error or None): retries transient failures up to settings.retries attempts."""
    error = None
    for attempt in range(1, settings.retries + 1):
        try:
            action()
            return attempt, None
        except _Permanent as exc:
            return attempt, str(exc)
        except (OSError, RuntimeError, smtplib.SMTPException, ssl.SSLError) as exc:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
            if attempt < settings.retries:
                sleep(settings.backoff_seconds * (2 ** (attempt - 1)))
    return settings.retries, error


def deliver(con, package: Package, settings: SendSettings, *, sleep: Callable[[float], None] = time.sleep) -> list[SendResult]:
    """Send one stored package everywhere configured; record each attempt series in `sends`."""
    jobs: list[tuple[str, str, str, Callable[[], Any]]] = []
    if settings.folder:
        folder = Path(settings.folder)
        jobs.append(("folder", str(folder.resolve()), package.main_id(("html", "pdf", "md", "json")),
                     lambda: write_folder(package, folder)))
    if settings.email:
        for recipient in settings.email.to:
            message = build_email(package, settings.email, recipient)
            jobs.append(("email", recipient, package.main_id(("html", "md", "pdf", "json")),
                         functools.partial(_smtp_send, message, settings.email)))
    for hook in settings.webhooks:
        jobs.append(("webhook", redact_url(hook.url), package.main_id(("json",)),
                     functools.partial(_webhook_post, package, hook)))

    results = []
    for channel, recipient, digest_id, action in jobs:
        key: dict[str, Any] = dict(kind=package.kind, period_start=package.period_start, lang=package.lang,
                                   channel=channel, recipient=recipient)
        if q.already_delivered(con, **key):
            results.append(SendResult(channel, recipient, "skipped", 0, "already delivered for this period"))
            continue
        attempts, error = _with_retries(action, settings, sleep)
        status = "failed" if error else "delivered"
        q.record_send(con, digest_id=digest_id, period_end=package.period_end, status=status, attempts=attempts,
                      error=error, sent_at=utcnow(), **key)
        results.append(SendResult(channel, recipient, status, attempts, error))
    return results
