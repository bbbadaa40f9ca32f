"""What the situation room's actions write in data/: judgements with their audit (data.triage.judge), sources
added with an audit row, the profile set with one, account changes, and sessions kept in the database
(data.sessions) that end when an account is disabled or its password set."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mediebild.data.judgements import judgement_states, verdicts
from mediebild.data.profiles import load_active_profile
from mediebild.data.sessions import count_sessions, delete_session, find_session, save_session
from mediebild.data.triage import (add_source_audited, audit_for, audit_for_items, audit_of_kind, judge,
                                   set_profile_audited)
from mediebild.data.users import add_user, remove_user, set_password
from mediebild.errors import UserError
from mediebild.profile import Profile
from mediebild.sources import SourceConfig

T = datetime(2026, 3, 24, 9, 42, tzinfo=timezone.utc)


def make_story_with_item(store) -> None:
    source = SourceConfig("dagbladet", "rss", "https://dagbladet.example.se/rss", "Dagbladet", "editorial")
    store.upsert_source(source, now=T)
    at = T.replace(tzinfo=None)
    store.con.execute("INSERT INTO items (id, source_id, kind, url, title, text, published_at, fetched_at, "
                      "first_seen_at, content_hash) VALUES ('i1', 'dagbladet', 'editorial', 'https://x.se/1', 'Brand', "
                      "'Brand i hamnen', ?, ?, ?, 'h')", [at, at, at])
    store.con.execute("INSERT INTO stories (id, headline, created_at, updated_at) VALUES ('S1', 'Brand', ?, ?)",
                      [T.replace(tzinfo=None), T.replace(tzinfo=None)])
    store.con.execute("INSERT INTO stories (id, headline, merged_into, created_at, updated_at) "
                      "VALUES ('S2', 'Brand 2', 'S1', ?, ?)", [T.replace(tzinfo=None), T.replace(tzinfo=None)])
    store.con.execute("INSERT INTO story_items (story_id, item_id, assigned_at) VALUES ('S1', 'i1', ?)", [at])


def test_a_judgement_from_the_page_is_a_judgement_learning_reads_with_its_audit(store):
    make_story_with_item(store)
    first = judge(store.con, "item", "i1", False, user="anna", organisation="Länsstyrelsen", now=T)
    assert first["before"] == {"relevant": None} and first["after"] == {"relevant": False}
    judge(store.con, "item", "i1", True, user="bo", organisation=None, note="gäller oss", now=T + timedelta(minutes=1))
    state = judgement_states(store.con, "item", ["i1"])["i1"]
    assert state["relevant"] is True and state["judged_by"] == "bo" and state["judged_at"] == T + timedelta(minutes=1)
    assert verdicts(store.con) == {"i1": True}  # what relevance learning uses
    rows = audit_for_items(store.con, ["i1"])
    assert [(r["user_name"], r["before"], r["after"]) for r in rows] == [
        ("bo", {"relevant": False}, {"relevant": True}), ("anna", {"relevant": None}, {"relevant": False})]
    assert rows[0]["note"] == "gäller oss" and rows[1]["organisation"] == "Länsstyrelsen"


def test_a_merged_story_is_judged_as_the_story_it_joined(store):
    make_story_with_item(store)
    done = judge(store.con, "story", "S2", False, user="anna", organisation=None, now=T)
    assert done["target_id"] == "S1"
    assert judgement_states(store.con, "story", ["S1"])["S1"]["relevant"] is False
    assert audit_for(store.con, "story", "S1")[0]["action"] == "judge"
    with pytest.raises(UserError):
        judge(store.con, "story", "S404", True, user="anna", organisation=None)
    with pytest.raises(UserError):
        judge(store.con, "item", "nope", True, user="anna", organisation=None)


def test_adding_a_source_audits_what_changed_and_nothing_for_one_that_exists(store):
    source = SourceConfig("svt-se-nyheter", "rss", "https://www.svt.se/nyheter/rss.xml", "SVT", "editorial")
    added = add_source_audited(store, source, user="anna", organisation="Länsstyrelsen", now=T)
    again = add_source_audited(store, SourceConfig("annat-id", "rss", "https://www.svt.se/nyheter/rss.xml", "SVT 2",
                                                   "editorial"), user="anna", organisation=None, now=T)
    assert added.status == "added" and again.status == "exists" and again.source.id == "svt-se-nyheter"
    rows = audit_of_kind(store.con, "source")
    assert len(rows) == 1 and rows[0]["action"] == "source_add" and rows[0]["after"]["url"].endswith("rss.xml")


def test_setting_the_profile_keeps_before_and_after(store):
    first = Profile.from_text('name = "Brand i hamnen"\n[terms]\nsv = ["brand*"]\n')
    second = Profile.from_text('name = "Brand i Norrköping"\n[terms]\nsv = ["brand*", "rök"]\n')
    set_profile_audited(store.con, first, user="anna", organisation=None, now=T)
    set_profile_audited(store.con, second, user="bo", organisation=None, note="+ sv: rök", now=T)
    assert load_active_profile(store.con).name == "Brand i Norrköping"
    rows = audit_of_kind(store.con, "profile")
    assert rows[0]["before"]["name"] == "Brand i hamnen" and rows[0]["after"]["name"] == "Brand i Norrköping"
    assert rows[0]["note"] == "+ sv: rök" and rows[1]["before"] is None


def test_sessions_are_stored_as_hashes_and_end_with_expiry_disable_and_a_new_password(store):
    add_user(store.con, "anna", role="editor", password_hash="$argon2id$x")
    save_session(store.con, "a" * 64, user="anna", csrf="c1", created_at=T, expires_at=T + timedelta(hours=12), now=T)
    save_session(store.con, "b" * 64, user="anna", csrf="c2", created_at=T, expires_at=T + timedelta(hours=1), now=T)
    found = find_session(store.con, "a" * 64, now=T + timedelta(hours=2))
    assert found == {"user_name": "anna", "csrf": "c1", "created_at": T, "expires_at": T + timedelta(hours=12)}
    assert find_session(store.con, "b" * 64, now=T + timedelta(hours=2)) is None  # expired
    set_password(store.con, "anna", "$argon2id$y")
    assert count_sessions(store.con, "anna") == 0
    save_session(store.con, "c" * 64, user="anna", csrf="c3", created_at=T, expires_at=T + timedelta(hours=1), now=T)
    remove_user(store.con, "anna")
    assert count_sessions(store.con) == 0
    save_session(store.con, "d" * 64, user="bo", csrf="c4", created_at=T, expires_at=T + timedelta(hours=1), now=T)
    delete_session(store.con, "d" * 64)
    assert count_sessions(store.con) == 0


def test_add_term_keeps_comments_and_refuses_nothing_valid():
    from mediebild.profile import add_term

    body = '# övning\nname = "Brand"\n[terms]\nsv = ["brand*"] # ord\nplaces = ["Hamnen"]\n'
    out = add_term(body, "sv", "rök")
    assert out.startswith("# övning\n") and 'sv = ["brand*", "rök"]' in out
    assert Profile.from_text(out).model.terms.sv == ["brand*", "rök"]
    assert add_term(out, "sv", "RÖK") == out  # there already
    added = add_term(body, "organisations", "Kustbevakningen")
    assert Profile.from_text(added).model.terms.organisations == ["Kustbevakningen"]
    spread = 'name = "B"\n[terms]\nsv = [\n  "a",\n  "b",\n]\n'
    assert Profile.from_text(add_term(spread, "sv", "c")).model.terms.sv == ["a", "b", "c"]
    assert Profile.from_text(add_term('name = "B"\n', "places", "Kajen")).model.terms.places == ["Kajen"]
