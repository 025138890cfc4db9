-- 情况通报: the office composes one from a period's data, previews it,
-- edits its wording, and sends it on confirmation; a draft is never sent
-- without that step. sent_units are the units whose chats it went to.
CREATE TABLE bulletins (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    period      text NOT NULL,
    text        text NOT NULL,
    state       text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'sent')),
    created_by  bigint REFERENCES people,
    created_at  timestamptz NOT NULL,
    sent_by     bigint REFERENCES people,
    sent_at     timestamptz,
    sent_units  bigint[] NOT NULL DEFAULT '{}',
    version     int NOT NULL DEFAULT 1
);
CREATE INDEX bulletins_campaign_idx ON bulletins (campaign_id, created_at);
