"""Offline language identification for headlines, posts and articles, with a confidence.

`detect_languages(texts) -> [(code, confidence)]`, ISO 639-1 codes, `None` when a text has too few letters
to tell (an emoji, a number, a bare link). The choice was measured (LANGUAGE_MODEL_CARD.md, and
`mediebild eval language`): py3langid's naive Bayes model, restricted to the languages that appear in Swedish
regional feeds and given a prior towards Swedish and English, is the most accurate candidate on Nordic headlines (sv/no/da/fi) and runs at about 5,000
texts/s on one core; lingua is as good on long text but five to ten times slower. py3langid has no Somali,
so a cheap gate (distinctive Somali function words) sends those few texts to lingua restricted to a handful
of languages, which recognises Somali reliably. Norwegian bokmål and nynorsk both come back as `no`.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

# Languages the primary model may answer (py3langid codes); 'nn' is folded into 'no'.
PRIMARY_LANGUAGES: tuple[str, ...] = (
    "sv", "en", "no", "nn", "da", "fi", "is", "de", "fr", "nl", "es", "it", "pt", "pl", "et", "lv", "lt",
    "ru", "uk", "tr", "ar", "fa", "ku", "el", "ro", "hr", "sr", "bs", "sq", "tl", "zh", "ja", "ko", "hi",
    "ur", "vi", "th", "id", "am",
)
SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(sorted({c for c in PRIMARY_LANGUAGES if c != "nn"} | {"so"}))
MIN_LETTERS = 3
# The feeds are mostly Swedish, then English: a prior that settles short, undecidable posts ("Team Jonna 😂")
# that way. Measured (LANGUAGE_MODEL_CARD.md): Swedish tweets 0.82 -> 0.89, Nordic headlines unchanged.
PRIOR: dict[str, float] = {"sv": 2.0, "en": 1.5}
_ALIASES = {"nn": "no", "nb": "no"}
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|\bRT\b|&amp;|&lt;|&gt;")
_SOMALI_CUES = re.compile(
    r"\b(ayaa|iyo|waxaa|waxay|wuxuu|ayuu|ayay|waa|ee|oo|kala|dadka|magaalada|dowladda|xaaladda|booliska)\b",
    re.IGNORECASE,
)
# at least MIN_LETTERS letters anywhere in the text (a search stops at the third; no full count)
_ENOUGH_LETTERS = re.compile(r"[^\W\d_](?:.*?[^\W\d_]){%d}" % (MIN_LETTERS - 1), re.DOTALL)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _primary():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(PRIMARY_LANGUAGES))
    return identifier


@lru_cache(maxsize=1)
def _somali_checker():
    from lingua import Language, LanguageDetectorBuilder

    # Low-accuracy mode (trigrams only) loads in well under a second and is certain on Somali sentences
    # that pass the gate; the full models of twelve languages took 24 s to load.
    languages = [Language.SOMALI, Language.ENGLISH, Language.SWEDISH, Language.FINNISH]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def clean_for_language(text: str) -> str:
    """Links, handles and HTML entities removed; hashtags keep their word."""
    return _NOISE.sub(" ", text or "").replace("#", " ")


def _detect_one(identifier, text: str) -> tuple[str | None, float]:
    cleaned = clean_for_language(text)
    if not _ENOUGH_LETTERS.search(cleaned):
        return None, 0.0
    scores = {code: p * PRIOR.get(code, 1.0) for code, p in identifier.rank(cleaned)}
    total = sum(scores.values()) or 1.0
    best = max(scores, key=scores.__getitem__)
    lang = _ALIASES.get(best, best)
    if lang == "no":  # bokmål and nynorsk are one answer: its confidence is both shares
        confidence = sum(p for code, p in scores.items() if _ALIASES.get(code, code) == "no") / total
    else:
        confidence = scores[best] / total
    if len(_SOMALI_CUES.findall(cleaned)) >= 2:
        value = _somali_checker().compute_language_confidence_values(cleaned)[0]
        if value.language.iso_code_639_1.name.lower() == "so" and value.value >= 0.5:
            return "so", float(value.value)
    return lang, float(confidence)


def detect_languages(texts: list[str]) -> list[tuple[str | None, float]]:
    """(ISO 639-1 code or None, confidence 0..1) per text; the model is loaded once per process."""
    identifier = _primary()
    with _lock:  # set_languages state is shared; classification itself is read-only
        return [_detect_one(identifier, text) for text in texts]


def detect_language(text: str) -> tuple[str | None, float]:
    return detect_languages([text])[0]


# The project's own check set of short headlines (written for this purpose; used by `mediebild eval language`).
HEADLINES: list[tuple[str, str]] = [
    # Swedish
    ("Explosioner på flygplatsen i Bryssel – flera döda", "sv"),
    ("Polisen spärrar av T-Centralen efter misstänkt föremål", "sv"),
    ("Säpo höjer inte hotnivån efter attackerna", "sv"),
    ("Regeringen samlas till krismöte i kväll", "sv"),
    ("Svenskar i Bryssel uppmanas stanna inomhus", "sv"),
    ("UD: Inga uppgifter om skadade svenskar", "sv"),
    ("Tunnelbanan i Bryssel stängd efter explosion", "sv"),
    ("Så påverkas flygen från Arlanda i dag", "sv"),
    ("Länsstyrelsen samordnar informationen till allmänheten", "sv"),
    ("Extra polis på plats vid Stockholms central", "sv"),
    ("Vittnen berättar om kaoset på Zaventem", "sv"),
    ("Kraftig brand i flerfamiljshus i Södertälje", "sv"),
    ("Hon var på plats när bomben small", "sv"),
    ("Därför är terrorhotet svårt att bedöma", "sv"),
    ("Köerna växer vid säkerhetskontrollen på Bromma", "sv"),
    ("Statsministern fördömer dåden", "sv"),
    ("Minst 30 döda i terrorattackerna", "sv"),
    ("Skolor i Stockholm får nya rutiner", "sv"),
    ("Sjukhusen i regionen i beredskap", "sv"),
    ("Larmet: Misstänkt väska hittad vid Cityterminalen", "sv"),
    # Norwegian (bokmål)
    ("Eksplosjoner på flyplassen i Brussel – flere døde", "no"),
    ("Politiet sperrer av Oslo S etter mistenkelig gjenstand", "no"),
    ("PST hever ikke trusselnivået etter angrepene", "no"),
    ("Regjeringen samles til krisemøte i kveld", "no"),
    ("Nordmenn i Brussel bes holde seg innendørs", "no"),
    ("UD: Ingen opplysninger om skadde nordmenn", "no"),
    ("T-banen i Brussel stengt etter eksplosjon", "no"),
    ("Slik påvirkes flyene fra Gardermoen i dag", "no"),
    ("Vitner forteller om kaoset på Zaventem", "no"),
    ("Kraftig brann i boligblokk i Drammen", "no"),
    ("Hun var på stedet da bomben gikk av", "no"),
    ("Derfor er terrortrusselen vanskelig å vurdere", "no"),
    ("Minst 30 drept i terrorangrepene", "no"),
    ("Sykehusene i regionen i beredskap", "no"),
    ("Statsministeren fordømmer terroren", "no"),
    # Danish
    ("Eksplosioner i lufthavnen i Bruxelles – flere dræbt", "da"),
    ("Politiet afspærrer Hovedbanegården efter mistænkelig genstand", "da"),
    ("PET hæver ikke terrortruslen efter angrebene", "da"),
    ("Regeringen samles til krisemøde i aften", "da"),
    ("Danskere i Bruxelles opfordres til at blive indendørs", "da"),
    ("Udenrigsministeriet: Ingen oplysninger om sårede danskere", "da"),
    ("Metroen i Bruxelles lukket efter eksplosion", "da"),
    ("Sådan påvirkes flyene fra Kastrup i dag", "da"),
    ("Vidner fortæller om kaosset i Zaventem", "da"),
    ("Voldsom brand i boligblok i Odense", "da"),
    ("Hun var til stede, da bomben sprang", "da"),
    ("Derfor er terrortruslen svær at vurdere", "da"),
    ("Mindst 30 dræbt i terrorangrebene", "da"),
    ("Hospitalerne i regionen i beredskab", "da"),
    ("Statsministeren fordømmer angrebene", "da"),
    # Finnish
    ("Räjähdyksiä Brysselin lentokentällä – useita kuolleita", "fi"),
    ("Poliisi eristi rautatieaseman epäilyttävän esineen vuoksi", "fi"),
    ("Suojelupoliisi ei nosta uhka-arviota iskujen jälkeen", "fi"),
    ("Hallitus kokoontuu kriisikokoukseen tänä iltana", "fi"),
    ("Brysselissä olevia suomalaisia kehotetaan pysymään sisällä", "fi"),
    ("Ulkoministeriö: ei tietoa loukkaantuneista suomalaisista", "fi"),
    ("Brysselin metro suljettu räjähdyksen jälkeen", "fi"),
    ("Näin lennot Helsinki-Vantaalta muuttuvat tänään", "fi"),
    ("Sairaalat valmiudessa koko alueella", "fi"),
    ("Pääministeri tuomitsee iskut", "fi"),
    # Somali, Arabic and the other western languages the feeds carry
    ("Qarax ayaa ka dhacay garoonka diyaaradaha ee Brussels", "so"),
    ("Dad badan ayaa ku dhintay weerarka magaalada", "so"),
    ("Booliska ayaa xiray waddooyinka magaalada Stockholm", "so"),
    ("Dowladda Iswiidhan ayaa sheegtay in ay la socoto xaaladda", "so"),
    ("انفجارات في مطار بروكسل ومقتل عدد من الأشخاص", "ar"),
    ("الشرطة السويدية ترفع درجة التأهب بعد الهجمات", "ar"),
    ("Explosions at Brussels airport, several dead", "en"),
    ("Police cordon off central station after suspicious package", "en"),
    ("Explosionen am Brüsseler Flughafen – mehrere Tote", "de"),
    ("Explosions à l'aéroport de Bruxelles : plusieurs morts", "fr"),
    ("Explosies op de luchthaven van Zaventem, meerdere doden", "nl"),
    ("Explosiones en el aeropuerto de Bruselas: varios muertos", "es"),
    ("Esplosioni all'aeroporto di Bruxelles, diversi morti", "it"),
]
