"""The incident profile: TOML keys and their errors, the boolean query, term matching, storage."""

from __future__ import annotations

import pytest

from mediebild.errors import ConfigError
from mediebild.profile import Profile

EXAMPLE = '''
name = "Attackerna i Bryssel"
start = "2016-03-22T07:58:00+01:00"
query = "(Bryssel OR Brussels OR Zaventem) AND (attack* OR explosion* OR terror*)"
[terms]
sv = ["terrordåd", "explosion*"]
en = ["attack*", "explosion*"]
places = ["Bryssel", "Zaventem", "Arlanda"]
organisations = ["Polisen", "Säpo", "UD"]
exclude = ["fotboll*"]
'''


@pytest.fixture
def profile() -> Profile:
    return Profile.from_text(EXAMPLE)


def test_example_profile_parses(profile):
    assert profile.name == "Attackerna i Bryssel"
    assert profile.start.isoformat() == "2016-03-22T06:58:00+00:00"
    assert profile.places == ["bryssel", "zaventem", "arlanda"]


@pytest.mark.parametrize(
    "text, needle",
    [
        ('name = "x"\nfoo = 1\n', "foo: unknown key"),
        ('name = "x"\n[terms]\nsv = "terrordåd"\n', "terms.sv"),
        ('name = "x"\n[terms]\nplaces = ["a"]\ncities = ["b"]\n', "terms.cities: unknown key"),
        ('start = "2016-03-22"\n', "name"),
        ('name = "x"\nstart = "igår"\n', "start"),
        ('name = "x"\nquery = "(Bryssel AND"\n', "query"),
        ('name = "x"\nquery = "Bryssel AND \\"attack"\n', "query"),
        ('name = = "x"', "not valid TOML"),
    ],
)
def test_bad_profiles_are_one_line_config_errors(text, needle):
    with pytest.raises(ConfigError) as info:
        Profile.from_text(text)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message


def test_missing_file_is_user_error(tmp_path):
    from mediebild.errors import UserError

    with pytest.raises(UserError):
        Profile.from_toml(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    "query, text, expected",
    [
        ("Bryssel AND attack*", "Attackerna i Bryssel i morse", True),
        ("Bryssel AND attack*", "EU-toppmöte i Bryssel", False),
        ("Bryssel attack*", "attack i Bryssel", True),  # implicit AND
        ("Bryssel OR Zaventem", "Flyget från Zaventem", True),
        ("Bryssel AND NOT fotboll*", "Fotbollsmatch i Bryssel", False),
        ("(a OR b) AND NOT (c OR d)", "b e", True),
        ("(a OR b) AND NOT (c OR d)", "b d", False),
        ('"Bryssels flygplats" AND explosion*', "Explosion på Bryssels flygplats", True),
        ('"Bryssels flygplats" AND explosion*', "Explosion i Bryssel, flygplats stängd", False),
        ("BRYSSEL AND Attack", "attack i bryssel", True),  # terms are case-insensitive
        ("Bryssel and attack", "attack i Bryssel", False),  # operators are upper case: "and" is a term
    ],
)
def test_boolean_query(query, text, expected):
    profile = Profile.from_dict({"name": "q", "query": query})
    assert profile.match(text).query_ok is expected


def test_query_matches_lemmas_too():
    profile = Profile.from_dict({"name": "q", "query": "polis AND gripa"})
    assert profile.match("Polisen grep en man").query_ok is False
    assert profile.match("Polisen grep en man", lemmas=["polis", "gripa", "en", "man"]).query_ok is True


def test_match_scores_terms_places_and_exclusions(profile):
    hit = profile.match("Två explosioner på Zaventem, Säpo följer läget")
    assert hit.query_ok is True and not hit.excluded
    assert {"explosion*", "Zaventem", "Säpo"} <= set(hit.terms)
    place_only = profile.match("EU-toppmöte i Bryssel")
    assert place_only.query_ok is False and 0 < place_only.score < hit.score
    assert profile.match("Lunch på Södermalm").score == 0
    excluded = profile.match("Fotbollsmatchen i Bryssel efter attackerna")
    assert excluded.excluded and excluded.score == 0


def test_inflected_surface_forms_match_without_lemmas(profile):
    assert "terrordåd" in profile.match("Terrordåden i Bryssels tunnelbana").terms
    assert "Bryssel" in profile.match("Terrordåden i Bryssels tunnelbana").terms


def test_without_query_query_ok_is_none():
    assert Profile.from_dict({"name": "x"}).match("text").query_ok is None




def test_profile_set_and_show_commands(db_path, tmp_path, capsys):
    import json

    from mediebild.cli import main

    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert main(["profile", "set", str(path), "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["profile", "show", "--db", str(db_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == "Attackerna i Bryssel"
    assert shown["profile"]["terms"]["places"] == ["Bryssel", "Zaventem", "Arlanda"]


def test_profile_set_bad_key_exits_2_with_one_line(db_path, tmp_path, capsys):
    from mediebild.cli import main

    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\n[terms]\nsv = ["a"]\nplace = ["b"]\n', encoding="utf-8")
    assert main(["profile", "set", str(path), "--db", str(db_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "terms.place: unknown key" in err and len(err.splitlines()) == 1


def test_search_query_for_platforms_from_the_profile():
    profile = Profile.from_dict({"name": "x", "terms": {"sv": ["explosion*", "terrordåd"], "en": ["Explosion", "attack*"],
                                                         "places": ["Bryssel", "Brussels Airport"]}})
    assert profile.search_query() == '(explosion OR terrordåd OR attack OR Bryssel OR "Brussels Airport")'
    assert len(profile.search_query(max_chars=30)) <= 30
    assert Profile.from_dict({"name": "tom"}).search_query() is None
