-- 040_enterprise: what the enterprise relay (联百企驻百站) keeps beyond 001.

-- A leader's reply that could not go out yet: the enterprise writes from
-- WeCom 微信客服, whose window (5 replies within 48 h of the user's last
-- message) is used up or closed. It is sent when the enterprise writes
-- again, oldest first.
ALTER TABLE request_messages ADD COLUMN held boolean NOT NULL DEFAULT false;
CREATE INDEX request_messages_held_idx ON request_messages (request_id, id) WHERE held;
-- The newest of the message's deliveries that failed and that the leader
-- was told about: the planner tells him once per failed delivery.
ALTER TABLE request_messages ADD COLUMN failed_delivery_id bigint;

-- Every rating an enterprise gave (a request can be closed, rated
-- 不满意, reopened and rated again); enterprise_requests.rating is the
-- latest, this is the history the statistics count.
CREATE TABLE request_ratings (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id bigint NOT NULL REFERENCES enterprise_requests ON DELETE CASCADE,
    owner_id   bigint NOT NULL REFERENCES people,
    contact_id bigint NOT NULL REFERENCES contacts,
    rating     text NOT NULL CHECK (rating IN ('satisfied', 'basically', 'unsatisfied')),
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_ratings_request_idx ON request_ratings (request_id, id);
CREATE INDEX request_ratings_owner_idx ON request_ratings (owner_id, created_at);

-- The planner looks for relay replies the outbox gave up on, to tell the
-- leader; failed deliveries are few, so a partial index keeps that cheap.
CREATE INDEX deliveries_failed_idx ON deliveries (created_at) WHERE state = 'failed';
