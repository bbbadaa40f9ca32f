"""A small multilingual crisis lexicon: word stems in sv, en, es, pt, it, fr, de mapped to shared concepts.

The concepts are what lets a classifier trained on English (and some Spanish/Italian) CrisisLex tweets say
something about Swedish text: `"två döda i explosionen"` and `"two dead in the explosion"` both light up the
concepts `dead` and `explosion`. Stems match the start of a word; a stem written with a leading `~` also
matches inside a word, for Swedish and German compounds (`bombattentat`, `terrordådet`, `Stromausfall`).

The lexicon is hand-written for this project (no third-party list); keep stems specific enough that they do
not fire on everyday words (`skott` but not `skot`, `brand` but with the Swedish word boundary rules below).
"""

from __future__ import annotations

# concept -> stems. Grouped by what an information officer would call it. Lowercase, no accents needed
# beyond what the language writes (matching is on lowercased text).
CONCEPTS: dict[str, tuple[str, ...]] = {
    # -- what happened
    "explosion": ("explo", "blast", "detonat", "~explosion", "~smäll", "detonation", "estall", "esplos",
                  "sprängning", "sprängd", "~spräng"),
    "bomb": ("~bomb", "ied", "sprängladd", "~sprängämne", "pipe bomb", "bomba", "pressure cooker"),
    "attack": ("attack", "attent", "~attentat", "~terror", "terrorist", "~dåd", "atentad", "attacc",
               "anschlag", "ataque", "atac", "attaque", "self-radical", "jihad", "is-terror", "isis", "daesh"),
    "shooting": ("shoot", "shot ", "gunman", "gunfire", "gunmen", "~skottloss", "skjut", "sköt ", "skott",
                 "tiroteo", "disparo", "sparator", "fusillade", "schüss", "beväpnad", "armed "),
    "fire": ("fire", "wildfire", "bushfire", "blaze", "burn", "flames", "smoke", "~brand ", "~bränder",
             "~branden", "brinn", "brann", "rök", "incendi", "fuego", "llamas", "feu ", "incêndio", "feuer",
             "skogsbrand", "gräsbrand"),
    "flood": ("flood", "inundac", "inundaç", "alluvion", "allagament", "~översvämn", "~högvatten",
              "hochwasser", "überschwemm", "inondation", "enchente", "rising water", "river level", "levee",
              "flash flood", "~skyfall"),
    "storm": ("storm", "typhoon", "hurricane", "cyclone", "tornado", "tifón", "tifon", "huracán", "tormenta",
              "tempesta", "~storm", "orkan", "oväder", "~stormby", "vindby", "blizzard", "gale", "heavy rain",
              "monsoon", "habagat", "lluvia", "pioggia", "nubifragio", "kraftigt regn", "snöoväder"),
    "earthquake": ("earthquake", "quake", "tremor", "temblor", "sismo", "terremoto", "richter", "magnitude",
                   "jordbävning", "jordskalv", "skalv", "erdbeben", "séisme", "aftershock", "réplica", "epicent"),
    "crash": ("crash", "derail", "collision", "collid", "descarril", "deraglia", "accident", "~olycka",
              "~olyckan", "~krasch", "~urspår", "choque", "incidente", "~haveri", "accidente"),
    "collapse": ("collaps", "derrumb", "crollo", "crollat", "ras ", "raset", "~rasade", "rasolycka", "rubble", "debris",
                 "building came down", "einsturz", "desabamento", "trapped"),
    "haze": ("haze", "smog", "psi ", "air quality", "luftkvalit", "~rökgas", "toxic", "giftig", "gas leak",
             "~gasläck", "chemical", "kemikal"),
    # -- consequences for people
    "dead": ("dead", "death", "died", "die ", "dies ", "kill", "fatal", "toll", "muert", "fallec", "morto",
             "morti", "vittime", "mort", "tot ", "tote", "~döda", "död", "dödade", "omkom", "~dödsoffer",
             "avled", "bodies", "body ", "corpse", "cadáver", "cadaver"),
    "injured": ("injur", "wound", "hurt", "casualt", "herid", "ferit", "lesionad", "blessé", "verletz",
                "~skadade", "skadad", "~skadas", "~sårad", "critical condition", "hospitali", "trauma"),
    "missing": ("missing", "desaparec", "dispers", "disparu", "vermisst", "~saknad", "~saknas", "försvunn",
                "unaccounted", "search for", "letar efter", "eftersök"),
    "victims": ("victim", "víctima", "vittim", "~offren", "~dödsoffer", "terroroffer", "survivor", "sobreviv", "överlevande",
                "~drabbade", "affected", "afectad", "damnificad", "sfollat", "homeless", "displaced",
                "evacuee", "evacuad"),
    # -- response
    "rescue": ("rescu", "rescat", "soccors", "sauvet", "~räddning", "rädda", "firefight", "bombero",
               "vigili del fuoco", "pompier", "~brandkår", "~brandmän", "paramedic", "ambulan", "sjukvård",
               "first responder", "coast guard", "~kustbevak", "military", "army", "militär", "ejército"),
    "police": ("police", "polic", "polis", "~polisen", "cop ", "cops ", "fbi", "sheriff", "swat", "carabin",
               "polizia", "polizei", "säpo", "manhunt", "suspect", "misstänkt", "gripen", "gripit",
               "arrest", "detenid", "arrestat", "~gripande", "anhållen", "häktad"),
    "hospital": ("hospital", "ospedal", "sjukhus", "~akuten", "krankenhaus", "hôpital", "blood donor",
                 "blood bank", "~blodgiv"),
    "evacuation": ("evacu", "evakuer", "~evakuering", "shelter", "albergue", "refugio", "~utrymm", "utrymd",
                   "~skyddsrum", "lockdown", "shelter in place", "stay indoors", "stanna inne", "inomhus"),
    "emergency": ("emergenc", "emergenz", "~nödläge", "disaster", "catastroph", "catástrofe",
                  "disastro", "tragedy", "tragedi", "tragedia", "state of emergency", "calamity", "~katastrof",
                  "kris ", "krisen", "~krisled", "~krisinfo", "~krisgrupp", "~krisstöd", "~larm", "alarm", "112", "911", "sos "),
    "warning": ("warn", "alert", "advis", "advisory", "caution", "beware", "varning", "varnar", "~varningar",
                "uppmanar", "uppmaning", "avråd", "alerta", "allerta", "aviso", "precaución", "avoid",
                "undvik", "stay away", "håll dig borta", "evite", "tips", "safety", "säkerhet", "safe ",
                "preparedness", "be prepared", "~beredskap", "~vma", "viktigt meddelande"),
    # -- infrastructure
    "infrastructure": ("power outage", "outage", "without power", "blackout", "~strömavbrott", "~elavbrott",
                       "strömlös", "apagón", "sin luz", "blackout", "electricity", "elektricitet", "~elnät",
                       "road closed", "roads closed", "closure", "closed", "stängd", "stängt", "stänger",
                       "~avstängd", "cerrad", "chius", "~trafik", "traffic", "tráfico", "~inställd",
                       "~inställda", "cancel", "suspend", "delayed", "delay", "~försen", "bridge", "bro ",
                       "puente", "ponte", "highway", "~motorväg", "airport", "aeropuerto", "aeroporto",
                       "~flygplats", "flyg ", "flight", "metro", "subway", "tunnelbana", "~tunnelban",
                       "~station", "train", "tren", "treno", "~tåg", "rail", "~järnväg", "bus service",
                       "~kollektivtrafik", "water supply", "drinking water", "dricksvatten", "telecom",
                       "mobile network", "~mobilnät", "infrastructure", "infraestructura", "~evakueringsväg"),
    # -- support
    "donation": ("donat", "donac", "donaz", "donera", "~insamling", "~gåva", "gåvor", "fundrais", "relief",
                 "~bistånd", "aid ", "red cross", "röda korset", "cruz roja", "croce rossa", "text redcross",
                 "giving", "supplies", "ayuda", "aiuti", "~förnödenheter", "~swish", "charity", "~välgörenh",
                 "help ", "hjälp", "~hjälpa"),
    "volunteer": ("volunt", "voluntar", "volontar", "~frivillig", "bénévol", "helfer", "sign up", "ställa upp",
                  "ställer upp"),
    "sympathy": ("pray", "prayer", "thoughts", "condolen", "sympath", "heart goes", "hearts go", "rip ",
                 "rest in peace", "oración", "oremos", "pregh", "preghiera", "fuerza", "forza", "courage",
                 "~tankar", "tänker på", "beklag", "~kondoleans", "medkänsla", "~sorg", "sörjer", "vila i frid",
                 "~ljus för", "~tyst minut", "minute of silence", "moment of silence", "solidari",
                 "stay strong", "strong", "stand with", "je suis", "~stöd", "support", "bless", "god ",
                 "dios", "dio ", "gud "),
    # -- news and sources
    "breaking": ("breaking", "urgent", "just in", "update", "live", "~senaste", "~just nu", "direktsänd",
                 "ultima hora", "última hora", "último", "ultim", "news", "nyheter", "~uppdatering",
                 "report", "confirm", "bekräft", "rapport", "según", "secondo", "enligt", "according to",
                 "officials", "myndighet", "authorit", "autoridad", "governo", "gobierno", "regering",
                 "minister", "mayor", "alcalde", "sindaco", "borgmästare", "president"),
    "place_event": ("downtown", "city centre", "city center", "centrum", "terminal", "departure hall",
                    "avgångshall", "~ankomsthall", "marathon", "finish line", "nightclub", "boliche",
                    "discoteca", "refinery", "refinería", "factory", "fábrica", "fabbrica", "garment",
                    "~fabrik", "~raffinaderi", "school", "skola", "escuela", "church", "kyrka"),
}


def stems() -> list[tuple[str, str, bool]]:
    """(stem, concept, infix) for every stem, longest first so the regex alternation prefers them."""
    out: list[tuple[str, str, bool]] = []
    for concept, words in CONCEPTS.items():
        for word in words:
            infix = word.startswith("~")
            out.append((word.lstrip("~").lower(), concept, infix))
    out.sort(key=lambda t: -len(t[0]))
    return out


CONCEPT_NAMES: tuple[str, ...] = tuple(CONCEPTS)
