"""The incident profile: a saved search (TOML) naming what an incident is about, and how a text matches it.

```toml
name = "Attackerna i Bryssel"
start = "2016-03-22T07:58:00+01:00"
query = "(Bryssel OR Brussels OR Zaventem) AND (attack* OR explosion* OR terror*)"   # optional
[terms]
sv = ["terrordåd", "explosion*"]
en = ["attack*", "explosion*"]
places = ["Bryssel", "Zaventem", "Arlanda"]
organisations = ["Polisen", "Säpo", "UD"]
exclude = ["fotboll*"]
```

Terms and the query match case-insensitively on surface words *and* lemmas, with trailing-`*` wildcards and
"quoted phrases". Surface words are also tried without common Swedish/English inflection endings, so
`attackerna` matches `attack` and `Bryssels` matches `Bryssel` even without lemmas. The query supports AND,
OR, NOT, parentheses, quoted phrases and implicit AND between neighbours.

`Profile.match(text, lemmas)` gives a `ProfileMatch`: a score in 0..1 (incident terms, places and
organisations weighted), the terms that matched, whether an exclusion hit, and whether the query held (None
when the profile has no query). The relevance model combines this with its classifiers.

Storing profiles is the data layer's (`mediebild.data.profiles`); this core module reads and matches them
and imports nothing of the project outside the core.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mediebild.errors import ConfigError, UserError
from mediebild.timeutil import as_utc

_WORD_RE = re.compile(r"[\w'’]+", re.UNICODE)  # hyphens split: "Bryssel-dåden" is "bryssel" "dåden"
# Inflection endings tried on surface words when no lemma says otherwise (longest first).
_ENDINGS = ("ernas", "arnas", "ornas", "erna", "arna", "orna", "ens", "ets", "ena", "na", "en", "et", "er",
            "ar", "or", "es", "s", "e", "n")

# Weights of what matched (see ProfileMatch.score).
W_INCIDENT, W_PLACE, W_ORG = 0.5, 0.35, 0.15


def words(text: str) -> list[str]:
    """Lowercased words of a text, with hyphens and apostrophes trimmed at the edges."""
    return [w.strip("'’") for w in _WORD_RE.findall((text or "").lower()) if w.strip("'’")]


def word_forms(word: str) -> set[str]:
    """A surface word and its forms without common inflection endings (stem at least 4 letters)."""
    forms = {word}
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            forms.add(word[: -len(ending)])
    return forms


@dataclass(frozen=True)
class Term:
    """One profile term: a word or a phrase, each word possibly ending in `*`."""

    raw: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str) -> "Term":
        text = raw.strip().strip('"').strip()
        parts = tuple(w.lower() for w in re.split(r"[\s\-]+", text) if w)
        if not parts:
            raise ConfigError(f"profile: empty term {raw!r}")
        return cls(raw.strip(), parts)

    def _word_matches(self, pattern: str, forms: set[str]) -> bool:
        if pattern.endswith("*"):
            stem = pattern[:-1]
            return any(f.startswith(stem) for f in forms)
        return pattern in forms

    def matches(self, seqs: list[list[set[str]]]) -> bool:
        """Whether the term occurs in any of the sequences (each a list of per-position word forms)."""
        n = len(self.parts)
        for seq in seqs:
            for i in range(len(seq) - n + 1):
                if all(self._word_matches(p, seq[i + k]) for k, p in enumerate(self.parts)):
                    return True
        return False


class _Text:
    """A text prepared for matching: surface word forms in order, lemmas in order, and all forms sorted."""

    def __init__(self, text: str, lemmas: list[str] | None):
        self.seqs: list[list[set[str]]] = [[word_forms(w) for w in words(text)]]
        if lemmas:
            lemma_words = [w for lemma in lemmas for w in words(lemma)]
            self.seqs.append([{w} for w in lemma_words])
        self.forms = set().union(*(f for seq in self.seqs for f in seq))
        self.sorted_forms = sorted(self.forms)
        self._cache: dict[Term, bool] = {}

    def _has_word(self, pattern: str) -> bool:
        if not pattern.endswith("*"):
            return pattern in self.forms
        stem = pattern[:-1]
        i = bisect.bisect_left(self.sorted_forms, stem)
        return i < len(self.sorted_forms) and self.sorted_forms[i].startswith(stem)

    def has(self, term: Term) -> bool:
        hit = self._cache.get(term)
        if hit is None:
            if len(term.parts) == 1:
                hit = self._has_word(term.parts[0])
            else:
                hit = all(self._has_word(p) for p in term.parts) and term.matches(self.seqs)
            self._cache[term] = hit
        return hit


# -- the boolean query -------------------------------------------------------------------------------

_QUERY_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')


class _Query:
    """A parsed boolean query: AND, OR, NOT, parentheses, phrases, wildcards; neighbours are ANDed."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokenise(text)
        self.pos = 0
        self.tree = self._or()
        if self.pos != len(self.tokens):
            raise ConfigError(f"profile: query: unexpected {self.tokens[self.pos][1]!r} in {text!r}")

    @staticmethod
    def _tokenise(text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = _QUERY_TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip():
                    raise ConfigError(f"profile: query: cannot read {text[pos:]!r} (an unclosed quote?)")
                break
            pos = m.end()
            if m.group(1):
                out.append(("(", "("))
            elif m.group(2):
                out.append((")", ")"))
            elif m.group(3) is not None:
                out.append(("term", m.group(3)))
            elif m.group(4):
                word = m.group(4)
                out.append((word, word) if word in ("AND", "OR", "NOT") else ("term", word))
        if not out:
            raise ConfigError("profile: query is empty")
        return out

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _or(self):
        node = self._and()
        while self._peek() == "OR":
            self.pos += 1
            node = ("or", node, self._and())
        return node

    def _and(self):
        node = self._not()
        while self._peek() in ("AND", "NOT", "(", "term"):
            if self._peek() == "AND":
                self.pos += 1
            node = ("and", node, self._not())
        return node

    def _not(self):
        if self._peek() == "NOT":
            self.pos += 1
            return ("not", self._not())
        return self._atom()

    def _atom(self):
        kind = self._peek()
        if kind == "(":
            self.pos += 1
            node = self._or()
            if self._peek() != ")":
                raise ConfigError(f"profile: query: missing ')' in {self.text!r}")
            self.pos += 1
            return node
        if kind == "term":
            raw = self.tokens[self.pos][1]
            self.pos += 1
            return ("term", Term.parse(raw))
        found = "the end" if kind is None else repr(self.tokens[self.pos][1])
        raise ConfigError(f"profile: query: expected a term or '(' but found {found} in {self.text!r}")

    def evaluate(self, text: _Text, node=None) -> bool:
        node = self.tree if node is None else node
        op = node[0]
        if op == "term":
            return text.has(node[1])
        if op == "not":
            return not self.evaluate(text, node[1])
        if op == "and":
            return self.evaluate(text, node[1]) and self.evaluate(text, node[2])
        return self.evaluate(text, node[1]) or self.evaluate(text, node[2])


# -- the profile -----------------------------------------------------------------------------------


class ProfileTerms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sv: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


class ProfileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    start: datetime | None = None
    end: datetime | None = None
    description: str = ""
    query: str | None = None
    threshold: float = Field(0.5, ge=0.0, le=1.0)  # relevance at or above this counts as relevant
    terms: ProfileTerms = Field(default_factory=ProfileTerms)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)


