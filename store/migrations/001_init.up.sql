-- 001_init: the whole vocabulary of DESIGN.md section 3.
--
-- Conventions: bigint identity keys; every table a campaign owns carries
-- campaign_id so that two campaigns can live in one database; "key" columns
-- are the stable names of the campaign file and are what `campaign apply`
-- upserts by. Derived states (overdue, due soon) are never stored.

CREATE TABLE campaigns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             text NOT NULL UNIQUE,
    name            text NOT NULL,
    timezone        text NOT NULL DEFAULT 'Asia/Shanghai',
    office_unit_key text NOT NULL,
    -- monthly_report, digest and request_answer_hours of the campaign file,
    -- kept as written so the scheduler reads one row.
    settings        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE phases (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    position    int NOT NULL,
    name        text NOT NULL,
    starts_on   date NOT NULL,
    ends_on     date,
    UNIQUE (campaign_id, name),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);

-- People are global: one person (a leader, a liaison) may serve in several
-- campaigns, and a platform account maps to one person.
CREATE TABLE people (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        text NOT NULL UNIQUE,
    name       text NOT NULL,
    title      text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE units (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    key         text NOT NULL,
    name        text NOT NULL,
    -- short code used in item numbers (LB-2023-007); derived from the key
    -- when the campaign file gives none.
    code        text NOT NULL,
    position    int NOT NULL DEFAULT 0,
    leader_id   bigint REFERENCES people,
    liaison_id  bigint REFERENCES people,
    is_office   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, key),
    UNIQUE (campaign_id, code)
);
CREATE INDEX units_leader_idx ON units (leader_id);
CREATE INDEX units_liaison_idx ON units (liaison_id);

-- Unit groups (counties, 局直单位, 科室) address milestones to several units.
CREATE TABLE unit_groups (
    unit_id    bigint NOT NULL REFERENCES units ON DELETE CASCADE,
    group_key  text NOT NULL,
    PRIMARY KEY (unit_id, group_key)
);
CREATE INDEX unit_groups_key_idx ON unit_groups (group_key, unit_id);

-- Extra members of a unit beyond its leader and liaison (office staff).
CREATE TABLE unit_members (
    unit_id   bigint NOT NULL REFERENCES units ON DELETE CASCADE,
    person_id bigint NOT NULL REFERENCES people ON DELETE CASCADE,
    PRIMARY KEY (unit_id, person_id)
);
CREATE INDEX unit_members_person_idx ON unit_members (person_id);

CREATE TABLE milestones (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id        bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    key                text NOT NULL,
    title              text NOT NULL,
    due_on             date NOT NULL,
    -- unit group keys; empty means every unit but the office.
    unit_groups        text[] NOT NULL DEFAULT '{}',
    remind_days_before int[] NOT NULL DEFAULT '{}',
    UNIQUE (campaign_id, key)
);

CREATE TABLE milestone_submissions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    milestone_id bigint NOT NULL REFERENCES milestones ON DELETE CASCADE,
    unit_id      bigint NOT NULL REFERENCES units ON DELETE CASCADE,
    note         text NOT NULL DEFAULT '',
    person_id    bigint REFERENCES people,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (milestone_id, unit_id)
);

CREATE TABLE enterprises (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    key         text NOT NULL,
    name        text NOT NULL,
    -- the current contact leader (联百企驻百站); history in pairings.
    leader_id   bigint REFERENCES people,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, key)
);
CREATE INDEX enterprises_leader_idx ON enterprises (leader_id);

-- Pairings keep the history of which leader served an enterprise when.
CREATE TABLE pairings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id bigint NOT NULL REFERENCES enterprises ON DELETE CASCADE,
    leader_id     bigint NOT NULL REFERENCES people,
    started_at    timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz
);
CREATE UNIQUE INDEX pairings_current_idx ON pairings (enterprise_id) WHERE ended_at IS NULL;

CREATE TABLE contacts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise_id bigint NOT NULL REFERENCES enterprises ON DELETE CASCADE,
    name          text NOT NULL,
    phone         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enterprise_id, name)
);

-- A platform account belongs to a person or to an enterprise contact.
CREATE TABLE accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform    text NOT NULL,
    external_id text NOT NULL,
    person_id   bigint REFERENCES people ON DELETE CASCADE,
    contact_id  bigint REFERENCES contacts ON DELETE CASCADE,
    -- how it came: the campaign file or a binding code.
    source      text NOT NULL DEFAULT 'campaign',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, external_id),
    CHECK ((person_id IS NULL) <> (contact_id IS NULL))
);
CREATE INDEX accounts_person_idx ON accounts (person_id);
CREATE INDEX accounts_contact_idx ON accounts (contact_id);

-- Single-use codes a person or contact sends as "绑定 <code>" to bind the
-- account they write from.
CREATE TABLE bind_codes (
    code        text PRIMARY KEY,
    person_id   bigint REFERENCES people ON DELETE CASCADE,
    contact_id  bigint REFERENCES contacts ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    account_id  bigint REFERENCES accounts,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((person_id IS NULL) <> (contact_id IS NULL))
);

