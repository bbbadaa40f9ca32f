"""What a published snapshot holds: the tables, how each is split into days, and the rollups beside them.

A day-keyed table is written as one Parquet folder per UTC day (`items/day=2016-03-22/…`), so a pass that
touched today rewrites today only and every other day is hard-linked from the previous version. Which days
changed is found by comparing a per-day signature (row count and an XOR of row hashes) with the previous
version's, so updates, deletions (forgetting an author) and purges are all seen, whatever column they touch.

Secrets and state the readers have no use for are never published: users (password hashes), the privacy
key, the stories' clustering state (only their incident threads are published), the relevance learner. Social items of private authors are published
as documents show them (pseudonym, no link, mentions redacted): see data/snapshot.py.

Data layer: imports nothing of the project; data/snapshot.py and data/snapshot_read.py use it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The item's UTC day, for tables keyed by item id: the publisher makes the TEMP table item_day (id, day) once,
# which is cheaper to join than the items themselves (measured at 10M items: signatures 5.5 s -> see bench).
ITEM_DAY = "i.day"
ITEM_HOUR = "i.hour"
ITEM_JOIN = "JOIN item_day i ON i.id = t.item_id"
_TERM_KEYS = "hour, kind, relevant"
_TERM_ROW = ("date_trunc('hour', i.published_at) AS hour, i.kind, coalesce(e.relevant, FALSE) AS relevant, "
             "i.id AS item_id, CAST(i.published_at AS DATE) AS day")


@dataclass(frozen=True)
class TableSpec:
    """One published table: where its rows come from, which day a row belongs to, what changes it."""

    name: str
    source: str                 # FROM clause, aliased t (items i when joined); {days} marks where the publisher
                                # narrows a rollup's items to the changed days
    day: str | None = None      # SQL giving the row's DATE; None: the table is written whole
    signature: str = "hash(t)"  # SQL hashed per row to see changes (cheaper than the whole row for big tables)
    columns: str = "t.*"        # what is written
    rollup: bool = False        # computed from item days (changed when items, enrichments or entities change)
    signature_source: str | None = None  # FROM clause of the signature when cheaper than `source`
    hour: str | None = None     # SQL giving the row's UTC hour: the newest days are then written an hour a file


TABLES: tuple[TableSpec, ...] = (
    # The items, wide: each with its enrichment, story, original (when a copy) and entities, so the analysts'
    # reads and exports scan one table (the view `items` shows the store's own columns of it). shown_social:
    # social items of private persons as documents show them (made by the publisher).
    TableSpec("items", """items t LEFT JOIN shown_social p ON p.id = t.id
                  LEFT JOIN (SELECT * FROM enrichments WHERE item_id IN (SELECT i.id FROM items i WHERE {days})) e
                         ON e.item_id = t.id
                  LEFT JOIN (SELECT * FROM story_items WHERE item_id IN (SELECT i.id FROM items i WHERE {days})) si
                         ON si.item_id = t.id
                  LEFT JOIN (SELECT * FROM copies WHERE item_id IN (SELECT i.id FROM items i WHERE {days})) c
                         ON c.item_id = t.id
                  LEFT JOIN (SELECT n.item_id, list({'label': n.label, 'text': n.text, 'entity': n.norm_id}
                                                    ORDER BY n.start_char) AS entities
                               FROM entities n WHERE n.item_id IN (SELECT i.id FROM items i WHERE {days})
                              GROUP BY n.item_id) ents ON ents.item_id = t.id""",
              day="CAST(t.published_at AS DATE)", hour="date_part('hour', t.published_at)",
              signature_source="items t",
              signature="hash(t.id, t.version, t.fetched_at, t.updated_at, t.purged_at, t.lang, t.title, t.author)",
              columns="t.* REPLACE (" + ", ".join(f"CASE WHEN p.id IS NULL THEN t.{c} ELSE p.{c} END AS {c}"
                                                 for c in ("author", "url", "raw", "title", "text")) + "), "
                      + ", ".join(f"{source} AS {name}" for name, source in (
                          ("enriched_lang", "e.lang"), ("relevance", "e.relevance"), ("relevant", "e.relevant"),
                          ("informativeness", "e.informativeness"), ("info_type", "e.info_type"),
                          ("source_type", "e.source_type"), ("tone", "e.tone"), ("story_id", "si.story_id"),
                          ("copy_of", "c.copy_of"), ("copy_how", "c.how"),
                          ("entities", "coalesce(ents.entities, [])")))),
    TableSpec("enrichments", f"enrichments t {ITEM_JOIN}", day=ITEM_DAY, hour=ITEM_HOUR),
    TableSpec("entities", f"entities t {ITEM_JOIN}", day=ITEM_DAY, hour=ITEM_HOUR),
    TableSpec("story_items", f"story_items t {ITEM_JOIN}", day=ITEM_DAY, hour=ITEM_HOUR),
    TableSpec("copies", f"copies t {ITEM_JOIN}", day=ITEM_DAY, hour=ITEM_HOUR),
    TableSpec("story_seen", f"story_seen t {ITEM_JOIN}", day=ITEM_DAY, hour=ITEM_HOUR,
              signature="hash(t.item_id, t.seen_at, t.clustered)"),
    TableSpec("fetches", "fetches t", day="CAST(t.started_at AS DATE)"),
    TableSpec("problems", "problems t", day="CAST(t.recorded_at AS DATE)"),
    TableSpec("digests", "digests t", day="CAST(t.created_at AS DATE)",
              signature="hash(t.id, t.checksum, t.redacted_at)"),
    TableSpec("alerts", "alerts t", day="CAST(t.raised_at AS DATE)"),
    TableSpec("judgements", "judgements t", day="CAST(t.judged_at AS DATE)"),
    TableSpec("audit_log", "audit_log t", day="CAST(t.acted_at AS DATE)"),
    TableSpec("sources", "sources t"),
    # stories named after a social post as documents show them (shown_stories: made by the publisher)
    TableSpec("stories", "stories t LEFT JOIN shown_stories p ON p.id = t.id", signature="hash(t)",
              columns="t.* REPLACE (coalesce(p.headline, t.headline) AS headline, "
                      "CASE WHEN p.id IS NULL OR p.public THEN t.url END AS url)"),
    TableSpec("profiles", "profiles t"),
    TableSpec("sends", "sends t"),
    # the incident threads stories belong to (small); the clustering and copy-finding state stays in the file
    TableSpec("story_state", "(SELECT * FROM story_state WHERE name = 'threads') t"),
    # Rollups: what trends and top lists read instead of scanning every item (measured: a top-entities query
    # over 10M items takes 1.5-2.7 s in any store; its rollup answers in milliseconds).
    # Few dimensions each, so a week of a rollup is thousands of rows, not millions: filters a rollup lacks are
    # answered from the items (data/analysts.py decides).
    TableSpec("volume_hourly", """(
        SELECT date_trunc('hour', i.published_at) AS hour, i.kind, i.source_id, coalesce(e.lang, i.lang) AS lang,
               coalesce(e.relevant, FALSE) AS relevant, count(*) AS items, CAST(i.published_at AS DATE) AS day
          FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
         WHERE {days}
         GROUP BY ALL) t""", day="t.day", hour="date_part('hour', t.hour)", columns="t.* EXCLUDE (day)",
              rollup=True),
    TableSpec("category_volume_hourly", """(
        SELECT date_trunc('hour', i.published_at) AS hour, i.kind, e.info_type, e.tone,
               coalesce(e.relevant, FALSE) AS relevant, count(*) AS items, CAST(i.published_at AS DATE) AS day
          FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
         WHERE {days}
         GROUP BY ALL) t""", day="t.day", hour="date_part('hour', t.hour)", columns="t.* EXCLUDE (day)",
              rollup=True),
    TableSpec("entity_mentions_hourly", """(
        SELECT date_trunc('hour', i.published_at) AS hour, i.kind, coalesce(e.relevant, FALSE) AS relevant, n.label,
               coalesce(n.norm_id, n.label || ':' || lower(n.text)) AS entity,
               coalesce(mode(n.text) FILTER (WHERE n.text <> lower(n.text)), mode(n.text)) AS name,
               count(*) AS mentions, count(DISTINCT i.id) AS items,
               CAST(i.published_at AS DATE) AS day
          FROM entities n JOIN items i ON i.id = n.item_id LEFT JOIN enrichments e ON e.item_id = i.id
         WHERE {days}
         GROUP BY ALL) t""", day="t.day", hour="date_part('hour', t.hour)", columns="t.* EXCLUDE (day)",
              rollup=True),
    TableSpec("terms_hourly", f"""(
        SELECT {_TERM_KEYS}, 'word' AS term_kind, term, count(DISTINCT item_id) AS items, day
          FROM (SELECT {_TERM_ROW}, unnest(string_split(e.lemmas, ' ')) AS term
                  FROM items i JOIN enrichments e ON e.item_id = i.id
                 WHERE {{days}} AND i.purged_at IS NULL)
         WHERE length(term) > 1
         GROUP BY ALL
        UNION ALL
        SELECT {_TERM_KEYS}, 'hashtag' AS term_kind, term, count(DISTINCT item_id) AS items, day
          FROM (SELECT {_TERM_ROW}, unnest(list_transform(
                        regexp_extract_all(i.title || ' ' || i.text, '#([[:alnum:]_]+)', 1), lambda x: lower(x))) AS term
                  FROM items i LEFT JOIN enrichments e ON e.item_id = i.id
                 WHERE {{days}} AND i.purged_at IS NULL)
         WHERE length(term) > 1
         GROUP BY ALL) t""", day="t.day", hour="date_part('hour', t.hour)", columns="t.* EXCLUDE (day)",
              rollup=True),
)

BY_NAME = {spec.name: spec for spec in TABLES}

# Tables whose days a rollup depends on: a day changed in any of them recomputes the rollups' day.
ROLLUP_INPUTS = ("items", "enrichments", "entities", "story_items", "copies")
# ... and the wide items table's day (it carries their columns).
WIDE_ITEM_INPUTS = ("enrichments", "entities", "story_items", "copies")
# The columns the wide items table adds to the store's own (the view `items` leaves them out).
WIDE_ITEM_COLUMNS = ("enriched_lang", "relevance", "relevant", "informativeness", "info_type", "source_type", "tone",
                     "story_id", "copy_of", "copy_how", "entities")
