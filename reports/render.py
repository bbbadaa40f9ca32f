"""Render a digest or brief dict to HTML, Markdown, PDF or JSON bytes.

All four come from the same data. Feed text is untrusted everywhere:
- HTML: Jinja2 with autoescape; links only when http(s); a self-contained page (inline CSS and SVG,
  no script, no external resource) that prints well.
- Markdown: a Jinja2 environment whose `finalize` escapes every value (`\\ * _ [ ] ( ) < > # | ! ~ &`
  and backticks) and folds newlines, so feed text can neither start a block nor inject HTML or links;
  links are built by `md_link` and only for http(s) URLs.
- PDF: WeasyPrint from the HTML, with a URL fetcher that refuses everything (offline, no file reads);
  DejaVu fonts carry å ä ö.
- JSON: the data itself with a schema version; datetimes as ISO 8601 UTC.

Reports layer: imports reports.charts, reports.texts (and its templates) and the core.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from mediebild.errors import ReportError, UserError
from mediebild.reports import texts
from mediebild.reports.charts import volume_chart_svg

FORMATS = ("html", "md", "pdf", "json")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "pdf": "application/pdf",
               "json": "application/json"}
EXTENSIONS = {"html": "html", "md": "md", "pdf": "pdf", "json": "json"}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>#|!~&{}])")
_WS = re.compile(r"\s+")


def parse_formats(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item == "markdown":
            item = "md"
        if item not in FORMATS:
            raise UserError(f"unknown format {item!r}: choose from {', '.join(FORMATS)}")
        if item not in out:
            out.append(item)
    if not out:
        raise UserError("no format given: choose from " + ", ".join(FORMATS))
    return tuple(out)


def safe_url(url: Any) -> str | None:
    """The URL when it is absolute http(s) without white space or control characters, else None."""
    if not isinstance(url, str) or not url or any(ord(c) < 33 or c in "\"'<>\\`" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def md_escape(value: Any) -> str:
    """Markdown-inert text: special characters backslash-escaped, newlines folded to spaces."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return _MD_SPECIAL.sub(r"\\\1", _WS.sub(" ", str(value)).strip())


def md_link(text: Any, url: Any) -> Markup:
    """`[text](url)` for an http(s) URL (parentheses and spaces percent-encoded), else the escaped text."""
    shown = md_escape(text) or md_escape(url)
    good = safe_url(url)
    if not good:
        return Markup(shown)
    return Markup(f"[{shown}]({quote(good, safe=':/?#@!$&*+,;=%~-._')})")


def md_quote(value: Any) -> Markup:
    """Verbatim multi-line text as a Markdown block quote, each line escaped."""
    lines = [md_escape(line) for line in str(value or "").splitlines() if line.strip()]
    return Markup("\n".join(f"> {line}" for line in lines) or "> ")


def _signed(value: int | None) -> str:
    if value is None:
        return ""
    return f"+{value}" if value > 0 else ("±0" if value == 0 else f"−{abs(value)}")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(float(value) * 100):d} %"


def _common_filters(env: Environment, lang: str) -> None:
    env.filters["time"] = lambda v: texts.fmt_time(v, lang)
    env.filters["clock"] = lambda v: texts.fmt_clock(v, lang) if v else ""
    env.filters["signed"] = _signed
    env.filters["percent"] = _percent
    env.filters["label"] = lambda v: texts.label(v, lang)
    env.filters["safe_url"] = safe_url
    env.filters["growth"] = lambda v: "" if v is None else f"{float(v):+.1f}"
    words = texts.phrases(lang)
    env.filters["outlets"] = lambda n: f"{n} {words['outlet'] if n == 1 else words['outlets']}"
    env.filters["copies"] = lambda n: f"{n} {words['copy'] if n == 1 else words['copies']}"


@lru_cache(maxsize=4)
def html_env(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("mediebild.reports", "templates"),
        autoescape=select_autoescape(["html", "svg", "j2"], default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    _common_filters(env, lang)
    return env


@lru_cache(maxsize=4)
def md_env(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("mediebild.reports", "templates"),
        autoescape=False,
        finalize=md_escape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    _common_filters(env, lang)
    env.filters["link"] = md_link
    env.filters["quote"] = md_quote
    return env


def render_html(data: dict[str, Any]) -> str:
    lang = data["lang"]
    env = html_env(lang)
    t = texts.phrases(lang)
    chart = Markup(volume_chart_svg(env, data["volume"], t)) if data.get("volume") else None
    return env.get_template(f"{data['kind']}.html.j2").render(d=data, t=t, chart=chart)


def render_markdown(data: dict[str, Any]) -> str:
    lang = data["lang"]
    return md_env(lang).get_template(f"{data['kind']}.md.j2").render(d=data, t=texts.phrases(lang))


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"offline document: refusing to fetch {url[:80]}")


def render_pdf(html: str) -> bytes:
    """PDF bytes from the self-contained HTML; nothing is fetched from the network or the disk."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: pango/harfbuzz missing on the machine
        raise ReportError(f"PDF rendering needs WeasyPrint and pango: {exc}") from exc
    try:
        return HTML(string=html, url_fetcher=_refuse_fetch, base_url="about:blank").write_pdf()
    except Exception as exc:  # WeasyPrint raises many kinds; one clear line for people
        raise ReportError(f"PDF rendering failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (set, tuple)):
        return list(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def render_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def render_all(data: dict[str, Any], formats: tuple[str, ...]) -> dict[str, bytes]:
    """Bytes per requested format; the HTML is rendered once and reused for the PDF."""
    out: dict[str, bytes] = {}
    html = render_html(data) if ("html" in formats or "pdf" in formats) else ""
    for fmt in formats:
        if fmt == "html":
            out[fmt] = html.encode("utf-8")
        elif fmt == "md":
            out[fmt] = render_markdown(data).encode("utf-8")
        elif fmt == "pdf":
            out[fmt] = render_pdf(html)
        elif fmt == "json":
            out[fmt] = render_json(data).encode("utf-8")
        else:
            raise UserError(f"unknown format {fmt!r}")
    return out