CREATE TABLE chats (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform    text NOT NULL,
    external_id text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('group', 'direct')),
    unit_id     bigint REFERENCES units ON DELETE SET NULL,
    title       text NOT NULL DEFAULT '',
    -- false once the bot was removed from the chat.
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, external_id)
);
CREATE INDEX chats_unit_idx ON chats (unit_id);

-- Evidence and files, kept because platform media links expire.
CREATE TABLE files (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256     bytea NOT NULL UNIQUE,
    name       text NOT NULL,
    mime       text NOT NULL,
    size       int NOT NULL CHECK (size <= 20 * 1024 * 1024),
    content    bytea NOT NULL,
    platform   text NOT NULL DEFAULT '',
    sender     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Counters hand out gapless per-scope numbers (item and request numbers).
CREATE TABLE counters (
    scope text PRIMARY KEY,
    value int NOT NULL
);

CREATE TABLE ledger_items (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id        bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    unit_id            bigint NOT NULL REFERENCES units,
    number             text NOT NULL,
    source             text NOT NULL,
    category           text NOT NULL,
    description        text NOT NULL,
    measures           text NOT NULL DEFAULT '',
    responsible_leader text NOT NULL DEFAULT '',
    responsible_unit   text NOT NULL DEFAULT '',
    responsible_person text NOT NULL DEFAULT '',
    due_on             date NOT NULL,
    -- 整改中 (in_progress), 长期推进 (long_term), 申请销号 (close_requested),
    -- 已销号 (closed).
    status             text NOT NULL DEFAULT 'in_progress'
                       CHECK (status IN ('in_progress', 'long_term', 'close_requested', 'closed')),
    progress           text NOT NULL DEFAULT '',
    effect             text NOT NULL DEFAULT '',
    evidence           text NOT NULL DEFAULT '',
    closed_at          timestamptz,
    note               text NOT NULL DEFAULT '',
    -- bumped by every change; cards carry it to refuse stale clicks.
    version            int NOT NULL DEFAULT 1,
    progress_at        timestamptz,
    request_id         bigint,
    created_by         bigint REFERENCES people,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, number)
);
CREATE INDEX ledger_items_unit_open_idx ON ledger_items (unit_id, due_on) WHERE status <> 'closed';
CREATE INDEX ledger_items_due_open_idx ON ledger_items (campaign_id, due_on) WHERE status <> 'closed';

CREATE TABLE progress_updates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     bigint NOT NULL REFERENCES ledger_items ON DELETE CASCADE,
    text        text NOT NULL,
    status      text NOT NULL,
    effect      text NOT NULL DEFAULT '',
    evidence    text NOT NULL DEFAULT '',
    file_id     bigint REFERENCES files,
    person_id   bigint REFERENCES people,
    platform    text NOT NULL DEFAULT '',
    account     text NOT NULL DEFAULT '',
    message_id  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX progress_updates_item_idx ON progress_updates (item_id, created_at);

-- 销号 and 延期 requests and their decisions.
CREATE TABLE item_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id         bigint NOT NULL REFERENCES ledger_items ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('close', 'extend')),
    result          text NOT NULL DEFAULT '',
    new_due_on      date,
    reason          text NOT NULL DEFAULT '',
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
    requested_by    bigint REFERENCES people,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    decided_by      bigint REFERENCES people,
    decided_at      timestamptz,
    decision_reason text NOT NULL DEFAULT '',
    CHECK (kind <> 'extend' OR new_due_on IS NOT NULL)
);
-- at most one pending request per item.
CREATE UNIQUE INDEX item_requests_pending_idx ON item_requests (item_id) WHERE state = 'pending';

-- 月报: a unit's 阶段性工作进展情况 for a period.
CREATE TABLE monthly_reports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    unit_id      bigint NOT NULL REFERENCES units ON DELETE CASCADE,
    period       text NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    summary      text NOT NULL,
    on_time      boolean NOT NULL,
    person_id    bigint REFERENCES people,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, period)
);
CREATE INDEX monthly_reports_period_idx ON monthly_reports (campaign_id, period);

-- 诉求: a numbered thread between an enterprise and its contact leader.
CREATE TABLE enterprise_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    number          text NOT NULL,
    enterprise_id   bigint NOT NULL REFERENCES enterprises,
    contact_id      bigint NOT NULL REFERENCES contacts,
    owner_id        bigint NOT NULL REFERENCES people,
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'closed')),
    opened_at       timestamptz NOT NULL DEFAULT now(),
    waiting_since   timestamptz,
    first_answer_at timestamptz,
    closed_at       timestamptz,
    rating          text CHECK (rating IN ('satisfied', 'basically', 'unsatisfied')),
    rating_comment  text NOT NULL DEFAULT '',
    ledger_item_id  bigint REFERENCES ledger_items,
    UNIQUE (campaign_id, number)
);
CREATE INDEX enterprise_requests_owner_idx ON enterprise_requests (owner_id) WHERE state <> 'closed';
CREATE UNIQUE INDEX enterprise_requests_open_idx ON enterprise_requests (contact_id) WHERE state <> 'closed';
ALTER TABLE ledger_items ADD FOREIGN KEY (request_id) REFERENCES enterprise_requests;

