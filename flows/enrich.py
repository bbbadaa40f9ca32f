"""The enrichment step: language, lemmas, relevance, categories, tone for every pending item; entities for relevant ones.

`enrich_pending(store, profile=...)` is a plain function (tested without Prefect): it reads the items that have
no enrichment yet (or were enriched by other models, an older item version or another profile), works through
them in batches (language -> lemmas -> relevance -> categories -> tone, then NER on the relevant items only)
and writes each batch in one transaction, so a crash loses at most the batch in flight. `enrich_flow(db)` is the
thin Prefect flow around it.

Relevance, categories and tone come from models/relevance.py, categories.py and tone.py with the active
incident profile. When a model's artefact is missing its columns stay NULL and every item counts as possibly
relevant (so NER still runs); the model version records what ran, so the items are enriched again once it is
there.

Flows layer: imports models (runtime modules), data (enrichments, profiles, the store) and the core.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
import time
from collections import Counter
from datetime import timedelta
from typing import Any, Callable

from mediebild.items import item_text
from mediebild.data import enrichments as db
from mediebild.data import judgements as judgements_db
from mediebild.data.profiles import load_active_profile
from mediebild.flows import lazy_flow
from mediebild.models.adaptive import Doc, IncidentLearner, Judged, LearnerSettings, LearnerState, doc_tokens
from mediebild.models.language import detect_languages
from mediebild.models.nlp import analyse, lemmatise
from mediebild.timeutil import utcnow

log = logging.getLogger(__name__)

LANGUAGE_TEXT_CHARS = 1000  # language is told from the first characters; enough, and bounded in cost
NLP_TEXT_CHARS = 5000       # lemmas and entities from the first characters of long articles
Progress = Callable[[int, int], None]


@dataclasses.dataclass
class Models:
    """The label models of the other half, each None when it is not there (yet)."""

    relevance: Any = None
    categories: Any = None
    tone: Any = None
    relevance_prior: Any = None  # the cross-incident prior the relevance learner combines (models/relevance_prior.py)

    def version(self) -> str:
        from mediebild.models.entities import GAZETTEER_PATH
        from mediebild.models.nlp import ARTIFACTS_DIR, NER_ARTIFACT

        from mediebild.models.gloss import version as gloss_version
        from mediebild.models.nlp import english_ner_version

        parts = [f"lang:py3langid+lingua-so", f"ner:{_file_digest(ARTIFACTS_DIR / NER_ARTIFACT / 'meta.json')}",
                 f"ner_en:{english_ner_version()}", f"gaz:{_file_digest(GAZETTEER_PATH)}", f"gloss:{gloss_version()}"]
        for name in ("relevance", "categories", "tone", "relevance_prior"):
            parts.append(f"{name}:{_model_version(getattr(self, name))}")
        from mediebild.models.incident_types import ARTIFACT as INCIDENT_TYPES

        parts.append(f"incident_types:{_file_digest(INCIDENT_TYPES)}")
        return ";".join(parts)


def _model_version(model: Any) -> str:
    """A label model's `version`, else a digest of its `meta` (what it was trained on, when), else its class."""
    if model is None:
        return "none"
    version = getattr(model, "version", None)
    if version:
        return str(version)
    meta = getattr(model, "meta", None)
    if meta:
        blob = json.dumps(meta, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:8]
    return type(model).__name__


def _file_digest(path) -> str:
    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()[:8]
    except OSError:
        return "missing"


def load_models() -> Models:
    """Load whichever of relevance, categories, tone and the relevance prior are installed with their artefacts."""
    models = Models()
    for name in ("relevance", "categories", "tone", "relevance_prior"):
        try:
            module = importlib.import_module(f"mediebild.models.{name}")
            setattr(models, name, module.load())
        except ImportError:
            log.info("models/%s.py is not there yet: its columns stay empty", name)
        except Exception as exc:  # a missing or broken artefact must not stop language and entities
            log.warning("cannot load the %s model (%s): its columns stay empty", name, exc)
    return models


