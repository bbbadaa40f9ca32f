"""A VMA is always an alert in the digest and the brief; an official notice edited later (an all-clear)
shows up in the hour it changed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from mediebild.data.store import Store
from mediebild.flows.digest import make_brief, make_digest
from mediebild.items import Item
from mediebild.monitors.base import SourceConfig

T0 = datetime(2026, 3, 24, 9, 0, tzinfo=timezone.utc)


def notice(item_id: str, title: str, text: str, at: datetime, raw: dict | None = None) -> Item:
    return Item(id=item_id, source="kris", kind="official", url=f"https://kris.example/{item_id}", title=title, text=text,
                author="Krisinformation", published_at=T0 + timedelta(minutes=5), fetched_at=at, raw=raw or {})


def fetch(store: Store, items: list[Item], at: datetime) -> None:
    store.record_fetch(source_id="kris", run_id="r", started_at=at, finished_at=at, http_status=200, size=1,
                       not_modified=False, items=items, problems=[], ok=True, cursor={})


def body(store: Store, doc_id: str) -> dict:
    return json.loads(bytes(store.con.execute("SELECT body FROM digests WHERE id = ?", [doc_id]).fetchone()[0]))


def test_vma_is_an_alert_and_an_all_clear_edit_is_shown(tmp_path):
    store = Store.open(tmp_path / "o.duckdb", create=True)
    store.upsert_source(SourceConfig(id="kris", monitor="krisinformation", url="https://api.example/v3",
                                     name="Krisinformation", item_kind="official"))
    vma = notice("vma:1", "VMA: Gå inomhus i Sundbyberg", "Stäng dörrar, fönster och ventilation.", T0 + timedelta(minutes=6),
                 {"alert": "vma", "msg_type": "Alert"})
    fetch(store, [vma, notice("k:1", "Brand i industrilokal", "Räddningstjänsten arbetar på plats.", T0 + timedelta(minutes=6))],
          T0 + timedelta(minutes=6))
    first = body(store, make_digest(store, period_start=T0, period_end=T0 + timedelta(hours=1), formats=("json",))[0]["id"])
    assert [v["title"] for v in first["vma"]] == ["VMA: Gå inomhus i Sundbyberg"]
    assert first["alerts"][0]["kind"] == "vma"  # an alert even though no stories step has run

    later = T0 + timedelta(hours=2, minutes=10)
    fetch(store, [notice("k:1", "Brand i industrilokal – faran över", "Faran är över. Räddningstjänsten har avslutat.", later)],
          later)
    hour = make_digest(store, period_start=T0 + timedelta(hours=2), period_end=T0 + timedelta(hours=3), formats=("json", "md"))
    data = body(store, hour[0]["id"])
    assert [u["title"] for u in data["official_updates"]] == ["Brand i industrilokal – faran över"]
    assert data["official_updates"][0]["version"] == 2
    markdown = bytes(store.con.execute("SELECT body FROM digests WHERE id = ?", [hour[1]["id"]]).fetchone()[0]).decode()
    assert "Ändrade besked" in markdown and "uppdaterad" in markdown

    brief = make_brief(store, until=T0 + timedelta(hours=1), since=T0, formats=("json",))
    lines = body(store, brief[0]["id"])["now_lines"]
    assert lines[0].startswith("VMA – Viktigt meddelande till allmänheten: VMA: Gå inomhus")
