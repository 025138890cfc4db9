-- The web 看板: single-use login links and the sessions they open. Only
-- the sha256 of a link's token or a session's cookie is kept, so a copy of
-- the database (or a backup) opens nothing.
CREATE TABLE dash_tokens (
    hash        bytea PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    person_id   bigint NOT NULL REFERENCES people ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX dash_tokens_expires_idx ON dash_tokens (expires_at);

CREATE TABLE dash_sessions (
    hash        bytea PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    person_id   bigint NOT NULL REFERENCES people ON DELETE CASCADE,
    -- csrf is the token a state-changing form (logout) must carry.
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX dash_sessions_expires_idx ON dash_sessions (expires_at);
