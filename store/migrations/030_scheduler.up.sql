-- 030_scheduler: the scheduler's own state (issue 5).
--
-- scheduler_runs records which occurrence of which schedule has run, in the
-- same transaction as the deliveries its planning enqueued: an occurrence is
-- planned once across replicas, crashes and re-runs (a second planner blocks
-- on the first one's row, then finds it taken and does nothing).
CREATE TABLE scheduler_runs (
    campaign_id bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    schedule    text NOT NULL,
    occurrence  timestamptz NOT NULL,
    runner      text NOT NULL DEFAULT '',
    enqueued    int NOT NULL DEFAULT 0,
    -- the day the occurrence belonged to had passed when it was found: it
    -- was recorded, not planned (a reminder for day D goes out on D or not
    -- at all).
    skipped     boolean NOT NULL DEFAULT false,
    ran_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, schedule, occurrence)
);

-- scheduler_leases elects the one replica whose loop plans schedules. The
-- lease only saves work: correctness comes from scheduler_runs and the
-- unique delivery keys, so a lease that two holders briefly both believe in
-- sends nothing twice.
CREATE TABLE scheduler_leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
