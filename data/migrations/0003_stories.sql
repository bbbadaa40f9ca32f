-- 0003: stories (online clusters of items), copies (near-duplicates, wire copies, retweets), alerts,
-- and the clustering state that must survive between passes. TIMESTAMP columns hold naive UTC.

CREATE TABLE stories (
    id                      VARCHAR PRIMARY KEY,   -- "S" + number, stable for the story's life
    headline                VARCHAR,               -- from an editorial item where one exists
    url                     VARCHAR,
    representative_item_id  VARCHAR,
    first_seen              TIMESTAMP,
    last_seen               TIMESTAMP,
    n_items                 INTEGER NOT NULL DEFAULT 0,   -- as of the last pass (readers recount as of `until`)
    rumour                  BOOLEAN NOT NULL DEFAULT FALSE,
    rumour_reasons          VARCHAR[],             -- Swedish, short
    rumour_codes            VARCHAR[],             -- social_only, hedging, contradiction, denial
    merged_into             VARCHAR,               -- set when the story was merged into another
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);

-- Which story an item belongs to. Copies inherit their representative's story and are listed too.
CREATE TABLE story_items (
    item_id      VARCHAR PRIMARY KEY,
    story_id     VARCHAR NOT NULL,
    similarity   DOUBLE,
    assigned_at  TIMESTAMP NOT NULL
);
CREATE INDEX story_items_story ON story_items (story_id);

-- An item that repeats another (the representative): exact, near, retweet or update. Nothing is deleted.
CREATE TABLE copies (
    item_id      VARCHAR PRIMARY KEY,
    copy_of      VARCHAR NOT NULL,
    how          VARCHAR NOT NULL,
    similarity   DOUBLE,
    found_at     TIMESTAMP NOT NULL
);
CREATE INDEX copies_of ON copies (copy_of);

-- Every item that the stories step has looked at (so a pass only takes the new ones).
CREATE TABLE story_seen (
    item_id      VARCHAR PRIMARY KEY,
    seen_at      TIMESTAMP NOT NULL,
    clustered    BOOLEAN NOT NULL,         -- false: a copy, or not relevant to the incident
    terms        VARCHAR                   -- space-joined terms of a clustered original (for term spikes)
);

CREATE TABLE alerts (
    id               VARCHAR PRIMARY KEY,  -- story:S12 or term:zaventem:2016-03-22T08
    kind             VARCHAR NOT NULL,     -- story, term
    story_id         VARCHAR,
    term             VARCHAR,
    raised_at        TIMESTAMP NOT NULL,   -- the end of the hour that spiked (the pass's `now`)
    hour             TIMESTAMP NOT NULL,   -- start of that hour
    count_last_hour  INTEGER NOT NULL,
    baseline         DOUBLE NOT NULL,      -- mean per hour over the 12 hours before
    score            DOUBLE NOT NULL,
    headline         VARCHAR
);
CREATE INDEX alerts_raised ON alerts (raised_at);

-- Pickled model state (dedup index, cluster centroids), saved in the same transaction as the pass.
CREATE TABLE story_state (
    name       VARCHAR PRIMARY KEY,
    state      BLOB NOT NULL,
    saved_at   TIMESTAMP NOT NULL
);
