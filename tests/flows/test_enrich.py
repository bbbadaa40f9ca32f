"""The enrichment step: every item gets language and lemmas, labels when the models exist, NER when relevant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from mediebild.data import enrichments as db
from mediebild.flows.enrich import Models, enrich_pending, item_text, profile_key
from mediebild.items import Item

NOW = datetime(2016, 3, 22, 9, 0, tzinfo=timezone.utc)
TEXTS = {
    "sv1": ("Säpo följer läget i Bryssel", "Säkerhetspolisen: inga svenskar skadade vid Zaventem. SL:s trafik går som vanligt."),
    "en1": ("", "Explosions at Brussels airport and Maelbeek metro station, several dead"),
    "sv2": ("Fotboll: AIK vann derbyt", "AIK vann mot Djurgården på Friends Arena i Solna."),
    "so1": ("", "Qarax ayaa ka dhacay garoonka diyaaradaha ee Brussels, dad badan ayaa ku dhintay"),
    "nil": ("", "😂😂"),
}


def add(store, ids=None):
    items = [
        Item(id=i, source="s", kind="social", url=f"https://x.example/{i}", title=t, text=x, author=None,
             published_at=NOW, fetched_at=NOW)
        for i, (t, x) in TEXTS.items() if ids is None or i in ids
    ]
    with store.transaction():
        store.upsert_items(items)


class StandInRelevance:
    """Follows the relevance contract of issue 4's other half: relevant when a lemma names Brussels."""

    version = "stand-in-1"

    def predict(self, texts, langs, *, lemmas, profile=None):
        out = []
        for words in lemmas:
            hit = bool({"bryssel", "brussels"} & set(words))
            out.append({"relevance": 0.9 if hit else 0.1, "relevant": hit, "informativeness": "informative" if hit else None,
                        "profile_terms": ["bryssel"] if hit else []})
        return out


class StandInCategories:
    version = "stand-in-1"

    def predict(self, texts, langs, lemmas=None):
        return [{"info_type": "Drabbade personer", "info_type_probs": {"Drabbade personer": 1.0},
                 "source_type": "media", "source_type_probs": {"media": 1.0}} for _ in texts]


class StandInTone:
    version = "stand-in-1"

    def predict(self, texts, langs):
        return [{"tone": "negative", "tone_probs": {"negative": 0.8, "neutral": 0.2}} for _ in texts]


@dataclass
class Profile:
    name: str


def test_item_text_does_not_repeat_a_title():
    assert item_text("Rubrik", "Rubrik och mer") == "Rubrik och mer"
    assert item_text("Rubrik", "Brödtext") == "Rubrik\nBrödtext"
    assert item_text(None, None) == ""


def test_without_the_label_models_every_item_gets_language_lemmas_and_entities(store):
    add(store)
    summary = enrich_pending(store, models=Models(), batch_size=2)
    assert summary["items"] == 5 and summary["ner_items"] == 5
    assert summary["models"] == {"relevance": False, "categories": False, "tone": False}
    langs = dict(store.con.execute("SELECT item_id, lang FROM enrichments").fetchall())
    assert langs == {"sv1": "sv", "en1": "en", "sv2": "sv", "so1": "so", "nil": None}
    row = db.enrichment_of(store, "sv1")
    assert row["relevant"] is None and row["info_type"] is None
    assert {"säpo", "bryssel", "zaventem"} <= set(row["lemmas"].split())
    ids = {e["norm_id"] for e in db.entities_of(store, "sv1")}
    assert {"org:sapo", "loc:bryssel", "loc:zaventem", "org:sl"} <= ids
    text = item_text(*TEXTS["sv1"])
    for e in db.entities_of(store, "sv1"):
        assert text[e["start_char"] : e["end_char"]] == e["text"]
    # idempotent: nothing pending, and a second pass writes nothing
    assert enrich_pending(store, models=Models())["items"] == 0
    # an updated article is enriched again
    store.con.execute("UPDATE items SET version = 2, text = 'Polisen i Solna larmades' WHERE id = 'sv2'")
    assert enrich_pending(store, models=Models())["items"] == 1


def test_labels_fill_their_columns_and_ner_runs_on_relevant_items_only(store):
    add(store)
    models = Models(relevance=StandInRelevance(), categories=StandInCategories(), tone=StandInTone())
    seen = []
    summary = enrich_pending(store, models=models, profile=Profile("Bryssel"), progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert summary["relevant"] == 3 and summary["ner_items"] == 3  # sv1, en1, so1 name Brussels
    assert summary["by_info_type"] == {"Drabbade personer": 5}
    assert db.entities_of(store, "sv2") == [] and db.enrichment_of(store, "sv2")["ner_done"] is False
    row = db.enrichment_of(store, "en1")
    assert row["relevant"] is True and row["tone"] == "negative" and row["profile_terms"] == ["bryssel"]
    assert "relevance:stand-in-1" in row["model_version"]
    # another profile re-scores everything; the same one does not
    assert enrich_pending(store, models=models, profile=Profile("Bryssel"))["items"] == 0
    assert enrich_pending(store, models=models, profile=Profile("Zaventem"))["items"] == 5
    assert profile_key(Profile("a")) != profile_key(Profile("b")) and profile_key(None) is None


def test_the_task_runs_the_plain_function(db_path):
    from mediebild.data.store import Store
    from mediebild.flows.enrich import get_enrich_task

    with Store.open(db_path) as store:
        add(store, ["sv1"])
    result = get_enrich_task().fn(str(db_path))
    assert result["items"] == 1


def test_cli_enrich_json(db_path, capsys):
    import json

    from mediebild.cli import main
    from mediebild.data.store import Store

    with Store.open(db_path) as store:
        add(store, ["sv1", "en1"])
    assert main(["enrich", "--db", str(db_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["items"] == 2 and summary["by_language"] == {"sv": 1, "en": 1}
    assert main(["enrich", "--db", str(db_path)]) == 0
    assert "0 poster berikade" in capsys.readouterr().out


@pytest.mark.prefect
def test_enrich_flow_under_prefect_harness(db_path, prefect_harness):
    from mediebild.data.store import Store
    from mediebild.flows.enrich import enrich_flow

    with Store.open(db_path) as store:
        add(store, ["sv1", "en1"])
    assert enrich_flow(str(db_path))["items"] == 2


def test_two_workers_give_the_same_rows_as_one(tmp_path):
    from mediebild.data.store import Store

    results = []
    for workers in (1, 2):
        with Store.open(tmp_path / f"w{workers}.duckdb", create=True) as store:
            add(store)
            summary = enrich_pending(store, models=Models(), batch_size=2, workers=workers)
            assert summary["items"] == 5
            results.append(store.con.execute(
                "SELECT e.item_id, e.lang, e.lemmas, count(n.item_id) FROM enrichments e "
                "LEFT JOIN entities n USING (item_id) GROUP BY ALL ORDER BY 1").fetchall())
    assert results[0] == results[1]
