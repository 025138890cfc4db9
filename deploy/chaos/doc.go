// Package chaos holds the tests that break the running bot on purpose: the
// real binary (built as deploy/Dockerfile builds it) as a child process in
// Feishu webhook mode against a local fake Feishu, under load from
// deploy/loadkit's sender, which redelivers what got no 200 as Feishu does.
//
//   - TestKillNineUnderLoad (kill_test.go): callbacks arrive at 250/s over
//     24 connections; a reminder day is planned and the bot is killed with
//     SIGKILL once a quarter of its reminders are sent; it is restarted,
//     and every callback not answered 200 is redelivered (plus a tenth of
//     those that were, as after a lost ack). Every callback has had its
//     effect exactly once (its dedupe row, its progress update, its message
//     in the enterprise request, its one 台账 reply), every reminder key is
//     one delivery, sent, and the platform shows exactly one message per
//     sent delivery although sends cut by the kill were sent again (under
//     the same uuid).
//   - TestDatabaseOutage (outage_test.go): a private Postgres cluster is
//     stopped (pg_ctl stop -m fast) for 10 s while callbacks arrive at
//     150/s. While it is down every callback is answered 5xx within a
//     second (so the platform retries) and /readyz answers 503 within 2 s;
//     from 5 s after it returns every callback is answered 200 and /readyz
//     is 200. After the redeliveries every callback has had its effect
//     exactly once, the outbox drains and the platform shows one message
//     per sent delivery.
//
// A send whose outcome the bot could not record (killed, or the database
// gone) stays claimed until the outbox's lease runs out, minutes later;
// the short runs expire those leases in the database instead of waiting.
// Both run in CI (deploy/test.sh) in well under a minute each.
// ZG_CHAOS_LONG=1 runs the long variants: five kills in a row under 400/s
// (the reminder burst before the first), a 30 s outage stopped the way a
// crash does (-m immediate), and the real lease waited for. deploy/chaos/run.sh runs them by hand.
package chaos
