-- 0011: sessions of the situation room (web/), kept in the database so a restart of `mediebild web` or
-- `mediebild serve` does not log everybody out. Only the SHA-256 of the cookie's token is stored (a copy of the
-- database cannot be used to take over a session); the CSRF token of the session sits beside it. A session
-- ends at expires_at (session_hours after login), at logout, and when its account is disabled or its password
-- reset. TIMESTAMP columns hold naive UTC.

CREATE TABLE web_sessions (
    token_hash   VARCHAR PRIMARY KEY,     -- sha256 hex of the cookie's token (never the token)
    user_name    VARCHAR NOT NULL,
    csrf         VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_name);