@dataclass
class ProfileMatch:
    """How a text matches a profile: score 0..1, matched terms, exclusion hit, query result (None: no query)."""

    score: float
    terms: list[str] = field(default_factory=list)
    excluded: bool = False
    query_ok: bool | None = None


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
        msg = "unknown key" if err.get("type") == "extra_forbidden" else err.get("msg", "invalid")
        parts.append(f"{key}: {msg}")
    return "; ".join(parts)


class Profile:
    """An incident profile; build it with `from_toml`, `from_text` or `from_dict`."""

    def __init__(self, model: ProfileModel, body: str = ""):
        self.model = model
        self.body = body
        t = model.terms
        self.incident_terms = [Term.parse(x) for x in (*t.sv, *t.en)]
        self.place_terms = [Term.parse(x) for x in t.places]
        self.org_terms = [Term.parse(x) for x in t.organisations]
        self.exclude_terms = [Term.parse(x) for x in t.exclude]
        self.query = _Query(model.query) if model.query else None

    # -- building ---------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any], body: str = "") -> "Profile":
        try:
            model = ProfileModel.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"profile: {_one_line(exc)}") from None
        return cls(model, body)

    @classmethod
    def from_text(cls, text: str) -> "Profile":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"profile: not valid TOML: {exc}") from None
        return cls.from_dict(data, body=text)

    @classmethod
    def from_toml(cls, path: Path | str) -> "Profile":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"no profile file at {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read profile {path}: {exc}") from None
        return cls.from_text(text)

    # -- reading ----------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def start(self) -> datetime | None:
        return self.model.start

    @property
    def threshold(self) -> float:
        return self.model.threshold

    @property
    def places(self) -> list[str]:
        """Place names, for models that mask the incident's own names."""
        return [" ".join(t.parts).rstrip("*") for t in self.place_terms]

    def search_query(self, max_chars: int = 512) -> str | None:
        """A platform search query built from the profile (for an X or Bluesky source added without --query):
        its Swedish and English terms and its places, OR-ed, wildcards dropped, multi-word terms quoted, as many
        as fit in `max_chars` (X's self-serve limit is 512). None when the profile has no terms."""
        words: dict[str, str] = {}
        terms = self.model.terms
        for raw in (*terms.sv, *terms.en, *terms.places):
            word = " ".join(raw.replace("*", " ").replace('"', " ").split())
            if len(word) >= 3:
                words.setdefault(word.casefold(), f'"{word}"' if " " in word else word)
        chosen: list[str] = []
        for word in words.values():
            if len("(" + " OR ".join([*chosen, word]) + ")") > max_chars:
                break
            chosen.append(word)
        return f"({' OR '.join(chosen)})" if chosen else None

    @property
    def key(self) -> str:
        """A short fingerprint of the profile body (which profile relevance was scored with)."""
        import hashlib

        return hashlib.sha1((self.body or self.model.model_dump_json()).encode("utf-8")).hexdigest()[:12]

    def match(self, text: str, lemmas: list[str] | None = None) -> ProfileMatch:
        prepared = _Text(text, lemmas)
        if any(prepared.has(t) for t in self.exclude_terms):
            hits = [t.raw for t in self.exclude_terms if prepared.has(t)]
            return ProfileMatch(0.0, hits, True, False if self.query else None)
        incident = [t.raw for t in self.incident_terms if prepared.has(t)]
        places = [t.raw for t in self.place_terms if prepared.has(t)]
        orgs = [t.raw for t in self.org_terms if prepared.has(t)]
        score = W_INCIDENT * min(1.0, len(incident) / 1.5) + W_PLACE * min(1, len(places)) + W_ORG * min(1, len(orgs))
        query_ok = self.query.evaluate(prepared) if self.query else None
        matched = list(dict.fromkeys(incident + places + orgs))
        return ProfileMatch(round(min(1.0, score), 4), matched, False, query_ok)

    def to_dict(self) -> dict[str, Any]:
        return self.model.model_dump(mode="json")


