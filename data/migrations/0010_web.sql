-- 0010: the situation room (web/). Accounts with roles, and the audit log of every action taken on the page:
-- triage of stories (watched / responded / handled, with a note), pausing and resuming sources, documents
-- rendered on demand. Rows of audit_log are only inserted, never updated or deleted: a story's triage state
-- is its newest 'triage' row, so the history and the state cannot disagree. TIMESTAMP columns hold naive UTC.
-- (0009 is the officer judgements' migration.)

CREATE TABLE users (
    name             VARCHAR PRIMARY KEY,   -- lower case, [a-z0-9._@-]
    role             VARCHAR NOT NULL,      -- reader, editor, admin
    organisation     VARCHAR,               -- shown with triage: "bemött 10.42 av Länsstyrelsen"
    password_hash    VARCHAR NOT NULL,      -- argon2id, PHC string (never the password)
    created_at       TIMESTAMP NOT NULL,
    password_set_at  TIMESTAMP NOT NULL,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE SEQUENCE audit_log_seq START 1;
CREATE TABLE audit_log (
    id            BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    acted_at      TIMESTAMP NOT NULL,
    user_name     VARCHAR NOT NULL,
    organisation  VARCHAR,
    action        VARCHAR NOT NULL,         -- triage, source_pause, source_resume, render_document
    target_kind   VARCHAR NOT NULL,         -- story, source, document
    target_id     VARCHAR NOT NULL,
    state_before  JSON,                     -- the state before the action ({"state": ..., "note": ...})
    state_after   JSON,                     -- the state after it
    note          VARCHAR
);
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id);
