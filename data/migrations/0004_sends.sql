-- 0004: sends. One row per delivery of a digest or brief to one recipient over one channel.
-- Rows are only inserted, never updated: a failed send stays as history, a later retry adds a row.
-- `delivered_key` is set only on delivered rows (kind|period_start|lang|channel|recipient) and is
-- UNIQUE, so the same period can never be recorded as delivered twice to the same recipient.
-- Every TIMESTAMP column holds UTC (naive).

CREATE SEQUENCE sends_seq START 1;
CREATE TABLE sends (
    id            BIGINT PRIMARY KEY DEFAULT nextval('sends_seq'),
    digest_id     VARCHAR NOT NULL,         -- the main document sent (html for e-mail, json for webhook)
    kind          VARCHAR NOT NULL,         -- digest, brief
    period_start  TIMESTAMP NOT NULL,
    period_end    TIMESTAMP NOT NULL,
    lang          VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,         -- folder, email, webhook
    recipient     VARCHAR NOT NULL,         -- folder path, e-mail address, webhook URL (no token)
    status        VARCHAR NOT NULL,         -- delivered, failed, skipped
    attempts      INTEGER NOT NULL DEFAULT 1,
    error         VARCHAR,                  -- the last error, one line, no secrets
    sent_at       TIMESTAMP NOT NULL,       -- when the last attempt ended
    delivered_key VARCHAR UNIQUE
);
