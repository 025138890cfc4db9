// Package chaos holds the tests that break the running bot on
// purpose, as a child process in Feishu webhook mode against a local fake
// Feishu (deploy/loadkit), under load:
//
//   - TestKillNineUnderLoad (kill_test.go): SIGKILL while callbacks arrive
//     and a planned burst of reminders is being delivered; restart; the
//     platform's redeliveries. Every callback is applied exactly once,
//     every reminder key is sent once, and the platform shows one message
//     per delivery.
//   - TestDatabaseOutage (outage_test.go): a private Postgres cluster is
//     stopped for 10 s under load. Callbacks fail fast (5xx within 1 s, so
//     the platform retries), /readyz turns red, and within 5 s of the
//     database's return everything is served again; after the platform's
//     redeliveries nothing is lost and nothing applied twice.
//
// Both run in CI (deploy/test.sh); ZG_CHAOS_LONG=1 runs the long variants
// (five kills under twice the load; a 30 s outage). deploy/chaos/run.sh
// runs them by hand with their logs.
package chaos
