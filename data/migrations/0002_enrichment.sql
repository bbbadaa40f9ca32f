-- 0002: what enrichment adds to an item (language, lemmas, relevance, categories, tone), its entities,
-- and the active incident profile. TIMESTAMP columns hold naive UTC. One row per item in enrichments;
-- re-enriching an item replaces its enrichments row and all its entities rows in one transaction.

CREATE TABLE enrichments (
    item_id            VARCHAR PRIMARY KEY,
    enriched_at        TIMESTAMP NOT NULL,
    model_version      VARCHAR NOT NULL,    -- the models that produced the row; a new version re-enriches
    lang               VARCHAR,             -- ISO 639-1, NULL when too little text to tell
    lang_confidence    DOUBLE,
    lemmas             VARCHAR,             -- space-joined content lemmas, lower case
    relevance          DOUBLE,
    relevant           BOOLEAN,
    informativeness    VARCHAR,
    profile_terms      VARCHAR[],
    info_type          VARCHAR,
    info_type_probs    JSON,
    source_type        VARCHAR,
    source_type_probs  JSON,
    tone               VARCHAR,
    tone_probs         JSON,
    item_version       INTEGER,             -- items.version that was enriched; a newer version re-enriches
    profile_key        VARCHAR,             -- which profile relevance was scored with; a new one re-enriches
    ner_done           BOOLEAN NOT NULL DEFAULT FALSE  -- entities were extracted (only relevant items get NER)
);
CREATE INDEX enrichments_relevant ON enrichments (relevant);

CREATE TABLE entities (
    item_id     VARCHAR NOT NULL,
    label       VARCHAR NOT NULL,           -- PER, ORG, LOC, MISC
    text        VARCHAR NOT NULL,           -- as written in the item
    norm_id     VARCHAR,                    -- gazetteer id ("org:sapo") or "<label>:<slug>"
    start_char  INTEGER,                    -- offsets in title + "\n" + text
    end_char    INTEGER
);
CREATE INDEX entities_item ON entities (item_id);
CREATE INDEX entities_norm ON entities (norm_id);

CREATE TABLE profiles (
    id      INTEGER PRIMARY KEY,
    name    VARCHAR,
    body    VARCHAR,                        -- the profile's TOML, as set
    set_at  TIMESTAMP
);
