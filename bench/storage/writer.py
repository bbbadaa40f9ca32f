"""The writer loop: one pass = one transaction upserting a batch of items (80 % new, 20 % updated), their
enrichments and entities (replace), story_items/stories (upsert) and a passes row (n, items_total).

  .venv2/bin/python scripts/writer.py --backend plain --path runs/w/plain.duckdb --passes 20 --batch 2000
  .venv/bin/python  scripts/writer.py --backend lake  --path runs/w --passes 20 --batch 2000
Option B adds --publish parquet-full|parquet-incr|filecopy --snapdir DIR (a snapshot after every pass).
Prints one JSON line per pass (and appends to --log).
"""
import argparse, json, os, random, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import duckdb, pyarrow as pa
import pyarrow.compute as pc
from common import attach_lake, make_items, make_entities, make_enrichments
import publish

ap = argparse.ArgumentParser()
ap.add_argument("--backend", choices=["plain", "lake"], required=True)
ap.add_argument("--path", required=True)
ap.add_argument("--passes", type=int, default=10)
ap.add_argument("--batch", type=int, default=2000)
ap.add_argument("--update-frac", type=float, default=0.2)
ap.add_argument("--sleep", type=float, default=0.0)
ap.add_argument("--publish", default="none")
ap.add_argument("--snapdir")
ap.add_argument("--keep", type=int, default=3)
ap.add_argument("--log")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--retry", type=int, default=0, help="lake: retries of a pass whose commit conflicts")
ap.add_argument("--inline", type=int, default=-1, help="lake: DATA_INLINING_ROW_LIMIT (-1: extension default)")
ap.add_argument("--id-offset", type=int, default=0, help="second writer: new ids from this offset")
args = ap.parse_args()

if args.backend == "plain":
    con = duckdb.connect(args.path)
else:
    con = duckdb.connect()
    extra = f"DATA_INLINING_ROW_LIMIT {args.inline}" if args.inline >= 0 else ""
    attach_lake(con, os.path.join(args.path, "meta.sqlite"), os.path.join(args.path, "lake") + "/", extra=extra)
    con.execute("USE lake")
rng = random.Random(args.seed + os.getpid())
logf = open(args.log, "a") if args.log else None


