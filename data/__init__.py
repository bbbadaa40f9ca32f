"""The data layer: the DuckDB store, its numbered migrations, and every read and write of the project's tables.

store.py opens the database (migrating it, or refusing one at another schema with a clear StoreError) and
writes sources, items and fetches; enrichments.py, stories.py and profiles.py read and write what the
enrichment and stories steps and the incident profile keep; digest_queries.py and queries.py are the reads
of the documents, the CLI and analysts; item_filter.py turns a digest's selection into SQL; users.py,
triage.py (triage and the audit log), page.py (the stream and the overview's cards) and access.py (snapshots
the page reads while monitoring writes) serve the situation room (web/); migrations/ holds the schema as
numbered SQL files.

May import: the core (mediebild.errors, items, profile, settings, sources, timeutil, labels), duckdb and
pyarrow, and other modules of data/.

Must never: import flows, cli, monitors, models, reports or the demo; know how a document looks (it returns
plain dicts with aware UTC datetimes); leave SQL to anyone else: all SQL of the project lives here.
"""
