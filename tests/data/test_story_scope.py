"""The story page's narrow read (data/story_scope.py) answers what get_story answers on the whole snapshot:
for every story of a small enriched incident, also one merged into another and one in an incident thread."""

from __future__ import annotations

import pickle
import zlib

from mediebild.data.snapshot import publish_database
from mediebild.data.snapshot_read import open_snapshot
from mediebild.data.store import Store
from mediebild.data.stories import get_story
from mediebild.data.story_scope import story_scope


def test_every_story_reads_the_same_from_its_scope(analyst_db):
    with Store.open(analyst_db) as store:
        ids = [r[0] for r in store.con.execute(
            "SELECT st.id FROM stories st ORDER BY (SELECT count(*) FROM story_items si WHERE si.story_id = st.id) "
            "DESC, st.id").fetchall()]
        assert len(ids) >= 3
        store.con.execute("UPDATE stories SET merged_into = ? WHERE id = ?", [ids[0], ids[-1]])
        threads = {ids[1]: ids[0]}
        store.con.execute("DELETE FROM story_state WHERE name = 'threads'")
        store.con.execute("INSERT INTO story_state (name, state, saved_at) VALUES ('threads', ?, now())",
                          [zlib.compress(pickle.dumps(threads))])
    publish_database(analyst_db)
    with open_snapshot(analyst_db, refresh=False) as snapshot:
        compared = 0
        for story_id in [*ids, "S-does-not-exist"]:
            whole = get_story(snapshot.con, story_id)
            scope = story_scope(snapshot.con, story_id)
            assert scope is not None
            with scope:
                assert get_story(scope.con, story_id, until=scope.until) == whole, story_id
            compared += whole is not None
        assert compared >= 3
        with story_scope(snapshot.con, ids[0]) as one, story_scope(snapshot.con, ids[2]) as other:
            # each scope is a cursor of its own: two at once (two requests) keep their own rows
            assert get_story(one.con, ids[0], until=one.until)["id"] == ids[0]
            assert get_story(other.con, ids[2], until=other.until)["id"] == ids[2]
        assert get_story(snapshot.con, ids[-1])["id"] == ids[0]  # the merged one reads as the one it joined
        assert get_story(snapshot.con, ids[1])["thread_stories"] == 2  # the thread reached the scope too
