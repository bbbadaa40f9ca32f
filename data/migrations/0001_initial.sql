-- 0001: sources, items, fetches, problems, digests.
-- Every TIMESTAMP column holds UTC (naive); the application converts at the edges.

CREATE TABLE sources (
    id            VARCHAR PRIMARY KEY,      -- slug, e.g. "svt-nyheter"
    monitor       VARCHAR NOT NULL,         -- rss, x, mastodon, bluesky, reddit, polisen, krisinformation
    url           VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    item_kind     VARCHAR NOT NULL DEFAULT 'editorial',  -- editorial, social, official
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    options       JSON,
    added_at      TIMESTAMP NOT NULL,
    cursor        JSON                      -- etag, last_modified, body_md5, since ids: what the monitor asked to keep
);

CREATE TABLE items (
    id             VARCHAR PRIMARY KEY,     -- platform id, else hash of the canonical URL
    source_id      VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,        -- editorial, social, official
    url            VARCHAR,
    title          VARCHAR NOT NULL,
    text           VARCHAR NOT NULL,
    author         VARCHAR,
    published_at   TIMESTAMP NOT NULL,      -- trusted date: the fetch time when the feed's was missing/future
    fetched_at     TIMESTAMP NOT NULL,      -- the fetch that stored the current version
    first_seen_at  TIMESTAMP NOT NULL,      -- first fetch that saw it; never changes
    updated_at     TIMESTAMP,               -- last time title or text changed
    version        INTEGER NOT NULL DEFAULT 1,  -- bumped when the source updates the article
    lang           VARCHAR,
    content_hash   VARCHAR NOT NULL,
    date_flag      VARCHAR,                 -- NULL, missing, unparseable, future
    raw            JSON
);
-- No secondary indexes: DuckDB's zone maps serve range scans, and ART indexes on updated columns
-- make upserts slower and fragile.

CREATE SEQUENCE fetches_seq START 1;
CREATE TABLE fetches (
    id            BIGINT PRIMARY KEY DEFAULT nextval('fetches_seq'),
    run_id        VARCHAR,
    source_id     VARCHAR NOT NULL,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    http_status   INTEGER,
    bytes         BIGINT NOT NULL DEFAULT 0,
    not_modified  BOOLEAN NOT NULL DEFAULT FALSE,
    items_parsed  INTEGER NOT NULL DEFAULT 0,
    items_new     INTEGER NOT NULL DEFAULT 0,
    items_updated INTEGER NOT NULL DEFAULT 0,
    items_seen    INTEGER NOT NULL DEFAULT 0,
    ok            BOOLEAN NOT NULL,         -- false when the fetch failed (no items could be read)
    problem       VARCHAR,                  -- the first error, one line, for people
    attempts      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE problems (
    fetch_id      BIGINT,
    source_id     VARCHAR NOT NULL,
    recorded_at   TIMESTAMP NOT NULL,
    severity      VARCHAR NOT NULL,         -- error, warning
    code          VARCHAR NOT NULL,
    message       VARCHAR NOT NULL
);

CREATE TABLE digests (
    id            VARCHAR PRIMARY KEY,      -- kind-period-lang-format-vN
    kind          VARCHAR NOT NULL,         -- digest, brief
    period_start  TIMESTAMP NOT NULL,
    period_end    TIMESTAMP NOT NULL,
    lang          VARCHAR NOT NULL,         -- sv, en
    format        VARCHAR NOT NULL,         -- html, md, pdf, json
    version       INTEGER NOT NULL DEFAULT 1,  -- re-rendering a period makes a new version
    body          BLOB NOT NULL,
    item_ids      VARCHAR[],
    story_ids     VARCHAR[],
    checksum      VARCHAR NOT NULL,         -- sha256 of body
    created_at    TIMESTAMP NOT NULL
);