def active_profile(store) -> Any:
    """The incident profile set in the store (`mediebild profile set`), or None."""
    return load_active_profile(store.con)


def profile_key(profile: Any) -> str | None:
    """A short fingerprint of the profile, so a new profile re-scores relevance."""
    if profile is None:
        return None
    inner = getattr(profile, "model", None)  # mediebild.profile.Profile wraps a pydantic ProfileModel
    if hasattr(profile, "model_dump"):
        payload = profile.model_dump(mode="json")
    elif inner is not None and hasattr(inner, "model_dump"):
        payload = inner.model_dump(mode="json")
    elif dataclasses.is_dataclass(profile):
        payload = dataclasses.asdict(profile)
    else:
        payload = repr(profile)
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:12]


def enrich_batch(items: list[dict[str, Any]], models: Models, profile: Any, *, model_version: str,
                 key: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Enrichment and entity rows for one batch of items (dicts with id, title, text, version)."""
    texts = [item_text(i.get("title"), i.get("text")) for i in items]
    langs_conf = detect_languages([t[:LANGUAGE_TEXT_CHARS] for t in texts])
    langs = [lang for lang, _ in langs_conf]
    nlp_texts = [t[:NLP_TEXT_CHARS] for t in texts]
    lemmas = lemmatise(nlp_texts, langs)
    now = utcnow()
    rows = [
        {
            "item_id": item["id"], "enriched_at": now, "model_version": model_version, "lang": lang,
            "lang_confidence": conf, "lemmas": lemma_list, "item_version": item.get("version"), "profile_key": key,
        }
        for item, (lang, conf), lemma_list in zip(items, langs_conf, lemmas)
    ]
    if models.relevance is not None:
        for row, item, result in zip(rows, items, models.relevance.predict(texts, langs, lemmas=lemmas, profile=profile)):
            row.update({k: result.get(k) for k in ("relevance", "relevant", "informativeness", "profile_terms")})
            # what the relevance learner counts and re-scores (adapt_relevance); not enrichments columns
            row["base"] = {"item_id": item["id"], "base": result.get("relevance") or 0.0,
                           "excluded": bool(result.get("profile_excluded")), "published_at": item.get("published_at")}
        if models.relevance_prior is not None and profile is not None:
            # the cross-incident prior the learner combines with its score each pass (adapt_relevance)
            priors = models.relevance_prior.proba([doc_tokens(lem, lang) for lem, lang in zip(lemmas, langs)], texts)
            for row, p_relevant in zip(rows, priors):
                row["base"]["prior"] = round(float(p_relevant), 4)
    if models.categories is not None:
        for row, result in zip(rows, models.categories.predict(texts, langs, lemmas=lemmas)):
            row.update({k: result.get(k) for k in ("info_type", "info_type_probs", "source_type", "source_type_probs")})
    if models.tone is not None:
        for row, result in zip(rows, models.tone.predict(texts, langs)):
            row.update({k: result.get(k) for k in ("tone", "tone_probs")})
    # NER on relevant items only; without a relevance model every item may be relevant
    wanted = [i for i, row in enumerate(rows) if row.get("relevant") is not False]
    entities: list[dict[str, Any]] = []
    if wanted:
        analyses = analyse([nlp_texts[i] for i in wanted], [langs[i] for i in wanted], ner=True)
        for i, analysis in zip(wanted, analyses):
            rows[i]["ner_done"] = True
            item_id = rows[i]["item_id"]
            entities.extend(
                {"item_id": item_id, "label": e.label, "text": e.text, "norm_id": e.norm_id,
                 "start_char": e.start, "end_char": e.end}
                for e in analysis.entities
            )
    return rows, entities


def enrich_pending(store, *, profile: Any = None, batch_size: int = 2000, progress: Progress | None = None,
                   models: Models | None = None, limit: int | None = None, workers: int = 1) -> dict[str, Any]:
    """Enrich every pending item of `store`; returns a summary (items, relevant, by language, by info type...).

    `profile` defaults to the active profile in the store (when mediebild.profile exists). `progress(done, total)`
    is called after each batch. `workers` > 1 computes batches in that many forked processes (the models are
    loaded once, before the fork, and shared); only this process touches the database, in batch order.
    """
    started = time.perf_counter()
    models = models or load_models()
    profile = profile if profile is not None else active_profile(store)
    key = profile_key(profile)
    version = models.version()
    ids = db.pending_item_ids(store, model_version=version, profile_key=key, limit=limit)
    total = len(ids)
    counts = {"items": 0, "relevant": 0, "ner_items": 0, "entities": 0}
    by_lang: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    if progress:
        progress(0, total)
    batch_size = max(1, batch_size)
    starts = range(0, total, batch_size)
    batches = (db.fetch_items(store, ids[start : start + batch_size]) for start in starts)
    if workers > 1 and total > batch_size:
        results = _parallel(batches, workers, (models, profile, version, key))
    else:
        results = (enrich_batch(items, models, profile, model_version=version, key=key) for items in batches)
    for start, (rows, entities) in zip(starts, results):
        db.write_enrichments(store, rows, entities)
        if profile is not None:
            judgements_db.write_base(store, [r["base"] for r in rows if "base" in r], profile_key=key)
        counts["items"] += len(rows)
        counts["relevant"] += sum(1 for r in rows if r.get("relevant"))
        counts["ner_items"] += sum(1 for r in rows if r.get("ner_done"))
        counts["entities"] += len(entities)
        by_lang.update(r.get("lang") or "?" for r in rows)
        by_type.update(r["info_type"] for r in rows if r.get("info_type"))
        if progress:
            progress(min(start + batch_size, total), total)
    learning = adapt_relevance(store, profile, key, models=models) if models.relevance is not None else None
    seconds = time.perf_counter() - started
    return {
        **counts,
        "learning": learning,
        "by_language": dict(by_lang.most_common()),
        "by_info_type": dict(by_type.most_common()),
        "model_version": version,
        "profile_key": key,
        "models": {name: getattr(models, name) is not None for name in ("relevance", "categories", "tone")},
        "seconds": round(seconds, 3),
        "items_per_second": round(counts["items"] / seconds, 1) if seconds > 0 and counts["items"] else None,
    }


# Items published within this many hours of the newest item are re-scored each pass with what the learner knows
# now (older ones keep the relevance they had: a digest of last week is not rewritten by today's learning).
RESCORE_HOURS = 48


def _learner_doc(row: dict[str, Any]) -> Doc:
    prior = row.get("prior")
    return Doc(row["item_id"], doc_tokens(row.get("lemmas"), row.get("lang")), float(row["base"]),
               row.get("published_at"), bool(row.get("excluded")), None if prior is None else float(prior))


def adapt_relevance(store, profile: Any, key: str | None, *, models: Models | None = None,
                    settings: LearnerSettings | None = None) -> dict[str, Any] | None:
    """The relevance learner's pass (models/adaptive.py): count the items enriched since the last pass, take the
    officers' judgements, re-score the recent items (and every judged one) and store what changed, the learner's
    state and the entities of items that became relevant. None without a profile (nothing to learn from)."""
    if profile is None:
        return None
    started = time.perf_counter()
    threshold = float(getattr(profile, "threshold", 0.5))
    learner = IncidentLearner(getattr(profile, "start", None), settings or LearnerSettings(threshold=threshold),
                              LearnerState.from_json(judgements_db.load_state(store, key)))
    new = judgements_db.unlearned(store, profile_key=key)
    seeds = learner.observe(_learner_doc(r) for r in new)
    verdicts = judgements_db.verdicts(store)
    newest = judgements_db.newest_published(store, profile_key=key)
    since = newest - timedelta(hours=RESCORE_HOURS) if newest is not None else None
    rows = judgements_db.base_rows(store, profile_key=key, since=since, item_ids=list(verdicts))
    docs = [_learner_doc(r) for r in rows]
    learner.use_judgements(Judged(verdicts, [d for d in docs if d.item_id in verdicts]))
    changed: list[dict[str, Any]] = []
    up = down = 0
    for row, doc in zip(rows, docs):
        score = round(learner.score(doc), 4)
        relevant = score >= threshold
        if row["relevance"] is None or abs(float(row["relevance"]) - score) > 1e-4 or bool(row["relevant"]) != relevant:
            changed.append({"item_id": doc.item_id, "relevance": score, "relevant": relevant})
            up += relevant and not row["relevant"]
            down += bool(row["relevant"]) and not relevant
    with store.transaction() as con:
        db.update_relevance(con, changed)
        judgements_db.mark_learned(con, [r["item_id"] for r in new])
        judgements_db.save_state(con, key, learner.state.to_json())
    ner_items = _ner_for_new_relevant(store, [c["item_id"] for c in changed if c["relevant"]])
    return {
        "counted": len(new), "seeds_added": seeds, "seeds": learner.state.n_seeds, "items_seen": learner.state.n_docs,
        "learned_terms": len(learner.weights()), "judged_items": len(verdicts), "rescored": len(rows),
        "changed": len(changed), "became_relevant": up, "became_not_relevant": down,
        "relevant_now": sum(1 for row, doc in zip(rows, docs) if learner.score(doc) >= threshold),
        "ner_items": ner_items, "seconds": round(time.perf_counter() - started, 3),
    }


def _ner_for_new_relevant(store, item_ids: list[str]) -> int:
    """Entities for items that became relevant by learning and had no NER yet (enrichment runs it on relevant
    items only)."""
    if not item_ids:
        return 0
    pending = [r for r in db.texts_of(store, item_ids) if not (db.enrichment_of(store, r["id"]) or {}).get("ner_done")]
    if not pending:
        return 0
    texts = [item_text(r.get("title"), r.get("text"))[:NLP_TEXT_CHARS] for r in pending]
    analyses = analyse(texts, [r.get("lang") for r in pending], ner=True)
    entities = [
        {"item_id": r["id"], "label": e.label, "text": e.text, "norm_id": e.norm_id, "start_char": e.start,
         "end_char": e.end}
        for r, analysis in zip(pending, analyses) for e in analysis.entities
    ]
    with store.transaction() as con:
        db.add_entities(con, [r["id"] for r in pending], entities)
    return len(pending)


_WORKER_STATE: tuple | None = None


def _work(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    models, profile, version, key = _WORKER_STATE  # inherited through fork
    return enrich_batch(items, models, profile, model_version=version, key=key)


def _parallel(batches, workers: int, state: tuple):
    """Yield enrich_batch results in batch order, computed by `workers` forked processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _WORKER_STATE
    detect_languages(["förvärmning"])  # load the models here, so every worker shares them
    analyse(["Förvärmning i Solna", "Warm-up in Solna"], ["sv", "en"], ner=True)
    _WORKER_STATE = state
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending = []
        for items in batches:
            pending.append(pool.submit(_work, items))
            if len(pending) > workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


@lazy_flow
def _build_flow():
    """(enrich task, enrich flow), built on first use (flows.lazy_flow)."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    @task(name="enrich-pending", cache_policy=NO_CACHE, persist_result=False)
    def enrich_task(db_path: str, batch_size: int = 2000) -> dict[str, Any]:
        from mediebild.data.store import STEP_WAIT_SECONDS, Store

        with Store.open(db_path, wait=STEP_WAIT_SECONDS) as store:
            return enrich_pending(store, batch_size=batch_size)

    @flow(name="enrich", persist_result=False, log_prints=False)
    def enrich_flow(db: str, batch_size: int = 2000) -> dict[str, Any]:
        """Enrich every pending item of the database `db` (language, lemmas, labels, entities)."""
        return enrich_task(str(db), batch_size)

    return enrich_task, enrich_flow


def get_enrich_flow():
    """The Prefect flow `enrich`, built on first use."""
    return _build_flow()[1]


def get_enrich_task():
    """The Prefect task `enrich-pending` that the flow runs."""
    return _build_flow()[0]


def enrich_flow(db: str, **kwargs: Any) -> dict[str, Any]:
    """Run the enrichment as a Prefect flow run (embedded server unless PREFECT_API_URL is set)."""
    return get_enrich_flow()(db=str(db), **kwargs)


# -- what the officer sees of the learner: suggestions for the profile, questions to judge ---------------------


def _learner_for(store, profile: Any, key: str | None) -> tuple[IncidentLearner, list[dict[str, Any]], list[Doc]]:
    """The stored learner of the active profile, with the recent items and the officers' judgements in force."""
    threshold = float(getattr(profile, "threshold", 0.5))
    learner = IncidentLearner(getattr(profile, "start", None), LearnerSettings(threshold=threshold),
                              LearnerState.from_json(judgements_db.load_state(store, key)))
    verdicts = judgements_db.verdicts(store)
    newest = judgements_db.newest_published(store, profile_key=key)
    since = newest - timedelta(hours=RESCORE_HOURS) if newest is not None else None
    rows = judgements_db.base_rows(store, profile_key=key, since=since, item_ids=list(verdicts))
    docs = [_learner_doc(r) for r in rows]
    learner.use_judgements(Judged(verdicts, [d for d in docs if d.item_id in verdicts]))
    return learner, rows, docs


def suggest_profile(store, profile: Any, *, n: int = 20) -> dict[str, Any]:
    """Terms, places and organisations the stream suggests for the profile (`mediebild profile suggest`): the
    learner's vocabulary that the profile lacks, and the places and organisations that relevant items name since
    the profile's start, most named first, with how often items before the start named them."""
    from mediebild.models.adaptive import suggest_terms

    key = profile_key(profile)
    learner, _, _ = _learner_for(store, profile, key)
    t = profile.model.terms
    known = [w for raw in (*t.sv, *t.en, *t.places, *t.organisations) for w in raw.lower().replace('"', " ").split()]
    known_names = {raw.lower() for raw in (*t.places, *t.organisations)}
    entities = judgements_db.learned_entities(store, since=profile.start)

    def fresh(e: dict[str, Any]) -> bool:
        text = str(e["text"]).lower()
        return e["items"] >= 2 and text not in known_names and not any(text in k or k in text for k in known_names)

    places = [e for e in entities if e["label"] == "LOC" and fresh(e)][:n]
    orgs = [e for e in entities if e["label"] == "ORG" and fresh(e)][:n]
    return {"profile": profile.name, "items_seen": learner.state.n_docs, "confident_items": learner.state.n_seeds,
            "terms": suggest_terms(learner, known, n), "places": places, "organisations": orgs}


def ask_officer(store, profile: Any, *, n: int = 5) -> list[dict[str, Any]]:
    """The items the tool would ask an officer to judge now (models.adaptive.questions), with their relevance."""
    from mediebild.models.adaptive import questions

    key = profile_key(profile)
    learner, rows, docs = _learner_for(store, profile, key)
    scores = learner.scores(docs)
    judged = judgements_db.verdicts(store)
    ids = questions(docs, scores, n=n, threshold=learner.settings.threshold, judged=judged)
    by_id = {d.item_id: (d, s) for d, s in zip(docs, scores)}
    texts = {r["id"]: r for r in db.texts_of(store, ids)}
    out = []
    for item_id in ids:
        doc, score = by_id[item_id]
        rec = texts.get(item_id, {})
        out.append({"item_id": item_id, "relevance": round(score, 4), "base": round(doc.base, 4),
                    "published_at": doc.published_at, "title": rec.get("title"),
                    "text": (rec.get("text") or "")[:280], "learned": learner.contributions(doc)})
    return out
