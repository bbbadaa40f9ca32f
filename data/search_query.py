"""The analysts' search language and the text analysis shared by the search index and its queries.

Text analysis: words are runs of letters and digits after NFKC normalisation and case folding (å, ä and ö stay
letters of their own). An item's words are stemmed in its language (Snowball Swedish or English); other
languages keep the folded word. The index holds both forms: the stems for terms and phrases, the folded words for
wildcards. A query term matches any of its Swedish stem, English stem or folded form, so `evakuera` finds
`evakuerades` and `evacuate` finds `evacuated` whatever language the analyst types in.

The query language is Lucene's, parsed by luqum: `AND`, `OR`, `NOT` (also Swedish `OCH`, `ELLER`, `INTE`, and
`+term`, `-term`), parentheses, "phrases", trailing wildcards (`evak*`), field filters (`source:`, `lang:`,
`kind:`, `type:`, `tone:`, `story:`, and `title:` for words in the title only). Terms next to each other must all
match (AND). `translate()` turns a query into an FTS5 MATCH expression in which every user word is a quoted token
of letters and digits, so nothing a user types can become FTS5 syntax or SQL. A query that cannot be understood
raises SearchQueryError saying what is wrong and at which character.

Data layer: imports the core (errors, items, labels), the standard library, luqum and snowballstemmer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata

import snowballstemmer
from luqum import tree
from luqum.exceptions import IllegalCharacterError, ParseError
from luqum.parser import parser as lucene_parser

from mediebild.errors import UserError
from mediebild.items import KINDS
from mediebild.labels import INFO_TYPE_NAMES, TONE_NAMES


def _stemmer_version() -> str:
    """Which Snowball build stems: snowballstemmer runs PyStemmer's C build when it is installed (50x faster)."""
    for package in ("PyStemmer", "snowballstemmer"):
        try:
            if package == "PyStemmer":
                import Stemmer  # noqa: F401
            return f"{package}-{metadata.version(package)}"
        except (ImportError, metadata.PackageNotFoundError):
            continue
    return "unknown"


# Bump the first number when the analysis below changes: an index built by another analysis is rebuilt in full.
ANALYZER_VERSION = f"1/{_stemmer_version()}/unicode-{unicodedata.unidata_version}"

WORD = re.compile(r"[^\W_]+")
_STEMMED_LANGS = {"sv": "swedish", "en": "english"}
MIN_WILDCARD_PREFIX = 2  # `a*` would expand to a large share of the vocabulary


class SearchQueryError(UserError):
    """A search query that cannot be understood; the message says what and at which character (exit code 2)."""

    exit_code = 2


# -- text analysis ------------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return WORD.findall(fold(text))


class _Stemmer:
    """A Snowball stemmer with a cache: word frequencies are skewed, so most words are stemmed once."""

    MAX_CACHED = 400_000

    def __init__(self, algorithm: str) -> None:
        self._stemmer = snowballstemmer.stemmer(algorithm)
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        found = self._cache.get(word)
        if found is None:
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            found = self._cache[word] = str(self._stemmer.stemWord(word))
        return found

    def stem_all(self, folded_words: list[str]) -> list[str]:
        cache, stem = self._cache, self.stem
        return [cache[w] if w in cache else stem(w) for w in folded_words]


_STEMMERS = {lang: _Stemmer(algorithm) for lang, algorithm in _STEMMED_LANGS.items()}


def stem_words(folded_words: list[str], lang: str | None) -> list[str]:
    """The index form of an item's words: stemmed in its language (sv, en), else as they are."""
    stemmer = _STEMMERS.get(lang or "")
    return stemmer.stem_all(folded_words) if stemmer else folded_words


def term_forms(word: str) -> list[str]:
    """The stems a query word may have in the index: Swedish, English and unstemmed, without repeats."""
    return list(dict.fromkeys([_STEMMERS["sv"].stem(word), _STEMMERS["en"].stem(word), word]))


# -- facets: the item's metadata as index tokens, so filters narrow inside the full-text index ---------------------

FACET_CODES = {"source": "s", "lang": "l", "kind": "k", "type": "t", "tone": "o", "story": "y"}
EVERY_ITEM = "fall"  # one token every item has: the positive side of a query made of NOT and filters only


def facet_token(facet: str, value: str) -> str:
    """`f<code>x<hex of the value>`: letters and digits only, whatever the value holds."""
    return f"f{FACET_CODES[facet]}x{value.encode('utf-8').hex()}"


def facet_tokens(values: dict[str, str | None]) -> str:
    return " ".join([EVERY_ITEM] + [facet_token(k, v) for k, v in values.items() if v])


# -- the query --------------------------------------------------------------------------------------------------

