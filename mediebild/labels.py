"""The label vocabulary: information types, source types and tones, with their Swedish and English names.

The models output these keys (models/categories.py: info_type and source_type; models/tone.py: tone), the store
keeps them as they are, and the reports and the CLI show them to people by these names. One table here, so a
label the models can output always has a name in both languages, and rendering a document never loads a model.

Core: imports nothing of the project (only the standard library), so every layer may import it.
"""

from __future__ import annotations

# key: (Swedish, English). The information types are CrisisLexT26's, the source types its information sources.
INFO_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "affected_individuals": ("Drabbade personer", "Affected individuals"),
    "caution_and_advice": ("Varningar och råd", "Caution and advice"),
    "infrastructure_and_utilities": ("Infrastruktur och kommunikationer", "Infrastructure and utilities"),
    "donations_and_volunteering": ("Donationer och frivilliga", "Donations and volunteering"),
    "sympathy_and_support": ("Medkänsla och stöd", "Sympathy and support"),
    "other_useful_information": ("Övrig nyttig information", "Other useful information"),
}
SOURCE_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "media": ("Media", "Media"),
    "government": ("Myndighet", "Government"),
    "eyewitness": ("Ögonvittne", "Eyewitness"),
    "ngo": ("NGO", "NGO"),
    "business": ("Företag", "Business"),
    "outsiders": ("Övriga", "Others"),
}
# Lower case: a tone is shown inside a sentence ("ton: negativ"). The order is the order of the tone model's
# probabilities (negative, neutral, positive).
TONE_NAMES: dict[str, tuple[str, str]] = {
    "negative": ("negativ", "negative"),
    "neutral": ("neutral", "neutral"),
    "positive": ("positiv", "positive"),
}

INFO_TYPES: tuple[str, ...] = tuple(INFO_TYPE_NAMES)
SOURCE_TYPES: tuple[str, ...] = tuple(SOURCE_TYPE_NAMES)
TONES: tuple[str, ...] = tuple(TONE_NAMES)

# The categories model's labels (information and source types) by language, as models/categories.py names them.
LABELS_SV: dict[str, str] = {k: sv for k, (sv, _) in {**INFO_TYPE_NAMES, **SOURCE_TYPE_NAMES}.items()}
LABELS_EN: dict[str, str] = {k: en for k, (_, en) in {**INFO_TYPE_NAMES, **SOURCE_TYPE_NAMES}.items()}

# Every label of every model: language ("sv", "en") -> key -> name.
NAMES: dict[str, dict[str, str]] = {
    lang: {k: pair[i] for k, pair in {**INFO_TYPE_NAMES, **SOURCE_TYPE_NAMES, **TONE_NAMES}.items()}
    for i, lang in enumerate(("sv", "en"))
}


def label_name(key: str, lang: str = "sv") -> str:
    """The name of a label for people in `lang` (English for "en", else Swedish); an unknown key as it is."""
    return NAMES["en" if lang == "en" else "sv"].get(key, key)
