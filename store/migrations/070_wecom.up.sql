-- 070_wecom: what the WeCom adapter keeps between restarts and replicas.

-- 微信客服: the sync_msg cursor of each kf account. The row is locked while
-- a page is fetched and dispatched and the cursor moves only after every
-- message of the page was dispatched (each deduplicated on its msgid), so a
-- restart reads no message twice into effect and loses none.
CREATE TABLE wecom_kf_cursors (
    open_kfid  text PRIMARY KEY,
    cursor     text NOT NULL DEFAULT '',
    synced_at  timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- 微信客服 reply window: a kf account may send a WeChat user at most 5
-- messages within 48 hours of the user's last message.
CREATE TABLE wecom_kf_windows (
    external_userid text PRIMARY KEY,
    -- the kf account the user last wrote to; replies go out from it.
    open_kfid       text NOT NULL,
    last_inbound_at timestamptz NOT NULL,
    replies         int NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- App messages sent per member, for the 30 a minute and 1000 an hour that
-- WeCom enforces by dropping the excess silently. Rows older than an hour
-- are pruned when the member is sent to again.
CREATE TABLE wecom_sends (
    user_id text NOT NULL,
    sent_at timestamptz NOT NULL
);
CREATE INDEX wecom_sends_user_idx ON wecom_sends (user_id, sent_at);

-- Partial failures of message/send: recipients WeCom reported invalid
-- (invaliduser, unlicenseduser), for the operator.
CREATE TABLE wecom_invalid_users (
    user_id    text PRIMARY KEY,
    reason     text NOT NULL,
    count      int NOT NULL DEFAULT 1,
    first_at   timestamptz NOT NULL DEFAULT now(),
    last_at    timestamptz NOT NULL DEFAULT now()
);
