-- 线索 (clues): what reaches the office from the 12328 hotline, 信访, the
-- portal, the media, 社会义务监督员 and enterprises. The office registers
-- one, assigns it (分办) to a unit with a deadline or closes it (重复 /
-- 不属于本次整治); the unit signs it (签收) and turns it into a ledger item
-- or answers 不属实 / 已处理, which the office accepts or sends back.
-- Numbered XS-2026-007 from a gapless counter per campaign and year.
CREATE TABLE clues (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id    bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    number         text NOT NULL,
    source         text NOT NULL,
    content        text NOT NULL,
    -- 涉及单位 as registered (a hint for 分办); unit_id once assigned.
    unit_hint_id   bigint REFERENCES units,
    unit_id        bigint REFERENCES units,
    contact_name   text NOT NULL DEFAULT '',
    contact_phone  text NOT NULL DEFAULT '',
    file_id        bigint REFERENCES files,
    -- who sent it: a 监督员 (a person) or an enterprise's request.
    reporter_id    bigint REFERENCES people,
    request_id     bigint REFERENCES enterprise_requests,
    state          text NOT NULL DEFAULT 'new'
                   CHECK (state IN ('new', 'assigned', 'signed', 'answered', 'converted', 'closed')),
    due_on         date,
    assigned_by    bigint REFERENCES people,
    assigned_at    timestamptz,
    signed_by      bigint REFERENCES people,
    signed_at      timestamptz,
    answer_kind    text NOT NULL DEFAULT '',
    answer         text NOT NULL DEFAULT '',
    answer_file_id bigint REFERENCES files,
    answered_by    bigint REFERENCES people,
    answered_at    timestamptz,
    return_note    text NOT NULL DEFAULT '',
    item_id        bigint REFERENCES ledger_items ON DELETE SET NULL,
    -- how it ended: 重复, 不属于本次整治, 不属实, 已处理, 转为台账问题.
    outcome        text NOT NULL DEFAULT '',
    close_reason   text NOT NULL DEFAULT '',
    closed_by      bigint REFERENCES people,
    closed_at      timestamptz,
    created_by     bigint REFERENCES people,
    created_at     timestamptz NOT NULL,
    version        int NOT NULL DEFAULT 1,
    UNIQUE (campaign_id, number)
);
-- the office's pool and the units' lists.
CREATE INDEX clues_campaign_idx ON clues (campaign_id, state, due_on);
CREATE INDEX clues_unit_idx ON clues (unit_id, state);
CREATE INDEX clues_reporter_idx ON clues (reporter_id) WHERE reporter_id IS NOT NULL;