def one_pass(pass_no: int, next_id: int):
    n_upd = int(args.batch * args.update_frac)
    n_new = args.batch - n_upd
    new = make_items(next_id, n_new, seed=pass_no)
    # updates: recent existing items with new content
    lo = max(0, next_id - 50_000)
    upd_ids = sorted(rng.sample(range(lo, next_id), min(n_upd, next_id - lo))) if next_id else []
    upd = make_items(0, len(upd_ids), seed=pass_no + 7)
    upd = upd.set_column(0, "id", pa.array([f"it{i:09d}" for i in upd_ids]))
    upd = upd.set_column(upd.schema.get_field_index("content_hash"), "content_hash",
                         pa.array([f"u{pass_no}-{i}" for i in upd_ids]))
    batch = pa.concat_tables([new, upd])
    # new items are published "now": the last day of the window
    batch = batch.set_column(batch.schema.get_field_index("published_at"), "published_at",
                             pa.array([publish.NOW] * batch.num_rows, pa.timestamp("us")))
    ents = make_entities(batch, seed=pass_no)
    enr = make_enrichments(batch, seed=pass_no)
    si_ids = batch.column("id").to_pylist()[::3]
    sti = pa.table({"item_id": si_ids, "story_id": [f"S{next_id // 60 + k // 20}" for k in range(len(si_ids))],
                    "similarity": [0.8] * len(si_ids),
                    "assigned_at": pa.array([publish.NOW] * len(si_ids), pa.timestamp("us"))})
    t0 = time.perf_counter()
    con.execute("BEGIN")
    for name, tbl in [("inc_items", batch), ("inc_ent", ents), ("inc_enr", enr), ("inc_si", sti)]:
        con.register(name, tbl)
    try:
        con.execute("""INSERT INTO items SELECT n.id, n.source_id, n.kind, n.url, n.title, n.text, n.author, n.published_at,
                        n.fetched_at, n.fetched_at, NULL, 1, n.lang, n.content_hash, n.date_flag, n.raw::JSON
                       FROM inc_items n ANTI JOIN items e ON e.id = n.id""")
        con.execute("""UPDATE items SET fetched_at = n.fetched_at, updated_at = n.fetched_at, version = items.version + 1,
                        title = n.title, text = n.text, content_hash = n.content_hash
                       FROM inc_items n WHERE items.id = n.id AND items.content_hash <> n.content_hash""")
        con.execute("DELETE FROM entities WHERE item_id IN (SELECT id FROM inc_items)")
        con.execute("INSERT INTO entities SELECT * FROM inc_ent")
        con.execute("DELETE FROM enrichments WHERE item_id IN (SELECT item_id FROM inc_enr)")
        con.execute("INSERT INTO enrichments SELECT * FROM inc_enr")
        if args.backend == "plain":
            con.execute("""INSERT INTO story_items SELECT * FROM inc_si ON CONFLICT (item_id) DO UPDATE
                           SET story_id = EXCLUDED.story_id, assigned_at = EXCLUDED.assigned_at""")
        else:
            con.execute("""MERGE INTO story_items t USING inc_si s ON t.item_id = s.item_id
                           WHEN MATCHED THEN UPDATE SET story_id = s.story_id, assigned_at = s.assigned_at
                           WHEN NOT MATCHED THEN INSERT VALUES (s.item_id, s.story_id, s.similarity, s.assigned_at)""")
        touched = "(SELECT DISTINCT story_id FROM inc_si)"
        con.execute(f"DELETE FROM stories WHERE id IN {touched}")
        con.execute(f"""INSERT INTO stories SELECT story_id, 'headline ' || story_id, count(*), min(assigned_at), max(assigned_at),
                         ['social_only'], min(assigned_at), max(assigned_at)
                        FROM story_items WHERE story_id IN {touched} GROUP BY story_id""")
        total = con.execute("SELECT count(*) FROM items").fetchone()[0]
        con.execute("INSERT INTO passes VALUES (?, ?, now()::TIMESTAMP)", [pass_no, total])
        t1 = time.perf_counter()
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:
            pass
        raise
    finally:
        for name in ["inc_items", "inc_ent", "inc_enr", "inc_si"]:
            con.unregister(name)
    t2 = time.perf_counter()
    return {"rows": batch.num_rows, "new": n_new, "items_total": total, "write_s": round(t1 - t0, 4),
            "commit_s": round(t2 - t1, 4), "pass_s": round(t2 - t0, 4)}


row = con.execute("SELECT max(n), max(items_total) FROM passes").fetchone()
pass_no, next_id = (row[0] or 0), (row[1] or 0)
next_id = max(next_id, args.id_offset)
for k in range(args.passes):
    pass_no += 1
    conflicts = 0
    while True:
        try:
            rec = one_pass(pass_no, next_id)
            break
        except duckdb.Error as exc:
            msg = " | ".join(str(exc).splitlines()[:3])
            if conflicts < args.retry and ("locked" in msg.lower() or "conflict" in msg.lower()):
                conflicts += 1
                last_conflict = msg[:300]
                time.sleep(0.05 * conflicts + rng.random() * 0.1)
                continue
            print(json.dumps({"pass": pass_no, "error": msg[:300], "conflicts": conflicts}), flush=True)
            if logf:
                logf.write(json.dumps({"pass": pass_no, "error": msg[:300], "conflicts": conflicts}) + "\n")
            raise
    rec.update({"pass": pass_no, "t": time.time(), "conflicts": conflicts, "backend": args.backend})
    if conflicts:
        rec["last_conflict"] = last_conflict
    next_id = rec["items_total"] if args.id_offset == 0 else next_id + rec["new"]
    if args.publish != "none":
        rec.update(publish.publish(con, args.publish, args.snapdir, pass_no, keep=args.keep, db_path=args.path))
    print(json.dumps(rec), flush=True)
    if logf:
        logf.write(json.dumps(rec) + "\n"); logf.flush()
    if args.sleep:
        time.sleep(args.sleep)
