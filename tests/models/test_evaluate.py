"""CrisisLex readers, metrics and the eval commands, on tiny CrisisLex-format folders written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediebild.errors import UserError
from mediebild.models.corpora.crisislex import dedup_key, read_t6, read_t26
from mediebild.models.corpora.labelled import read_relevance_csv
from mediebild.models.eval.classifiers import scores

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

T26_HEADER = "Tweet ID, Tweet Text, Information Source, Information Type, Informativeness\n"
T26_ROWS = [
    ('"1"', '"Explosion at the Boston marathon, 2 dead http://t.co/x"', "Media", "Affected individuals",
     "Related and informative"),
    ('"2"', '"RT @a: Explosion at the Boston marathon, 2 dead http://t.co/y"', "Media", "Affected individuals",
     "Related and informative"),  # a retweet of row 1: dropped
    ('"3"', '"Praying for everyone in Boston tonight"', "Outsiders", "Sympathy and support",
     "Related - but not informative"),
    ('"4"', '"Good luck in the race today #bostonmarathon"', "Not labeled", "Not labeled", "Not related"),
    ('"5"', '"Donate blood at the Red Cross"', "NGOs", "Donations and volunteering", "Not applicable"),
]


@pytest.fixture
def t26_dir(tmp_path):
    event = tmp_path / "2013_Boston_bombings"
    event.mkdir()
    lines = [",".join(r) + "\n" for r in T26_ROWS]
    (event / "2013_Boston_bombings-tweets_labeled.csv").write_text(T26_HEADER + "".join(lines), encoding="utf-8")
    (event / "2013_Boston_bombings-event_description.json").write_text(json.dumps({
        "location": {"location_description": "Boston"},
        "keywords": ["boston explosion", "boston marathon", "prayforboston", "Tsarnaev"],
    }), encoding="utf-8")
    return tmp_path


@pytest.fixture
def t6_dir(tmp_path):
    event = tmp_path / "2013_Boston_Bombings"
    event.mkdir()
    (event / "2013_Boston_Bombings-ontopic_offtopic.csv").write_text(
        "tweet id, tweet, label\n"
        "'1',\"Explosions near the finish line in Boston\",on-topic\n"
        "'2',\"I just wanna go outside\",off-topic\n"
        "'3',\"Police: two bombs went off at the marathon\",on-topic\n",
        encoding="utf-8",
    )
    return tmp_path


def test_read_t26_dedups_and_maps_labels(t26_dir):
    [event] = read_t26(t26_dir)
    assert len(event.rows) == 4
    assert [r.informativeness for r in event.rows] == ["informative", "not_informative", "not_related", None]
    assert event.rows[0].info_type == "affected_individuals" and event.rows[3].source_type == "ngo"
    assert event.rows[1].source_type == "outsiders" and event.rows[2].info_type is None
    assert "boston" in event.places and "tsarnaev" in event.places
    assert "explosion" not in event.places  # generic crisis words are not the event's names
    assert "explosion" in event.terms and "tsarnaev" not in event.terms  # its terms, as a profile would hold


def test_read_t6_and_folder_places(t6_dir):
    [event] = read_t6(t6_dir)
    assert [r.topic for r in event.rows] == ["on_topic", "off_topic", "on_topic"]
    assert event.places == ["boston"]
    assert event.terms == ["bombings", "boston"]


def test_one_event_folder_can_be_given_directly(t26_dir):
    assert len(read_t26(t26_dir / "2013_Boston_bombings")) == 1


def test_missing_or_empty_folder_is_user_error(tmp_path):
    with pytest.raises(UserError):
        read_t26(tmp_path / "nope")
    with pytest.raises(UserError):
        read_t26(tmp_path)


def test_dedup_key_ignores_retweet_prefix_urls_and_case():
    assert dedup_key("RT @x: Hello http://t.co/a  World") == dedup_key("hello http://t.co/b world")


def test_scores_contract():
    result = scores("t", ["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"])
    assert set(result) >= {"task", "n", "weighted_f1", "macro_f1", "per_class"}
    assert result["n"] == 4 and result["per_class"]["a"]["recall"] == 0.5


def test_relevance_csv_reader(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label,note\nett,1,x\ntvå,0,y\n", encoding="utf-8")
    assert read_relevance_csv(path) == (["ett", "två"], [1, 0], [None, None])
    path.write_text("text,label\nett,ja\n", encoding="utf-8")
    with pytest.raises(UserError, match="label"):
        read_relevance_csv(path)
    path.write_text("body,label\nett,1\n", encoding="utf-8")
    with pytest.raises(UserError, match="text,label"):
        read_relevance_csv(path)


@pytest.mark.parametrize("task, fixture", [("informativeness", "t26_dir"), ("info-type", "t26_dir"),
                                           ("topic", "t6_dir")])
def test_eval_commands_print_one_json_document(task, fixture, request, capsys):
    from mediebild.cli import main

    folder = request.getfixturevalue(fixture)
    assert main(["eval", task, "--events", str(folder), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"task", "n", "weighted_f1", "macro_f1", "per_class"}
    assert result["n"] >= 2


def test_eval_table_output(t6_dir, capsys):
    from mediebild.cli import main

    assert main(["eval", "topic", "--events", str(t6_dir)]) == 0
    assert "weighted F1" in capsys.readouterr().out


def test_eval_missing_folder_exits_2(tmp_path, capsys):
    from mediebild.cli import main

    assert main(["eval", "topic", "--events", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_an_incident_set_serves_relevance_and_info_type():
    from mediebild.models.corpora.labelled import read_info_type_rows, read_stream

    path = FIXTURES / "sets" / "tiny_incident.csv"
    texts, labels, langs = read_relevance_csv(path)
    assert labels == [1, 1, 1, 0] and texts[0] == "Vattnet ska kokas\nKoka vattnet innan du dricker det."
    assert langs[1] == "en"
    assert [label for _, label in read_info_type_rows(path)] == [
        "caution_and_advice", "caution_and_advice", "infrastructure_and_utilities"]
    assert [r["story"] for r in read_stream(path)] == ["notice", "notice", "shops", "noise-t4"]
