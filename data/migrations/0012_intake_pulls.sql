-- 0012: the shared intake (issue 15, data/intake.py). Workers write fetch results into a Postgres intake; the
-- one writer pulls them into this file. Each pull records, in the same transaction as the rows it wrote, up to
-- which transaction horizon of which intake it has read, so a pull killed half-way is redone whole and a pull
-- that committed is never redone: nothing is lost and nothing is written twice.
CREATE TABLE intake_pulls (
    intake_id   VARCHAR NOT NULL,   -- the intake's own id (intake_meta.id in Postgres), not its URL
    horizon     BIGINT NOT NULL,    -- every intake row written by a transaction id below this has been pulled
    pulled_at   TIMESTAMP NOT NULL,
    items       INTEGER NOT NULL,
    fetches     INTEGER NOT NULL,
    PRIMARY KEY (intake_id, horizon)
);
