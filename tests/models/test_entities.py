"""The gazetteer: loads, covers the region, and normalises name variants to one id."""

from __future__ import annotations

import pytest

from mediebild.errors import ModelError
from mediebild.models.entities import load_gazetteer, normalise, ruler_patterns, slugify


def test_gazetteer_covers_the_region():
    entries = load_gazetteer()
    ids = {e.id for e in entries}
    assert len(ids) == len(entries)
    municipalities = [e for e in entries if e.id.endswith("-kommun")]
    assert len(municipalities) == 26
    for wanted in ("org:lansstyrelsen-stockholm", "org:polisen", "org:region-stockholm", "org:sl", "org:msb",
                   "org:sapo", "org:swedavia", "loc:arlanda", "loc:bromma-flygplats", "loc:skavsta",
                   "loc:t-centralen", "loc:stockholms-central", "loc:cityterminalen", "org:karolinska-universitetssjukhuset",
                   "org:sodersjukhuset", "org:danderyds-sjukhus", "org:st-gorans-sjukhus", "org:ud",
                   "org:krisinformation", "loc:bryssel", "loc:zaventem", "loc:maelbeek", "org:belgiens-ambassad"):
        assert wanted in ids, wanted


@pytest.mark.parametrize(
    ("text", "norm_id"),
    [
        ("Säpo", "org:sapo"), ("Säkerhetspolisen", "org:sapo"), ("SÄPO", "org:sapo"), ("Säpos", "org:sapo"),
        ("Brussels", "loc:bryssel"), ("Bruxelles", "loc:bryssel"), ("Bryssel", "loc:bryssel"),
        ("SL:s", "org:sl"), ("Solna stad", "org:solna-kommun"), ("Solna", "loc:solna"),
        ("Länsstyrelsen i Stockholms län", "org:lansstyrelsen-stockholm"), ("Arlanda's", "loc:arlanda"),
    ],
)
def test_variants_normalise_to_one_id(text, norm_id):
    assert normalise("ORG", text) == norm_id


def test_unknown_names_get_a_label_slug():
    assert normalise("PER", "Stefan Löfven") == "per:stefan-löfven"
    assert normalise("LOC", "  Place  Flagey ") == "loc:place-flagey"
    assert slugify("Charles de Gaulle-flygplatsen") == "charles-de-gaulle-flygplatsen"


def test_acronyms_are_case_sensitive_patterns_and_genitives_only_for_scandinavian():
    sv = ruler_patterns("sv")
    assert {"label": "ORG", "pattern": [{"ORTH": "SL"}], "id": "org:sl"} in sv
    assert {"label": "ORG", "pattern": [{"ORTH": "SL:s"}], "id": "org:sl"} in sv
    assert {"label": "ORG", "pattern": "Säpos", "id": "org:sapo"} in sv
    en = ruler_patterns("en")
    assert {"label": "ORG", "pattern": "Säpos", "id": "org:sapo"} not in en


def test_a_broken_gazetteer_is_a_model_error(tmp_path):
    bad = tmp_path / "g.toml"
    bad.write_text('[[entity]]\nid = "x:y"\nlabel = "THING"\nnames = ["Y"]\n', encoding="utf-8")
    with pytest.raises(ModelError, match="x:y"):
        load_gazetteer(bad)
