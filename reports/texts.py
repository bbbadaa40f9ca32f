"""Words for people in the digest and the brief: Swedish by default, English with --lang en.

Holds the fixed phrases the templates use, the names of alert kinds, and the way a period is written
(Europe/Stockholm time). The names of the models' labels (information types, source types, tones) come from
the one table in `mediebild.labels`; an unknown label is shown tidied.

Reports layer: imports the core (mediebild.errors, mediebild.labels, mediebild.timeutil) and nothing else.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mediebild.errors import UserError
from mediebild.labels import NAMES
from mediebild.timeutil import local

LANGS = ("sv", "en")

MONTHS = {
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}

PHRASES: dict[str, dict[str, str]] = {
    "sv": {
        "digest_title": "Mediebild",
        "digest_subtitle": "Medieläget timme för timme",
        "filter": "Urval",
        "filter_kinds": "typ", "filter_sources": "källa", "filter_langs": "språk",
        "filter_info_types": "informationstyp", "filter_source_types": "avsändartyp", "filter_tones": "ton",
        "filter_min_relevance": "relevans",
        "brief_title": "Mediebild inför samverkanskonferensen",
        "period": "Period",
        "generated": "Sammanställd",
        "figures": "Läget i siffror",
        "items": "Poster",
        "relevant": "Relevanta",
        "previous_hour": "föregående timme",
        "previous_period": "föregående period",
        "volume": "Flöde per timme",
        "volume_alt": "Antal poster per timme och typ",
        "top_stories": "Största händelserna",
        "top_stories_copies": "Mest spridda nyheterna (samma text hos flera källor)",
        "outlets": "källor",
        "outlet": "källa",
        "copies": "kopior",
        "copy": "kopia",
        "first_seen": "först sedd",
        "growth": "tillväxt",
        "per_hour": "per timme",
        "categories": "kategorier",
        "tone": "ton",
        "new_since": "Nytt sedan förra sammanställningen",
        "new_tag": "NY",
        "official": "Myndigheternas besked (ordagrant)",
        "vma_title": "VMA – Viktigt meddelande till allmänheten",
        "part_of": "del av",
        "vma_cancel": "VMA upphävt",
        "vma_update": "VMA uppdaterat",
        "updated": "uppdaterad",
        "official_updates": "Ändrade besked",
        "rumours": "Rykten att kontrollera",
        "why": "varför",
        "spread": "spridning",
        "alerts": "Larm den här timmen",
        "alert_count": "poster senaste timmen, normalt",
        "needs": "Vad allmänheten frågar efter och behöver",
        "places": "Mest nämnda platser",
        "organisations": "Mest nämnda organisationer",
        "per_source": "Poster per källa",
        "newest": "Senaste posterna",
        "failing": "Källor som inte gick att läsa",
        "failing_none": "Alla källor lästes utan fel under perioden.",
        "no_fetches": "Ingen hämtning kördes under perioden: tystnad här betyder inte att inget hänt.",
        "not_fetched": "hämtades inte",
        "failures": "fel",
        "empty_period": "Inga poster publicerades under perioden.",
        "none": "Inga.",
        "not_yet": "Inte tillgängligt ännu (steget har inte körts).",
        "source": "Källa",
        "time": "Tid",
        "count": "Antal",
        "link": "länk",
        "no_link": "ingen länk",
        "brief_now": "Medieläget nu",
        "brief_narratives": "Huvudsakliga berättelser",
        "brief_rumours": "Rykten och hur de sprids",
        "brief_address": "Det här bör kommunikatörerna bemöta",
        "brief_trend": "Utvecklingen sedan förra lägesbilden",
        "brief_first": "Detta är den första lägesbilden; jämförelsen gäller perioden innan.",
        "footer": "Mediebild: bevakning av redaktionella och sociala medier. Flödestext återges som den publicerades.",
        "kind_editorial": "Redaktionella medier",
        "kind_social": "Sociala medier",
        "kind_official": "Myndigheter",
    },
    "en": {
        "digest_title": "Media picture",
        "digest_subtitle": "The media situation hour by hour",
        "brief_title": "Media picture for the coordination conference",
        "period": "Period",
        "generated": "Compiled",
        "figures": "Figures",
        "items": "Items",
        "relevant": "Relevant",
        "previous_hour": "previous hour",
        "previous_period": "previous period",
        "volume": "Volume per hour",
        "volume_alt": "Items per hour and kind",
        "top_stories": "Top stories",
        "top_stories_copies": "Most shared news (the same text at several sources)",
        "outlets": "outlets",
        "outlet": "outlet",
        "copies": "copies",
        "copy": "copy",
        "first_seen": "first seen",
        "growth": "growth",
        "per_hour": "per hour",
        "categories": "categories",
        "tone": "tone",
        "new_since": "New since the last digest",
        "new_tag": "NEW",
        "official": "Official statements (verbatim)",
        "vma_title": "VMA – Important public announcement",
        "part_of": "part of",
        "vma_cancel": "VMA cancelled",
        "vma_update": "VMA updated",
        "updated": "updated",
        "official_updates": "Changed statements",
        "rumours": "Rumours to verify",
        "why": "why",
        "spread": "spread",
        "alerts": "Alerts this hour",
        "alert_count": "items in the last hour, usually",
        "needs": "What the public asks and needs",
        "places": "Most-named places",
        "organisations": "Most-named organisations",
        "per_source": "Items per source",
        "newest": "Newest items",
        "failing": "Sources that could not be read",
        "failing_none": "Every source was read without errors during the period.",
        "no_fetches": "No fetch ran during the period: silence here does not mean nothing happened.",
        "not_fetched": "not fetched",
        "failures": "failures",
        "empty_period": "No items were published during the period.",
        "none": "None.",
        "not_yet": "Not available yet (that step has not run).",
        "source": "Source",
        "time": "Time",
        "count": "Count",
        "link": "link",
        "no_link": "no link",
        "brief_now": "The media picture now",
        "brief_narratives": "Main narratives",
        "brief_rumours": "Rumours and how they spread",
        "brief_address": "What communicators should address",
        "brief_trend": "Trend since the last brief",
        "brief_first": "This is the first brief; the comparison is with the period before.",
        "footer": "Media picture: monitoring of editorial and social media. Feed text is shown as published.",
        "kind_editorial": "Editorial media",
        "filter": "Selection",
        "filter_kinds": "kind", "filter_sources": "source", "filter_langs": "language",
        "filter_info_types": "information type", "filter_source_types": "source type", "filter_tones": "tone",
        "filter_min_relevance": "relevance",
        "kind_social": "Social media",
        "kind_official": "Authorities",
    },
}

# The models' labels (mediebild.labels) and the words of the reports' own (alert kinds), keyed by a normalised label.
ALERT_KINDS: dict[str, dict[str, str]] = {
    "sv": {"term": "Ord som ökar", "story": "Händelse som växer", "vma": "VMA"},
    "en": {"term": "Rising term", "story": "Growing story", "vma": "VMA"},
}
LABELS: dict[str, dict[str, str]] = {lang: {**NAMES[lang], **ALERT_KINDS[lang]} for lang in LANGS}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UserError(f"unknown language {lang!r}: use sv or en")
    return lang


def phrases(lang: str) -> dict[str, str]:
    return PHRASES[check_lang(lang)]


def _norm(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")


def label(value: Any, lang: str) -> str:
    """A label for people: its name in mediebild.labels (or an alert kind's), else the label tidied."""
    if value is None:
        return ""
    text = str(value)
    key = _norm(text)
    if key in LABELS[lang]:
        return LABELS[lang][key]
    return text.replace("_", " ").capitalize()


def fmt_day(value: datetime, lang: str) -> str:
    t = local(value)
    return f"{t.day} {MONTHS[lang][t.month - 1]} {t.year}"


def fmt_clock(value: datetime, lang: str) -> str:
    return local(value).strftime("%H.%M" if lang == "sv" else "%H:%M")


def fmt_time(value: datetime | None, lang: str) -> str:
    if value is None:
        return ""
    return f"{fmt_day(value, lang)} {'kl.' if lang == 'sv' else 'at'} {fmt_clock(value, lang)}"


def fmt_period(start: datetime, end: datetime, lang: str) -> str:
    """'22 mars 2016 kl. 09.00–10.00' (Stockholm time); the end day is named when it differs."""
    if local(start).date() == local(end).date() or local(end).strftime("%H%M") == "0000" and (end - start).days == 0:
        return f"{fmt_day(start, lang)} {'kl.' if lang == 'sv' else ''} {fmt_clock(start, lang)}–{fmt_clock(end, lang)}".replace("  ", " ")
    return f"{fmt_time(start, lang)} – {fmt_time(end, lang)}"
