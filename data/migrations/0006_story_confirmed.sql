-- 0006: when an editorial or official source confirmed a story ("UD bekräftar"), and in whose words, so the
-- documents can show "bekräftat sedan 13.05" next to a story whose earlier hedges it answered.
ALTER TABLE stories ADD COLUMN confirmed_at TIMESTAMP;
ALTER TABLE stories ADD COLUMN confirmed_reason VARCHAR;
ALTER TABLE stories ADD COLUMN confirmed_reason_en VARCHAR;