def to_toml(profile: Profile) -> str:
    """A TOML body for a profile built from a dict (strings and lists only, which is all a profile holds)."""
    import json

    data = profile.to_dict()
    lines = []
    for key in ("name", "start", "end", "description", "query", "threshold"):
        value = data.get(key)
        if value not in (None, ""):
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    lines.append("[terms]")
    for key, values in data["terms"].items():
        lines.append(f"{key} = {json.dumps(values, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


TERM_SECTIONS = ("sv", "en", "places", "organisations", "exclude")


def add_term(body: str, section: str, term: str) -> str:
    """The profile's TOML text with `term` added to `[terms] section` (unchanged when it is there already).

    The rest of the text, comments included, stays as it was when the list is written on one line (or missing);
    a list spread over several lines is rewritten with the whole body (`to_toml`, which drops comments).
    A ConfigError when `body` is not a valid profile.
    """
    import json

    if section not in TERM_SECTIONS:
        raise ConfigError(f"profile: no term list {section!r} (one of {', '.join(TERM_SECTIONS)})")
    term = " ".join(term.split())
    if not term:
        raise ConfigError("profile: an empty term")
    profile = Profile.from_text(body)
    current = list(getattr(profile.model.terms, section))
    if any(t.casefold() == term.casefold() for t in current):
        return body
    wanted = [*current, term]
    line = f"{section} = {json.dumps(wanted, ensure_ascii=False)}"
    lines = body.splitlines()
    table, header = None, None
    for index, raw in enumerate(lines):
        stripped = raw.strip()
        if stripped.startswith("["):
            table = stripped.split("#", 1)[0].strip()
            if table == "[terms]":
                header = index
            continue
        if table == "[terms]" and re.match(rf"{section}\s*=", stripped):
            try:
                one_line = tomllib.loads(stripped).get(section) == current
            except tomllib.TOMLDecodeError:  # the list goes on over several lines
                one_line = False
            if not one_line:
                break
            lines[index] = line
            return "\n".join(lines) + "\n"
    else:
        if header is not None:
            lines.insert(header + 1, line)
        else:
            lines += ["", "[terms]", line]
        return "\n".join(lines) + "\n"
    data = profile.to_dict()
    data["terms"][section] = wanted
    return to_toml(Profile.from_dict(data))
