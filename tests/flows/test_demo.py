"""Smoke tests of the demo driver: the scenario replayed hour by hour into a real DuckDB file and rendered documents.

The demo is a showcase: these check that it runs end to end (counts, formats, repeatability), not how well the
models do on it; model floors live on development data (tests/models/).
"""

from __future__ import annotations

import json

from mediebild.data.store import Store
from mediebild.flows.demo import run_demo


def test_demo_first_hours_end_to_end(tmp_path):
    out = tmp_path / "out"
    result = run_demo(out, use_prefect=False, hours=3, formats=("html", "md", "json"))
    assert result.hours == 3
    with Store.open(result.db, read_only=True) as store:
        assert store.count("sources") >= 12
        items = store.count("items")
        assert items > 30
        kinds = dict(store.con.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())
        assert {"editorial", "social", "official"} <= set(kinds)
        digests = store.con.execute(
            "SELECT kind, count(DISTINCT period_start), count(*) FROM digests GROUP BY kind ORDER BY kind"
        ).fetchall()
        assert ("digest", 3, 9) in digests  # one per hour, in 3 formats
        assert any(kind == "brief" for kind, _, _ in digests)
    files = sorted(p.name for p in out.iterdir())
    assert any(name.endswith(".html") and name.startswith("digest-") for name in files)
    assert any(name.endswith(".md") and name.startswith("brief-") for name in files)
    digest_json = json.loads(next(out.glob("digest-*-json-*.json")).read_text(encoding="utf-8"))
    assert digest_json


def test_demo_is_repeatable(tmp_path):
    first = run_demo(tmp_path / "a", use_prefect=False, hours=2, formats=("json",))
    second = run_demo(tmp_path / "a", use_prefect=False, hours=2, formats=("json",))  # same folder: fresh db
    assert first.items == second.items
