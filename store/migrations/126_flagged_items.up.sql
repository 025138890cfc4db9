-- 挂牌督办: items the office flags. A flagged item owes a weekly progress
-- update, and its 销号, once the unit's leader approves it, waits for the
-- office's 复核 (review_request_id names the approved 销号 request).
-- Unflagging deletes the row; the audit log keeps the history.
CREATE TABLE flagged_items (
    item_id           bigint PRIMARY KEY REFERENCES ledger_items ON DELETE CASCADE,
    campaign_id       bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    note              text NOT NULL DEFAULT '',
    flagged_by        bigint REFERENCES people,
    flagged_at        timestamptz NOT NULL,
    review_request_id bigint REFERENCES item_requests ON DELETE SET NULL,
    review_since      timestamptz
);
CREATE INDEX flagged_items_campaign_idx ON flagged_items (campaign_id);
