-- Files sent without a caption wait here, already stored, until their sender
-- says which ledger item they are evidence for (handlers/evidence_pending.go).
CREATE TABLE pending_evidence (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    file_ids    bigint[] NOT NULL,
    names       text[] NOT NULL,
    created_at  timestamptz NOT NULL,
    used_at     timestamptz,
    item_id     bigint REFERENCES ledger_items (id) ON DELETE SET NULL
);
CREATE INDEX pending_evidence_person_idx ON pending_evidence (person_id, created_at DESC) WHERE used_at IS NULL;
