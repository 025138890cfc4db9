-- 社会义务监督员: people a campaign file marks `supervisor: true`. They may
-- send a clue (线索：…) and see their own clues and outcomes.
CREATE TABLE campaign_supervisors (
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    person_id   bigint NOT NULL REFERENCES people ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, person_id)
);
CREATE INDEX campaign_supervisors_person_idx ON campaign_supervisors (person_id);

-- A milestone may be a package of parts each unit fills over several
-- messages (the 10-17 总结: 总结报告, 整改台账, 现阶段成效, 典型案例,
-- 专题报告). package_parts empty: a plain milestone marked done with a note.
ALTER TABLE milestones ADD COLUMN package_parts text[] NOT NULL DEFAULT '{}',
                       ADD COLUMN min_cases int NOT NULL DEFAULT 0;

-- A unit's package of a milestone: open until every part is there and the
-- unit submits it (complete, with its milestone_submissions row); the office
-- may reopen it. open_part is the part files sent now attach to, for
-- open_part_by, until open_part_at plus half an hour.
CREATE TABLE summary_packages (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    milestone_id        bigint NOT NULL REFERENCES milestones ON DELETE CASCADE,
    unit_id             bigint NOT NULL REFERENCES units ON DELETE CASCADE,
    state               text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'complete')),
    ledger_file_id      bigint REFERENCES files,
    ledger_counts       jsonb,
    ledger_confirmed_by bigint REFERENCES people,
    ledger_confirmed_at timestamptz,
    open_part           text NOT NULL DEFAULT '',
    open_part_by        bigint REFERENCES people,
    open_part_at        timestamptz,
    completed_by        bigint REFERENCES people,
    completed_at        timestamptz,
    created_at          timestamptz NOT NULL,
    version             int NOT NULL DEFAULT 1,
    UNIQUE (milestone_id, unit_id)
);

-- The parts a unit wrote: one 总结报告 (report), one 专题报告
-- (accountability), and the 典型案例 (case, seq 1, 2, …), each text and
-- files.
CREATE TABLE summary_parts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    package_id bigint NOT NULL REFERENCES summary_packages ON DELETE CASCADE,
    part       text NOT NULL CHECK (part IN ('report', 'case', 'accountability')),
    seq        int NOT NULL DEFAULT 0,
    title      text NOT NULL DEFAULT '',
    body       text NOT NULL DEFAULT '',
    file_ids   bigint[] NOT NULL DEFAULT '{}',
    names      text[] NOT NULL DEFAULT '{}',
    updated_by bigint REFERENCES people,
    updated_at timestamptz NOT NULL,
    UNIQUE (package_id, part, seq)
);

-- 现阶段成效 and 长期举措 of the unit's items still 整改中 or 长期推进.
CREATE TABLE summary_item_notes (
    package_id bigint NOT NULL REFERENCES summary_packages ON DELETE CASCADE,
    item_id    bigint NOT NULL REFERENCES ledger_items ON DELETE CASCADE,
    effect     text NOT NULL DEFAULT '',
    measures   text NOT NULL DEFAULT '',
    updated_by bigint REFERENCES people,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (package_id, item_id)
);
