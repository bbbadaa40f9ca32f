"""Settings of the situation room: `[web]` in mediebild.toml, MEDIEBILD_WEB__* variables, command-line flags.

    [web]
    host = "127.0.0.1"           # bind address; the page shows personal data: keep it local behind a proxy
    port = 8080
    behind_tls_proxy = false     # true: cookies are Secure and HSTS is sent, whatever scheme the proxy reports
    forwarded_allow_ips = "127.0.0.1"   # proxies whose X-Forwarded-For/-Proto are believed
    allowed_hosts = []           # Host names the page answers to; [] = loopback names when bound to loopback
    serve = true                 # `mediebild serve` serves the page beside the schedules
    refresh_seconds = 15         # how often an open page asks whether a new pass landed

Web layer: imports the core (errors) and pydantic.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from mediebild.errors import ConfigError

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]


class WebSettings(BaseModel):
    model_config = {"extra": "forbid"}

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    behind_tls_proxy: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    allowed_hosts: list[str] = Field(default_factory=list)
    serve: bool = True
    refresh_seconds: int = Field(15, ge=2, le=3600)
    session_hours: float = Field(12.0, gt=0, le=72, description="a session ends this long after login")
    idle_minutes: int = Field(240, ge=5, le=24 * 60, description="... or after this long without a request")
    login_attempts_per_user: int = Field(5, ge=1, le=100, description="failed logins per name per window")
    login_attempts_per_ip: int = Field(30, ge=1, le=10_000, description="failed logins per address per window")
    login_window_minutes: int = Field(15, ge=1, le=24 * 60)
    snapshot_dir: Path | None = Field(None, description="not used any more: the page reads the published snapshot "
                                      "(<db>.snapshots/); accepted so that older mediebild.toml files still load")
    lang: str = "sv"

    def hosts(self) -> list[str]:
        """The Host names to answer to: the configured ones, else the loopback names when bound to loopback."""
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        if is_loopback(self.host):
            return LOOPBACK_HOSTS
        return ["*"]


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_web_settings(raw: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
                      **flags: Any) -> WebSettings:
    """Defaults < [web] of mediebild.toml (`raw`, the parsed file) < MEDIEBILD_WEB__* < flags (None ignored)."""
    values: dict[str, Any] = dict((raw or {}).get("web") or {})
    env = os.environ if environ is None else environ
    fields = WebSettings.model_fields
    for name in fields:
        key = f"MEDIEBILD_WEB__{name.upper()}"
        if key in env:
            text = env[key]
            values[name] = [h.strip() for h in text.split(",") if h.strip()] if name == "allowed_hosts" else text
    values.update({k: v for k, v in flags.items() if v is not None})
    try:
        return WebSettings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting web.{where}: {first['msg']} (check [web] in mediebild.toml and MEDIEBILD_WEB__*)") from exc