STEM_COLUMNS = "{title_stem text_stem}"
WORD_COLUMNS = "{title_word text_word}"
TITLE_STEM = "{title_stem}"
TITLEWORD = "{title_word}"
FACET_COLUMN = "{facets}"

FILTER_FIELDS = ("source", "lang", "kind", "type", "tone", "story")
_FIELD_ALIASES = {"källa": "source", "språk": "lang", "typ": "type", "ton": "tone", "titel": "title",
                  "info_type": "type", "source_id": "source"}
_SWEDISH_OPERATORS = {"OCH": "AND", "ELLER": "OR   ", "INTE": "NOT "}  # same length: error positions still hold


@dataclass
class Highlighter:
    """Which words of an item to highlight: those whose stem in the item's language is a query stem, or that start
    with a wildcard's prefix."""

    stems: dict[str, set[str]] = field(default_factory=lambda: {"sv": set(), "en": set(), "": set()})
    prefixes: set[str] = field(default_factory=set)

    def add_word(self, word: str) -> None:
        self.stems["sv"].add(_STEMMERS["sv"].stem(word))
        self.stems["en"].add(_STEMMERS["en"].stem(word))
        self.stems[""].add(word)

    def matcher(self, lang: str | None) -> Callable[[str], bool]:
        key = lang if lang in _STEMMERS else ""
        stems, prefixes = self.stems[key], tuple(self.prefixes)
        stemmer = _STEMMERS.get(key)

        def matches(folded_word: str) -> bool:
            if (stemmer.stem(folded_word) if stemmer else folded_word) in stems:
                return True
            return bool(prefixes) and folded_word.startswith(prefixes)

        return matches

    @property
    def empty(self) -> bool:
        return not (self.prefixes or any(self.stems.values()))


@dataclass
class ParsedQuery:
    """A query taken apart: the FTS5 expression of its text, what it excludes, and its field filters."""

    text: str | None = None  # what must match (FTS5 syntax over the text columns)
    required: list[str] = field(default_factory=list)  # FTS5 expressions of the field filters (over the facets)
    excluded: list[str] = field(default_factory=list)  # FTS5 expressions of what must not match
    filters: dict[str, set[str]] = field(default_factory=dict)  # field -> the values named (for people)
    highlighter: Highlighter = field(default_factory=Highlighter)


def _at(node: tree.Item) -> int:
    return int(getattr(node, "pos", None) or 0) + 1


def _quote(tokens: list[str]) -> str:
    """One FTS5 string: the tokens are letters and digits only; the doubling of `"` is belt and braces."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _check_balance(query: str) -> None:
    """Unbalanced quotes and parentheses, found before the parser so the message can point at them."""
    open_parens: list[int] = []
    quote_at: int | None = None
    escaped = False
    for position, char in enumerate(query):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quote_at = position if quote_at is None else None
        elif quote_at is not None:
            continue
        elif char == "(":
            open_parens.append(position)
        elif char == ")":
            if not open_parens:
                raise SearchQueryError(f"unbalanced parenthesis at character {position + 1}: ')' closes nothing")
            open_parens.pop()
    if quote_at is not None:
        raise SearchQueryError(f"unbalanced quote at character {quote_at + 1}: the phrase is never closed")
    if open_parens:
        raise SearchQueryError(f"unbalanced parenthesis at character {open_parens[-1] + 1}: '(' is never closed")


def _prepare(query: str) -> str:
    """Swedish operators to English ones and apostrophes out of the parser's way, outside phrases only."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', query)
    for index in range(0, len(parts), 2):  # even parts are outside quotes
        text = re.sub(r"(?<=\w)['’´](?=\w)", "_", parts[index])  # O'Brien: one word, searched as a phrase
        text = text.replace("'", " ").replace("´", " ").replace("’", " ")
        parts[index] = re.sub(r"(?<![^\s()])(OCH|ELLER|INTE)(?![^\s()])", lambda m: _SWEDISH_OPERATORS[m.group(1)], text)
    return "".join(parts)


def parse(query: str) -> tree.Item:
    if not query or not query.strip():
        raise SearchQueryError("empty query: say what to search for, e.g. brand AND evakuering")
    _check_balance(query)
    try:
        return lucene_parser.parse(_prepare(query))
    except IllegalCharacterError as exc:
        found = re.search(r"at position (\d+)", str(exc))
        where = f" at character {int(found.group(1)) + 1}" if found else ""
        raise SearchQueryError(f"a character the query language does not allow{where}") from None
    except ParseError as exc:
        message = str(exc)
        found = re.search(r"unexpected\s+'(.*)' at position (\d+)", message)
        if found:
            raise SearchQueryError(
                f"unexpected {found.group(1)!r} at character {int(found.group(2)) + 1}") from None
        if "end of expression" in message:
            raise SearchQueryError("the query ends too early: an operator (AND, OR, NOT) has nothing after it") from None
        raise SearchQueryError(f"cannot read the query: {message}") from None


