"""Rumours to verify: which stories the officers should check before they spread further.

A story is flagged, with short reasons in Swedish and English, when
- it spreads on social media without any editorial or official item (``social_only``),
- its items hedge ("obekräftade uppgifter", "enligt uppgift", "rykten", "unconfirmed", "reportedly", ...),
  unless an editorial or official item has since confirmed it ("UD bekräftar", "ministry confirms", not
  "kan inte bekräfta"): hedges published up to that confirmation no longer flag the story, and the verdict
  says since when it is confirmed (`confirmed_at`, `confirmed`); weak hedges ("uppgifter om") need two
  independent items (a wire story and its copies count once: `RumourItem.original`),
- its sources contradict each other: different casualty figures at about the same time, or a figure that drops
  (a toll that rises is an update), or a claim denied ("dementerar", "det stämmer inte", "inget tyder på att",
  "denies", "no truth in").
The cues are grammar (hedging and denying verbs and phrases), never the nouns of one incident; each is measured
on development sets about other incidents (models/eval_data/dev/, stories.md "Which data chose what").
Texts and kinds in, a verdict out; the caller stores it. Each reason is a language-independent code with its
parameters (`RumourReason`), rendered by `reason_text(code, params, lang)`, so a report in either language
can show it: `verdict.reasons` (Swedish, as before) and `verdict.reasons_en` are both renderings of
`verdict.details`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

from mediebild.timeutil import STOCKHOLM, as_utc

# Strong hedges flag a story on one item; weak ones ("uppgifter om" is also plain news language) need
# at least WEAK_HEDGE_MIN items. What each cue matches and misses is measured on a development set about
# incidents other than the demo's (models/eval_data/dev/rumour_hedges.csv, `eval_rumour_cues`; stories.md).
HEDGES = [
    r"obekräftade? uppgifter",
    r"obekräftat",
    r"enligt (?:uppgift|uppgifter|obekräftade)",
    r"enligt (?:\w+ )?käll(?:a|an|or|orna)\b",  # "enligt källor", "enligt vår källa": an unnamed source
    r"rykte[tn]?\b|ryktas|rykten",
    r"inte bekräftat",
    r"\b(?:kan|kunde)\b(?: \w+){0,3} inte bekräfta",  # "kan i nuläget inte bekräfta"
    r"unconfirmed",
    r"reportedly",
    r"rumou?rs?\b",
    r"allegedly",
    r"not (?:yet )?confirmed",
    r"\b(?:cannot|can't|unable to)(?: yet)? confirm",
    r"according to (?:\w+ )?(?:unnamed )?sources?\b",
    r"circulating on social media",
    # how hearsay is passed on: "hör att ...", "det sägs att", "said to have" (a plain question, "någon som vet
    # om tåget går?", is no hedge, nor is hearing a sound: CrisisLexT26's four "I hear" tweets are all sounds
    # or news, so only "I hear/heard that|there|they|it" counts)
    r"\bhör att\b",
    r"\bdet sägs\b|\bsägs (?:att|ha|vara)\b",
    r"\bhearing that\b|\bi(?:'ve)? hear(?:d)? (?:that|there|they|it)\b",
    r"\b(?:is|are|was|were) said to (?:have|be)\b",
    r"\bcan any(?:one|body) confirm\b",
]
WEAK_HEDGES = [
    r"(?<!inga )(?<!inte några )uppgifter om",
    r"sprids (?:på|i) sociala medier",
    r"ska (?:\w+ )?ha\b",
    r"reports? of\b",
]
# Two: weak cues alone fire on 0.5 % of plain Swedish news sentences (Webbnyheter 2012), so one in a ten-sentence
# article would flag most editorial stories; on the dev stream one would flag one more rumour cluster and no false one.
WEAK_HEDGE_MIN = 2
# A denial is a grammar, not a list of one incident's events: a verb of denying, a claim called false or wrong,
# or a negated verb of happening ("det har inte skett någon ...", "inget tyder på att"); Swedish and English.
_CLAIM_SV = r"(?:uppgift\w*|rykte\w*|påstående\w*|inlägg\w*|information\w*|larm\w*)"  # not "bilder": advice on fake images is no denial
_CLAIM_EN = r"(?:reports?|claims?|rumou?rs?|allegations?|posts?|stories|story|information|alarm|alert)"
DENIALS = [
    r"dementera[rst]?|dementi",
    r"stämmer inte",
    r"\binte sant\b|\b(?:är|var) inte (?:sanna?|korrekta?|riktiga?)\b",
    rf"\bfalsk[at]? {_CLAIM_SV}|falskt larm|\b(?:är|var) falsk[at]?\b",
    rf"\bfelaktig[at]? {_CLAIM_SV}|\b(?:är|var) felaktig[at]?\b",
    r"\bsaknar (?:grund|belägg|verklighetsförankring)\b",
    rf"\b(?:avfärda|tillbakavisa|förneka)(?:r|de|t)? (?:\w+ ){{0,2}}{_CLAIM_SV}",
    r"\b(?:har|hade) inte (?:\w+ )?(?:skett|inträffat|förekommit|hänt) (?:någon|något|några)\b",
    r"\b(?:ingen|inget|inga|ingenting) (?:\w+ ){0,2}(?:har|hade) (?:skett|inträffat|förekommit|hänt)\b",
    r"\b(?:inget|ingenting)(?: som)? tyder på att\b|\bnothing (?:to suggest|suggests|indicates)\b",
    r"\bno evidence (?:that|of)\b",
    r"\b(?:inga|inte några) uppgifter om att\b",
    rf"\b(?:denie[sd]|deny|denying|dismiss(?:es|ed)?|reject(?:s|ed)?) (?:\w+ ){{0,2}}(?:that|{_CLAIM_EN})\b",
    r"\bnot true\b|\buntrue\b|\bno truth\b",
    rf"\bfalse {_CLAIM_EN}|\b(?:is|are|was|were) (?:false|unfounded|baseless|incorrect)\b|\bunfounded\b|\bbaseless\b",
    r"\b(?:did not|didn't) (?:happen|occur)\b|\b(?:never|has not|hasn't) (?:happened|occurred)\b",
    r"\bdebunk(?:ed|s)?\b",
    r"\bhoax\b",
]
_HEDGE = re.compile("|".join(f"(?:{p})" for p in HEDGES), re.IGNORECASE)
_WEAK_HEDGE = re.compile("|".join(f"(?:{p})" for p in WEAK_HEDGES), re.IGNORECASE)
_DENIAL = re.compile("|".join(f"(?:{p})" for p in DENIALS), re.IGNORECASE)
# A source confirming the claim; "obekräftade" is no match (word boundary), a negation before it voids it.
_CONFIRM = re.compile(r"\b(?:bekräftar|bekräftat|bekräftade|bekräfta|confirms|confirmed|confirm)\b", re.IGNORECASE)
_NEGATED = re.compile(
    r"(?:\b(?:inte|ej|icke|not|cannot|can't|unable to|yet to|no)\b|n't)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)
CONFIRMING_KINDS = ("editorial", "official")

_NUMBER_WORDS = {
    "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10,
    "elva": 11, "tolv": 12, "tretton": 13, "fjorton": 14, "femton": 15, "tjugo": 20, "trettio": 30,
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fifteen": 15, "twenty": 20, "thirty": 30,
    "dozens": 24, "dussintals": 24,
}
_CASUALTY = {
    "dead": r"döda|dödade|omkomna|omkommit|dödsoffer|dead|killed|deaths|died",
    "injured": r"skadade|skadats|sårade|injured|wounded|hurt",
}
_FIGURE = r"(\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")"
_CASUALTY_RE = {
    kind: re.compile(rf"\b{_FIGURE}\s+(?:\w+\s+){{0,2}}?(?:{words})\b", re.IGNORECASE) for kind, words in _CASUALTY.items()
}

# Social posts needed before "only on social media" means something: on the dev stream's clusters 2 flags a pair of
# eyewitness posts, 3-5 flag the same stories.
SOCIAL_ONLY_MIN = 3


@dataclass(slots=True)
class RumourItem:
    text: str
    kind: str  # editorial, social, official
    published_at: datetime | None = None
    source: str = ""
    original: str | None = None  # for a copy (wire copy, repost): what it copies; copies hedge once


@dataclass(frozen=True, slots=True)
class RumourReason:
    """Why a story is flagged: a code (social_only, hedging, denial, contradiction) and its parameters."""

    code: str
    params: dict = field(default_factory=dict)


_KIND_WORDS = {
    "sv": {"official": "myndighet", "editorial": "medier", "social": "sociala medier"},
    "en": {"official": "authority", "editorial": "media", "social": "social media"},
}
_CASUALTY_WORDS = {"sv": {"dead": "döda", "injured": "skadade"}, "en": {"dead": "dead", "injured": "injured"}}
_TEMPLATES = {
    "sv": {
        "social_only": "sprids i sociala medier ({posts} inlägg) utan redaktionell eller officiell källa",
        "hedging": "obekräftade uppgifter: \"{phrase}\" ({hedged} av {items} poster)",
        "denial": "uppgift dementeras ({by}: \"{phrase}\")",
        "contradiction": "motstridiga uppgifter om antal {casualty}: {low} mot {high}",
        "confirmed": "bekräftat sedan {at} ({by}: \"{phrase}\")",
    },
    "en": {
        "social_only": "spreading on social media ({posts} posts) with no editorial or official source",
        "hedging": "unconfirmed reports: \"{phrase}\" ({hedged} of {items} posts)",
        "denial": "claim denied ({by}: \"{phrase}\")",
        "contradiction": "contradicting figures ({casualty}): {low} against {high}",
        "confirmed": "confirmed since {at} ({by}: \"{phrase}\")",
    },
}


def reason_text(code: str, params: dict, lang: str = "sv") -> str:
    """One reason in words: Swedish by default, English with lang="en" (an unknown code shows as itself)."""
    lang = lang if lang in _TEMPLATES else "sv"
    template = _TEMPLATES[lang].get(code)
    if template is None:
        return code
    values = dict(params)
    if "kind" in values:
        values["by"] = _KIND_WORDS[lang].get(values["kind"], values["kind"])
    if "casualty" in values:
        values["casualty"] = _CASUALTY_WORDS[lang].get(values["casualty"], values["casualty"])
    return template.format(**values)


@dataclass
class RumourVerdict:
    rumour: bool = False
    details: list[RumourReason] = field(default_factory=list)
    # An editorial or official confirmation that superseded earlier hedges (code "confirmed"; not a flag).
    confirmed: RumourReason | None = None
    # With `assess(..., subgroup=True)`: positions (in the items given) of the hedged sub-group that hedging,
    # denials and confirmations were read from; empty when the whole story was read.
    group: list[int] = field(default_factory=list)

    @property
    def confirmed_at(self) -> datetime | None:
        return self.confirmed.params.get("when") if self.confirmed else None

    @property
    def confirmed_reason(self) -> str | None:  # "bekräftat sedan 13:05 (myndighet: "bekräftar")"
        return reason_text(self.confirmed.code, self.confirmed.params, "sv") if self.confirmed else None

    @property
    def confirmed_reason_en(self) -> str | None:
        return reason_text(self.confirmed.code, self.confirmed.params, "en") if self.confirmed else None

    @property
    def codes(self) -> list[str]:  # social_only, hedging, contradiction, denial
        return [d.code for d in self.details]

    @property
    def reasons(self) -> list[str]:  # Swedish, short
        return [reason_text(d.code, d.params, "sv") for d in self.details]

    @property
    def reasons_en(self) -> list[str]:
        return [reason_text(d.code, d.params, "en") for d in self.details]

    def reasons_in(self, lang: str) -> list[str]:
        return [reason_text(d.code, d.params, lang) for d in self.details]


def casualty_figures(text: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for kind, pattern in _CASUALTY_RE.items():
        for match in pattern.finditer(text or ""):
            raw = match.group(1).lower()
            value = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)
            if value:
                out.setdefault(kind, set()).add(value)
    return out


def hedges(text: str, *, weak: bool = True) -> list[str]:
    """The hedges of a text; none when it denies (a denial names the rumour it answers: "ryktet är falskt")."""
    if _DENIAL.search(text or ""):
        return []
    found = {m.group(0).lower() for m in _HEDGE.finditer(text or "")}
    if weak:
        found |= {m.group(0).lower() for m in _WEAK_HEDGE.finditer(text or "")}
    return sorted(found)


def denials(text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in _DENIAL.finditer(text or "")})


def confirmation(text: str) -> str | None:
    """The phrase with which a text confirms a claim ("bekräftar", "confirmed"), unless negated or hedged."""
    text = text or ""
    if hedges(text, weak=False):
        return None
    for match in _CONFIRM.finditer(text):
        if not _NEGATED.search(text[max(0, match.start() - 40) : match.start()]):
            return match.group(0).lower()
    return None


def _confirmed(items: Sequence[RumourItem]) -> RumourReason | None:
    """The first editorial or official item that confirms (items in time order where times are known)."""
    timed = sorted(
        ((as_utc(i.published_at), i) for i in items if i.kind in CONFIRMING_KINDS and i.published_at is not None),
        key=lambda pair: pair[0],
    )
    for when, item in timed:
        phrase = confirmation(item.text)
        if phrase:
            at = when.astimezone(STOCKHOLM).strftime("%H:%M")
            return RumourReason("confirmed", {"kind": item.kind, "phrase": phrase, "at": at, "when": when})
    return None


# An item joins the hedged sub-group of a story when its content words overlap a hedging or denying item's this much
# (cosine of the word sets); chosen on the development streams' gold rumour stories (stories.md).
SUBGROUP_MIN = 0.2
_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _CONTENT_WORD.findall(text or "")}


def rumour_group(items: Sequence[RumourItem]) -> list[int]:
    """The hedged sub-group of a story: the items that hedge or deny, and the items whose content words overlap
    one of them by at least SUBGROUP_MIN (cosine of word sets), in the order given. Empty when no item hedges or
    denies. A story that has grown around a rumour (the English wire versions of several sub-stories, a death
    toll next to the rumoured one) keeps the flag on the posts that carry the rumour and their answers."""
    cues = [i for i, item in enumerate(items) if hedges(item.text) or denials(item.text)]
    if not cues:
        return []
    words = [_words(item.text) for item in items]
    group = set(cues)
    for i, own in enumerate(words):
        if i in group or not own:
            continue
        for c in cues:
            if words[c] and len(own & words[c]) / math.sqrt(len(own) * len(words[c])) >= SUBGROUP_MIN:
                group.add(i)
                break
    return sorted(group)


def assess(
    items: Sequence[RumourItem], *, figure_window: timedelta = timedelta(hours=2), subgroup: bool = False
) -> RumourVerdict:
    """Flag a story from its items (originals and copies alike: spread counts).

    With `subgroup`, hedging, denials and confirmations are read from the story's hedged sub-group
    (`rumour_group`, kept in `verdict.group`), so a confirmation in another sub-story of a grown story does not
    answer the rumour, and a flagged story says which of its posts carry the rumour. Spread on social media
    only and contradicting figures are read from the whole story either way.
    """
    verdict = RumourVerdict()
    if not items:
        return verdict
    whole = items
    if subgroup:
        verdict.group = rumour_group(items)
        items = [items[i] for i in verdict.group]

    def flag(code: str, **params) -> None:
        verdict.rumour = True
        verdict.details.append(RumourReason(code, params))

    kinds = [i.kind for i in whole]
    n_social = kinds.count("social")
    if n_social >= SOCIAL_ONLY_MIN and n_social == len(kinds):
        flag("social_only", posts=n_social)
    verdict.confirmed = _confirmed(items)
    since = verdict.confirmed_at
    open_items = [
        i for i in items if since is None or i.published_at is None or as_utc(i.published_at) > since
    ]  # hedges up to the confirmation are answered
    strong = [h for i in open_items for h in hedges(i.text, weak=False)]
    found = [(i, hedges(i.text)) for i in open_items]
    hedged_items = [f for _, f in found if f]
    independent = {i.original or id(i) for i, f in found if f}
    if strong or len(independent) >= WEAK_HEDGE_MIN:
        words = strong or [h for f in hedged_items for h in f]
        top = max(sorted(set(words)), key=words.count)
        flag("hedging", phrase=top, hedged=len(hedged_items), items=len(whole))
    denied = [(i, d) for i in items for d in denials(i.text)]
    if denied:
        flag("denial", kind=denied[0][0].kind, phrase=denied[0][1])
    contradiction = _contradicting_figures(whole, figure_window)
    if contradiction:
        kind, low, high = contradiction
        flag("contradiction", casualty=kind, low=low, high=high)
    return verdict


# A later, higher figure from another source is an unfolding toll once this long has passed; within it, two
# different figures contradict each other either way. A later, lower figure always contradicts (a toll does not fall).
RISING_AFTER = timedelta(minutes=30)


def _contradicting_figures(items: Sequence[RumourItem], window: timedelta) -> tuple[str, int, int] | None:
    """Two sources giving clearly different casualty figures within `window` of each other.

    Figures that rise over time are an unfolding toll, not a contradiction: a higher figure published more than
    RISING_AFTER after a lower one from another source is an update; a lower one, or a different one at about the
    same time, contradicts. Only figures that differ by half or more but less than fourfold count (a factor
    above 4 is another quantity: a few of one group injured, a hundred in all). Chosen on the development pairs
    models/eval_data/dev/casualty_pairs.csv (stories.md).
    """
    reports = []
    for item in items:
        for kind, values in casualty_figures(item.text).items():
            for value in values:
                reports.append((kind, value, item.published_at, item.source or item.kind))
    for i, (kind, a, ta, sa) in enumerate(reports):
        for kind2, b, tb, sb in reports[i + 1 :]:
            if kind != kind2 or sa == sb or a == b:
                continue
            if ta is not None and tb is not None:
                gap = abs(ta - tb)
                if gap > window:
                    continue
                later_is_higher = (b > a) == (tb > ta)
                if later_is_higher and gap > RISING_AFTER:
                    continue
            low, high = min(a, b), max(a, b)
            if 1.5 * low <= high <= 4 * low and high - low >= 2:
                return kind, low, high
    return None
