-- 督办单 (supervision notices): the office issues one to a unit about an
-- item, the unit as a whole, or a monthly report it owes; the unit signs
-- (签收), answers, and the office closes it. Numbered DB-2026-007 from a
-- gapless counter per campaign and year.
CREATE TABLE supervision_notices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    number       text NOT NULL,
    unit_id      bigint NOT NULL REFERENCES units,
    -- what it is about: an item, a report period, or neither (the unit).
    item_id      bigint REFERENCES ledger_items ON DELETE SET NULL,
    period       text NOT NULL DEFAULT '',
    -- 蓝色 (a deadline nears), 黄色 (behind), 红色 (overdue).
    colour       text NOT NULL CHECK (colour IN ('blue', 'yellow', 'red')),
    text         text NOT NULL,
    reply_due    date NOT NULL,
    state        text NOT NULL DEFAULT 'issued' CHECK (state IN ('issued', 'signed', 'answered', 'closed')),
    issued_by    bigint REFERENCES people,
    issued_at    timestamptz NOT NULL,
    signed_by    bigint REFERENCES people,
    signed_at    timestamptz,
    answer       text NOT NULL DEFAULT '',
    answer_file_id bigint REFERENCES files,
    answered_by  bigint REFERENCES people,
    answered_at  timestamptz,
    closed_by    bigint REFERENCES people,
    closed_at    timestamptz,
    close_note   text NOT NULL DEFAULT '',
    -- bumped by every change; cards carry it.
    version      int NOT NULL DEFAULT 1,
    UNIQUE (campaign_id, number)
);
-- the planner's escalations and the digests read the open ones.
CREATE INDEX supervision_notices_open_idx ON supervision_notices (campaign_id, issued_at) WHERE state <> 'closed';
CREATE INDEX supervision_notices_unit_idx ON supervision_notices (unit_id, issued_at);
