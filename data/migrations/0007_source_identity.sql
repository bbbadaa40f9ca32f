-- 0007: a source is identified by what it fetches, not by its host.
-- fetch_key = monitor | normalised URL | normalised query (mediebild.sources.fetch_key); the store fills it
-- for existing rows when it opens the database (the normalisation is Python), and `sources add` refuses to
-- let a second source take an existing key or id. Fetches remember the URL they fetched, so a source whose
-- URL is changed later keeps an honest history.
ALTER TABLE sources ADD COLUMN fetch_key VARCHAR;
ALTER TABLE fetches ADD COLUMN url VARCHAR;