class _Translator:
    def __init__(self) -> None:
        self.parsed = ParsedQuery()

    # top level: a conjunction of text, negated text and field filters
    def top(self, node: tree.Item) -> ParsedQuery:
        positives: list[str] = []
        for conjunct in self._conjuncts(node):
            negated, inner = self._unwrap_negation(conjunct)
            if isinstance(inner, tree.SearchField) and self._field(inner) != "title":
                clause = self._filter(inner)
                (self.parsed.excluded if negated else self.parsed.required).append(clause)
                continue
            if negated:
                self.parsed.excluded.append(self.text(inner, title_only=False, highlight=False))
            else:
                positives.append(self.text(inner, title_only=False, highlight=True))
        if positives:
            self.parsed.text = " AND ".join(f"({p})" for p in positives) if len(positives) > 1 else positives[0]
        return self.parsed

    @staticmethod
    def _conjuncts(node: tree.Item) -> list[tree.Item]:
        if isinstance(node, (tree.AndOperation, tree.UnknownOperation)):
            out: list[tree.Item] = []
            for child in node.children:
                out.extend(_Translator._conjuncts(child))
            return out
        if isinstance(node, tree.Group) and isinstance(node.expr, (tree.AndOperation, tree.UnknownOperation)):
            return _Translator._conjuncts(node.expr)
        if isinstance(node, tree.Plus):
            return _Translator._conjuncts(node.a)
        return [node]

    @staticmethod
    def _unwrap_negation(node: tree.Item) -> tuple[bool, tree.Item]:
        if isinstance(node, (tree.Not, tree.Prohibit)):
            return True, node.a
        return False, node

    @staticmethod
    def _field(node: tree.SearchField) -> str:
        name = fold(str(node.name))
        return _FIELD_ALIASES.get(name, name)

    # field filters: values become facet tokens
    def _filter(self, node: tree.SearchField) -> str:
        name = self._field(node)
        if name not in FILTER_FIELDS:
            raise SearchQueryError(
                f"unknown field {node.name!r} at character {_at(node)}: use {', '.join(FILTER_FIELDS)} or title "
                "(put text with a colon in quotes)")
        values = [self._filter_value(name, v) for v in self._filter_values(node.expr, name)]
        if not values or not all(values):
            raise SearchQueryError(f"{name}: has no value, at character {_at(node)}")
        self.parsed.filters.setdefault(name, set()).update(values)
        return FACET_COLUMN + " : (" + " OR ".join(_quote([facet_token(name, v)]) for v in values) + ")"

    def _filter_values(self, node: tree.Item, name: str) -> list[tree.Item]:
        if isinstance(node, (tree.Word, tree.Phrase)):
            return [node]
        if isinstance(node, (tree.FieldGroup, tree.Group)):
            return self._filter_values(node.expr, name)
        if isinstance(node, tree.OrOperation):
            return [v for child in node.children for v in self._filter_values(child, name)]
        raise SearchQueryError(f"{name}: takes a value or (value OR value), at character {_at(node)}")

    @staticmethod
    def _filter_value(name: str, node: tree.Item) -> str:
        raw = str(node.value)
        if isinstance(node, tree.Phrase):
            raw = raw[1:-1]
        if isinstance(node, tree.Word) and ("*" in raw or "?" in raw):
            raise SearchQueryError(f"{name}: takes an exact value, not a wildcard, at character {_at(node)}")
        value = raw.replace("\\", "").strip()
        if name == "lang":
            return value.lower()
        if name in ("kind", "type", "tone"):
            return label_key(name, value, at=_at(node))
        return value

    # text: terms, phrases, wildcards and their boolean combinations
    def text(self, node: tree.Item, *, title_only: bool, highlight: bool) -> str:
        if isinstance(node, tree.Group):
            return self.text(node.expr, title_only=title_only, highlight=highlight)
        if isinstance(node, (tree.AndOperation, tree.UnknownOperation)):
            positives: list[str] = []
            negatives: list[str] = []
            for child in self._conjuncts(node):
                negated, inner = self._unwrap_negation(child)
                translated = self.text(inner, title_only=title_only, highlight=highlight and not negated)
                (negatives if negated else positives).append(translated)
            if not positives:
                raise SearchQueryError(
                    f"NOT needs something to subtract from at character {_at(node)}, e.g. brand NOT skog")
            expression = " AND ".join(f"({p})" for p in positives)
            if negatives:
                expression = f"({expression}) NOT ({' OR '.join(f'({n})' for n in negatives)})"
            return expression
        if isinstance(node, tree.OrOperation):
            parts = []
            for child in node.children:
                if isinstance(child, (tree.Not, tree.Prohibit)):
                    raise SearchQueryError(
                        f"NOT cannot stand alone inside OR at character {_at(child)}: write (a NOT b) OR c")
                parts.append(f"({self.text(child, title_only=title_only, highlight=highlight)})")
            return " OR ".join(parts)
        if isinstance(node, tree.Plus):
            return self.text(node.a, title_only=title_only, highlight=highlight)
        if isinstance(node, (tree.Not, tree.Prohibit)):
            raise SearchQueryError(f"NOT needs something to subtract from at character {_at(node)}, e.g. brand NOT skog")
        if isinstance(node, tree.SearchField):
            name = self._field(node)
            if name == "title":
                return self.text(node.expr, title_only=True, highlight=highlight)
            if name in FILTER_FIELDS:
                raise SearchQueryError(
                    f"the filter {node.name}: at character {_at(node)} can only be joined with AND to the rest of "
                    "the query, not inside OR or parentheses")
            raise SearchQueryError(f"unknown field {node.name!r} at character {_at(node)}: use "
                                   f"{', '.join(FILTER_FIELDS)} or title (put text with a colon in quotes)")
        if isinstance(node, tree.Phrase):
            return self._phrase(str(node.value)[1:-1], node, title_only=title_only, highlight=highlight)
        if isinstance(node, tree.Word):
            return self._word(str(node.value), node, title_only=title_only, highlight=highlight)
        unsupported = {tree.Fuzzy: "fuzzy search (~)", tree.Proximity: "proximity search (~)", tree.Boost: "boosting (^)",
                       tree.Range: "ranges ([a TO b])", tree.Regex: "regular expressions (/.../)"}
        for kind, what in unsupported.items():
            if isinstance(node, kind):
                raise SearchQueryError(f"{what} is not supported, at character {_at(node)}")
        raise SearchQueryError(f"cannot search for {str(node)!r} at character {_at(node)}")

    def _word(self, raw: str, node: tree.Item, *, title_only: bool, highlight: bool) -> str:
        value = raw.replace("\\", "")
        if "?" in value or "*" in value.rstrip("*") or value.count("*") > 1:
            raise SearchQueryError(
                f"only a trailing * is supported (as in evak*), at character {_at(node)}")
        if value.endswith("*"):
            prefix = words(value[:-1])
            if not prefix or len(prefix[-1]) < MIN_WILDCARD_PREFIX and len(prefix) == 1:
                raise SearchQueryError(
                    f"a wildcard needs at least {MIN_WILDCARD_PREFIX} letters before *, at character {_at(node)}")
            if highlight:
                self.parsed.highlighter.prefixes.add(prefix[-1])
                for word in prefix[:-1]:
                    self.parsed.highlighter.add_word(word)
            return f"{TITLEWORD if title_only else WORD_COLUMNS} : {_quote(prefix)} *"
        return self._phrase(value, node, title_only=title_only, highlight=highlight)

    def _phrase(self, raw: str, node: tree.Item, *, title_only: bool, highlight: bool) -> str:
        folded = words(raw.replace("\\", ""))
        if not folded:
            raise SearchQueryError(f"nothing to search for in {raw!r} at character {_at(node)}: "
                                   "use letters or digits (AND, OR and NOT are the operators)")
        if highlight:
            for word in folded:
                self.parsed.highlighter.add_word(word)
        variants = list(dict.fromkeys(
            tuple(stems) for stems in (
                [_STEMMERS["sv"].stem(w) for w in folded], [_STEMMERS["en"].stem(w) for w in folded], folded)))
        return f"{TITLE_STEM if title_only else STEM_COLUMNS} : (" + " OR ".join(_quote(list(v)) for v in variants) + ")"


def translate(query: str) -> ParsedQuery:
    """A query in the search language -> its parts for the index; SearchQueryError when it cannot be understood."""
    return _Translator().top(parse(query))


# -- label values (type:, tone:, kind:) -------------------------------------------------------------------------


def _names(table: dict[str, tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, (swedish, english) in table.items():
        for name in (key, swedish, english):
            out[_label_form(name)] = key
    return out


def _label_form(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", fold(name.strip()))


_LABELS: dict[str, dict[str, str]] = {
    "type": _names(INFO_TYPE_NAMES),
    "tone": _names(TONE_NAMES),
    "kind": {k: k for k in KINDS},
}


def label_key(field_name: str, value: str, *, at: int | None = None) -> str:
    """A kind, information type or tone given by key or by its Swedish or English name -> its key."""
    key = _LABELS[field_name].get(_label_form(value))
    if key is None:
        where = f" at character {at}" if at else ""
        allowed = ", ".join(dict.fromkeys(_LABELS[field_name].values()))
        raise SearchQueryError(f"unknown {field_name} {value!r}{where}: use one of {allowed}")
    return key
