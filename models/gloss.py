"""English glosses for Swedish text, so classifiers trained on English CrisisLex tweets can read it.

The information-type and source-type heads learnt their n-grams from English (and some Spanish/Italian)
tweets; on Swedish text only the lexicon concepts and a few shared character n-grams fire, so "Allmänheten
uppmanas hålla sig inomhus" looked like nothing in particular. `gloss(text, lemmas)` returns English words for
the crisis vocabulary a Swedish text uses (a bilingual dictionary projection, the simplest cross-lingual
transfer): the concepts of `crosslingual.TERMS` plus the phrases below, which carry what an information type is
about (advice, people affected, services, help, sympathy). The classifiers read the text followed by its gloss.

Hand-written for this project from general Swedish crisis vocabulary (no third-party list, not from the
evaluation sets). Swedish lemma prefixes match the start of a lemma (inflections, compounds' first part);
phrases match the lower-cased text.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Sequence

from mediebild.models.crosslingual import TERMS, concepts_of

# Swedish lemma prefix -> English words (as CrisisLex tweets would say it)
WORDS: dict[str, str] = {
    # caution and advice
    "uppmana": "urge advised", "rekommend": "recommend advice", "avråd": "advise against", "undvik": "avoid",
    "varna": "warning warn", "varning": "warning", "vma": "emergency warning alert", "råd": "advice tips",
    "instruktion": "instructions", "föreskrift": "instructions", "försiktig": "careful caution",
    "stäng": "close shut", "ventilation": "ventilation", "inomhus": "indoors stay inside", "utomhus": "outdoors",
    "koka": "boil", "dricksvatten": "drinking water", "evakuer": "evacuate evacuation", "utrym": "evacuate",
    "skydd": "shelter safety", "säkerhet": "safety", "källkritisk": "verify sources rumours", "rykte": "rumours",
    "uppdater": "updates follow", "följ": "follow", "informationsnummer": "hotline information number",
    "telefonnummer": "phone number hotline", "anhöriglinje": "hotline families", "1177": "health advice line",
    "112": "emergency number call", "113": "information number call", "tänk": "remember", "beredskap": "prepared",
    "hålla": "keep stay", "stanna": "stay",
    # affected individuals
    "död": "dead killed", "dödad": "killed", "omkom": "died killed", "avled": "died", "offer": "victims",
    "skadad": "injured", "sårad": "wounded injured", "svårt": "seriously", "kritisk": "critical condition",
    "saknad": "missing", "försvunn": "missing", "efterlys": "missing wanted", "fastklämd": "trapped",
    "instängd": "trapped", "räddad": "rescued", "hittad": "found", "överlev": "survivors survived",
    "evakuerad": "evacuated displaced", "hemlös": "homeless displaced", "drabbad": "affected victims",
    "patient": "patients hospital", "sjukhus": "hospital", "akut": "emergency room", "vårdas": "treated hospital",
    "ambulans": "ambulance", "anhörig": "relatives families", "identifier": "identified victims",
    "svensk": "swedes swedish citizens", "medborgare": "citizens",
    # infrastructure and utilities
    "trafik": "traffic", "tunnelban": "metro subway", "pendeltåg": "commuter trains", "tåg": "trains rail",
    "buss": "bus", "spårväg": "tram", "flyg": "flights airport", "flygplats": "airport", "inställ": "cancelled",
    "försen": "delays delayed", "avstängd": "closed shut down", "avspärr": "cordoned closed", "omleda": "diverted",
    "väg": "road", "gata": "street road", "bro": "bridge", "järnväg": "railway", "station": "station",
    "ström": "power electricity", "strömavbrott": "power outage", "elavbrott": "power outage",
    "el": "power electricity", "elnät": "power grid", "avbrott": "outage disruption", "vatten": "water",
    "vattenläck": "water main", "avlopp": "sewage", "mobilnät": "mobile network telecom", "internet": "internet",
    "skola": "schools", "förskola": "schools", "stängd": "closed", "öppnar": "reopens", "återställ": "restored",
    "reparation": "repair", "byggnad": "building", "fastighet": "building", "hus": "house building",
    "skador": "damage", "förstörd": "destroyed", "kollaps": "collapse",
    # donations and volunteering
    "blod": "blood", "blodgivare": "blood donors", "blodcentral": "blood bank donate", "donera": "donate",
    "skänk": "donate donation", "insamling": "fundraiser donations", "swish": "donate money", "bidra": "contribute donate",
    "frivillig": "volunteers", "volontär": "volunteers", "hjälpa": "help", "hjälp": "help", "erbjud": "offer",
    "kläder": "clothes", "förnödenhet": "supplies", "mat": "food", "husrum": "shelter accommodation",
    "röda kors": "red cross", "stadsmission": "charity", "behöv": "needed need",
    # sympathy and support
    "tanke": "thoughts", "tankarna": "thoughts", "beklag": "condolences sorry", "kondolea": "condolences",
    "sorg": "grief mourning", "sörja": "mourn", "ljus": "candles vigil", "minnesstund": "memorial vigil",
    "tyst minut": "minute of silence", "hedra": "honor", "medkänsla": "sympathy", "solidaritet": "solidarity",
    "tacksam": "grateful thanks", "tack": "thank you", "hjälte": "heroes", "be": "pray", "bön": "prayers",
    "vila i frid": "rest in peace rip", "hjärta": "heart love", "kram": "hugs", "stark": "stay strong",
    "flagg": "flags half mast",
    # other useful information
    "utredning": "investigation", "utred": "investigate", "förundersök": "investigation", "misstänkt": "suspect",
    "gripen": "arrested", "polis": "police", "presskonferens": "press conference", "orsak": "cause",
    "regering": "government", "minister": "minister", "myndighet": "authorities", "kommun": "municipality",
    "länsstyrelse": "county authorities", "räddningstjänst": "fire brigade rescue services", "insats": "operation response",
    "läget": "situation", "lägesbild": "situation update", "uppgift": "reports information", "bekräft": "confirmed",
    # services down (IT attacks, outages): what an incident without casualties mostly produces (session 4)
    "cyberattack": "cyber attack hackers systems down", "cyberangrepp": "cyber attack hackers systems down",
    "dataintrång": "hacked systems breach", "intrång": "breach hacked", "hacker": "hackers hacked",
    "hacka": "hacked", "ransomware": "ransomware systems down", "utpressningsprogram": "ransomware systems down",
    "system": "systems", "datasystem": "computer systems", "server": "servers", "nätverk": "network",
    "driftstörning": "outage disruption", "störning": "disruption outage", "driftstopp": "outage shut down",
    "nere": "down", "överbelast": "overloaded", "betalning": "payments", "betala": "pay payments",
    "kassa": "checkout payments", "bankomat": "atm cash machines", "kontant": "cash", "bank": "banks",
    "apotek": "pharmacies", "vårdcentral": "health clinic", "mottagning": "clinic", "journal": "medical records",
    "recept": "prescriptions", "butik": "stores shops", "livsmedel": "food groceries", "drivmedel": "fuel gas",
    "bränsle": "fuel", "signalfel": "signal failure delays", "kö": "queues lines", "omledning": "detour diverted",
    "ersättningsbuss": "replacement buses", "biljett": "tickets", "färja": "ferry", "hamn": "port",
    "fjärrvärme": "heating", "uppvärmning": "heating", "reservkraft": "backup power generators",
    "reservelverk": "backup generators power", "kraftverk": "power plant", "elbolag": "power company",
    "mobiltäckning": "mobile network coverage", "telefoni": "phone lines", "bredband": "internet broadband",
    "webbplats": "website", "hemsida": "website", "vattenverk": "water treatment plant",
    "vattenförsörjning": "water supply", "vattenledning": "water main", "nödvatten": "emergency water supply",
    "tankbil": "water tanks", "kokning": "boil water advisory", "reparer": "repair crews", "drift": "service",
    # advice for such incidents
    "lösenord": "passwords", "nätfiske": "phishing scam warning", "bedrag": "scam fraud warning",
    "bedräger": "scam fraud warning", "bluff": "scam fake", "falsk": "fake false", "bör": "should",
    "kontrollera": "check", "hemberedskap": "emergency preparedness kit", "krisberedskap": "emergency preparedness",
    "ficklampa": "flashlight", "batteri": "batteries", "radio": "radio", "förvara": "store", "sparsam": "conserve",
    "begränsa": "limit", "hygien": "hygiene", "ombe": "asked urged", "kontakta": "contact",
    "krisinformation": "crisis information updates", "cybersäkerhet": "cyber security",
}

# multi-word phrases on the lower-cased text (before lemmas)
PHRASES: dict[str, str] = {
    "stanna inomhus": "stay indoors", "håll dig inomhus": "stay indoors", "gå inomhus": "go indoors",
    "stäng fönster": "close windows", "stäng av ventilation": "turn off ventilation", "undvik området": "avoid the area",
    "ring 112": "call emergency", "ring 113 13": "call information number", "ring 1177": "call health advice",
    "följ myndigheternas": "follow authorities instructions", "viktigt meddelande": "public warning",
    "ge blod": "donate blood", "lämna blod": "donate blood", "skänk pengar": "donate money",
    "tänder ljus": "light candles vigil", "tände ljus": "lit candles vigil", "tankarna går": "thoughts are with",
    "mina tankar": "my thoughts", "våra tankar": "our thoughts", "vila i frid": "rest in peace",
    "går som vanligt": "running normally", "ställs in": "cancelled", "ställts in": "cancelled",
    "håller stängt": "closed", "har stängts": "closed", "är stängd": "closed",
    "it-attack": "cyber attack hackers computer systems", "it-angrepp": "cyber attack hackers computer systems",
    "ligger nere": "is down outage", "legat nere": "was down outage", "fungerar inte": "not working outage",
    "fungerar igen": "working again restored", "igång igen": "back up restored", "i drift igen": "back in service",
    "byt lösenord": "change your password", "klicka inte": "do not click links", "lämna inte ut": "do not share",
    "drick inte": "do not drink", "använd inte": "do not use", "ha hemma": "keep at home supplies",
    "se till att": "make sure", "ring inte": "do not call", "spara vatten": "save water",
}

_MIN_PREFIX = 4  # shorter keys match only as a whole lemma


@lru_cache(maxsize=1)
def _tables() -> tuple[list[tuple[str, str]], re.Pattern[str]]:
    prefixes = sorted(((k, v) for k, v in WORDS.items() if len(k) >= _MIN_PREFIX and " " not in k),
                      key=lambda kv: -len(kv[0]))
    phrases = {**PHRASES, **{k: v for k, v in WORDS.items() if " " in k}}
    pattern = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
    return prefixes, pattern


@lru_cache(maxsize=65536)
def _word_gloss(lemma: str) -> str:
    prefixes, _ = _tables()
    found = [WORDS[lemma]] if lemma in WORDS else []
    if not found:
        for prefix, english in prefixes:  # longest first
            if lemma.startswith(prefix):
                found.append(english)
                break
    for concept in concepts_of(lemma, "sv"):
        found.append(TERMS[concept][0][0])
    return " ".join(found)


def gloss(text: str, lemmas: Sequence[str] | None) -> str:
    """English words for the Swedish crisis vocabulary of `text` (its lemmas, else its lower-cased words)."""
    _, pattern = _tables()
    low = (text or "").lower()
    out = [PHRASES.get(m.group(0)) or WORDS.get(m.group(0), "") for m in pattern.finditer(low)]
    words = lemmas if lemmas is not None else re.findall(r"[^\W\d_]+|\d{3,4}", low)
    out.extend(_word_gloss(w) for w in words)
    return " ".join(w for w in out if w)


def glossed_texts(texts: Sequence[str], langs: Sequence[str | None], lemmas: Sequence[list[str] | None] | None = None
                  ) -> list[str]:
    """Each Swedish text followed by its English gloss; other languages unchanged."""
    out = []
    for i, (text, lang) in enumerate(zip(texts, langs)):
        if lang == "sv":
            extra = gloss(text, lemmas[i] if lemmas is not None else None)
            out.append(f"{text}\n{extra}" if extra else text)
        else:
            out.append(text)
    return out


def version() -> str:
    """A digest of the glossary (its own words and the shared concepts'), so enrichment redoes items when it changes."""
    blob = json.dumps([WORDS, PHRASES, TERMS], sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:8]