CREATE TABLE request_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  bigint NOT NULL REFERENCES enterprise_requests ON DELETE CASCADE,
    direction   text NOT NULL CHECK (direction IN ('in', 'out', 'note')),
    person_id   bigint REFERENCES people,
    contact_id  bigint REFERENCES contacts,
    text        text NOT NULL DEFAULT '',
    file_id     bigint REFERENCES files,
    platform    text NOT NULL DEFAULT '',
    message_id  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_messages_request_idx ON request_messages (request_id, created_at);

-- Inbound dedupe: a platform's event or message id, inserted in the same
-- transaction as the event's effects.
CREATE TABLE inbound_events (
    platform    text NOT NULL,
    event_id    text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, event_id)
);
CREATE INDEX inbound_events_received_idx ON inbound_events (received_at);

-- A dialog: user U in chat C is answering field after field of a form.
CREATE TABLE dialogs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform   text NOT NULL,
    chat_id    text NOT NULL,
    user_id    text NOT NULL,
    form       jsonb NOT NULL,
    params     jsonb NOT NULL DEFAULT '{}',
    answers    jsonb NOT NULL DEFAULT '{}',
    step       int NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, chat_id, user_id)
);

-- Outbound deliveries: every message the bot sends unprompted.
CREATE TABLE deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the reminder key (monthly:2023-06:lingbao:T-3 plus recipient); unique
    -- so a reminder goes out once across replicas, crashes and re-runs.
    key             text UNIQUE,
    platform        text NOT NULL,
    chat_id         text NOT NULL DEFAULT '',
    user_id         text NOT NULL DEFAULT '',
    payload         jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'superseded')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    message_id      text NOT NULL DEFAULT '',
    -- what the message is about (item:42, report:lingbao:2023-06), so its
    -- card can be updated when that changes.
    subject         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX deliveries_subject_idx ON deliveries (subject) WHERE subject <> '';

-- The audit log: append-only, hash-chained. Each row's hash covers every
-- column and the previous row's hash; audit_head holds the chain's tip so
-- that deleting the newest row is caught too. Rows are appended only through
-- audit_append, which locks the head, so ids follow the chain's order.
CREATE TABLE audit_log (
    id         bigint PRIMARY KEY,
    at         timestamptz NOT NULL,
    person_id  bigint,
    platform   text NOT NULL,
    account    text NOT NULL,
    message_id text NOT NULL,
    entity     text NOT NULL,
    entity_id  text NOT NULL,
    action     text NOT NULL,
    old        jsonb,
    new        jsonb,
    prev_hash  bytea NOT NULL,
    hash       bytea NOT NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id;

CREATE TABLE audit_head (
    one       boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_id   bigint NOT NULL DEFAULT 0,
    last_hash bytea NOT NULL DEFAULT '\x'
);
INSERT INTO audit_head DEFAULT VALUES;

CREATE FUNCTION audit_row_hash(
    p_id bigint, p_at timestamptz, p_person bigint, p_platform text, p_account text,
    p_message text, p_entity text, p_entity_id text, p_action text,
    p_old jsonb, p_new jsonb, p_prev bytea
) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(concat_ws(E'\x1f',
        p_id::text,
        to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        coalesce(p_person::text, ''), p_platform, p_account, p_message,
        p_entity, p_entity_id, p_action,
        coalesce(p_old::text, 'null'), coalesce(p_new::text, 'null'),
        encode(p_prev, 'hex')), 'UTF8'))
$$;

CREATE FUNCTION audit_append(
    p_person bigint, p_platform text, p_account text, p_message text,
    p_entity text, p_entity_id text, p_action text, p_old jsonb, p_new jsonb
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_prev bytea;
    v_id   bigint;
    v_at   timestamptz := date_trunc('microseconds', clock_timestamp());
    v_hash bytea;
BEGIN
    SELECT last_hash INTO v_prev FROM audit_head WHERE one FOR UPDATE;
    v_id := nextval('audit_log_id_seq');
    v_hash := audit_row_hash(v_id, v_at, p_person, p_platform, p_account, p_message,
                             p_entity, p_entity_id, p_action, p_old, p_new, v_prev);
    INSERT INTO audit_log (id, at, person_id, platform, account, message_id, entity,
                           entity_id, action, old, new, prev_hash, hash)
    VALUES (v_id, v_at, p_person, p_platform, p_account, p_message, p_entity,
            p_entity_id, p_action, p_old, p_new, v_prev, v_hash);
    UPDATE audit_head SET last_id = v_id, last_hash = v_hash WHERE one;
    RETURN v_id;
END
$$;

-- Append-only: ordinary sessions cannot change or remove audit rows.
CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
