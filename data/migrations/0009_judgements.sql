-- 0009: officer judgements and what relevance learns from the stream.
-- Judgements are the officers' own data (who said an item or a story is relevant or not, when, why): never
-- deleted by re-enrichment; the newest judgement of a target is the one in force. TIMESTAMP columns hold naive UTC.
CREATE SEQUENCE judgements_id START 1;
CREATE TABLE judgements (
    id          BIGINT PRIMARY KEY DEFAULT nextval('judgements_id'),
    target      VARCHAR NOT NULL,          -- item or story
    target_id   VARCHAR NOT NULL,
    relevant    BOOLEAN NOT NULL,
    note        VARCHAR,
    judged_by   VARCHAR NOT NULL,
    judged_at   TIMESTAMP NOT NULL
);
CREATE INDEX judgements_target ON judgements (target, target_id);

-- Each enriched item's relevance from the profile and the classifiers alone, before learning (models/adaptive.py):
-- what the learner counts, and what a pass re-scores with new weights. learned_at: when the learner counted it.
CREATE TABLE relevance_base (
    item_id       VARCHAR PRIMARY KEY,
    profile_key   VARCHAR,
    base          DOUBLE NOT NULL,
    excluded      BOOLEAN NOT NULL,
    published_at  TIMESTAMP,
    learned_at    TIMESTAMP
);

-- The learner's counts per incident profile (models.adaptive.LearnerState as JSON), saved after every pass.
CREATE TABLE relevance_learner (
    profile_key  VARCHAR PRIMARY KEY,
    state        JSON NOT NULL,
    n_docs       INTEGER NOT NULL,
    n_seeds      INTEGER NOT NULL,
    saved_at     TIMESTAMP NOT NULL
);
