-- 0008: social posts are personal data. The key behind the pseudonyms that documents show (one per database,
-- so pseudonyms are stable within it and cannot be computed without it); when an item's social content was
-- purged past the retention limit; which authors were forgotten on request (a keyed hash of the handle, so a
-- later pass does not bring their posts back, and the handle itself is not kept); redacted documents.
CREATE TABLE privacy_key (
    id          INTEGER PRIMARY KEY,
    key         BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE TABLE forgotten_authors (
    author_hash   VARCHAR PRIMARY KEY,
    platform      VARCHAR,
    forgotten_at  TIMESTAMP NOT NULL,
    items_removed INTEGER NOT NULL
);
ALTER TABLE items ADD COLUMN purged_at TIMESTAMP;
ALTER TABLE digests ADD COLUMN redacted_at TIMESTAMP;
ALTER TABLE digests ADD COLUMN redacted_reason VARCHAR;
