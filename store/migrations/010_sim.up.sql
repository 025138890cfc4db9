-- 010_sim: the simulator's own conversation history, kept in Postgres the
-- way a messenger keeps it, so that a restart keeps the chats.
--
-- One row per message in a simulated chat ("g:<unit>" groups, "d:<account>"
-- 1:1 chats). A card message is updated in place when a click replaces it;
-- every insert and update takes a fresh seq, so an open page asks for
-- "everything in my chats after seq N" and sees new and changed messages
-- alike.

CREATE SEQUENCE sim_messages_seq;

CREATE TABLE sim_messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq          bigint NOT NULL DEFAULT nextval('sim_messages_seq'),
    chat_id      text NOT NULL,
    -- the sender's sim account; '' for the bot.
    sender       text NOT NULL DEFAULT '',
    text         text NOT NULL DEFAULT '',
    card         jsonb,
    -- sim accounts the message @-mentions.
    mentions     text[] NOT NULL DEFAULT '{}',
    reply_to     text NOT NULL DEFAULT '',
    file_name    text NOT NULL DEFAULT '',
    file_mime    text NOT NULL DEFAULT '',
    file_content bytea,
    -- true once the card's form was submitted and the card was not replaced:
    -- the page shows it disabled.
    submitted    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sim_messages_chat_idx ON sim_messages (chat_id, id);
CREATE UNIQUE INDEX sim_messages_seq_idx ON sim_messages (seq);
