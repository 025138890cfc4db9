// Package replicas proves that several `zhenggai serve` replicas on one
// Postgres are correct, not just allowed: it builds the binary the way
// deploy/Dockerfile does, starts two replicas with the simulator on random
// ports against one fresh schema, applies deploy/campaigns/demo.yaml, and
// checks that
//
//   - a message or card callback handled by either replica works, and its
//     effect is seen through the other one (dedupe, dialogs, history and
//     deliveries live in Postgres);
//   - a reminder tick run at the same instant by both replicas (the
//     simulator's clock panel) and by `zhenggai tick` at once plans each
//     occurrence once and yields exactly one message per delivery key, with
//     two replicas' delivery workers and the tick's own sender competing;
//   - each replica stops cleanly (exit 0) within 30 s of SIGTERM;
//   - (dedupe_test.go) a platform's retry of a callback that lands on the
//     other replica, or copies arriving at both at once, is handled once:
//     DingTalk in HTTP mode against a local fake of its API.
//
// deploy/replicas/run.sh runs the same two replicas by hand.
package replicas

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store/storetest"
)

// tickAt is when the test ticks: 2026-11-20 09:00 in Asia/Shanghai, three
// days before the demo campaign's monthly report is due (its T-3 reminder),
// a Friday (the digest runs on workdays).
const (
	tickAt      = "2026-11-20T09:00"
	tickAtRFC   = "2026-11-20T09:00:00+08:00"
	replicaWait = 60 * time.Second
)

func TestTwoReplicasOneDatabase(t *testing.T) {
	ctx := t.Context()
	pool := storetest.TestSchema(ctx, t)
	root := moduleRoot(t)
	bin := BuildLikeDockerfile(t, root)
	env := childEnv(storetest.SchemaURL(pool))

	out := runCommand(t, bin, env, "campaign", "apply", "-f", filepath.Join(root, "deploy", "campaigns", "demo.yaml"))
	if !strings.Contains(out, "campaign demo applied") {
		t.Fatalf("campaign apply said %q", out)
	}

	a := startReplica(t, bin, env, "a")
	b := startReplica(t, bin, env, "b")
	for _, r := range []*replica{a, b} {
		r.waitReady(t)
	}

	t.Run("callbacks through either replica", func(t *testing.T) {
		// A message sent through A is answered (by whichever replica's
		// delivery worker claims the reply) and read through B; and the
		// other way round.
		for _, c := range []struct {
			via, read *replica
			who       string
		}{{a, b, "li-lb"}, {b, a, "liu-lb"}} {
			acc, chat := "p:"+c.who, "d:p:"+c.who
			var sent struct {
				Dispatched bool `json:"dispatched"`
			}
			c.via.post(t, "/sim/api/send", map[string]any{"as": acc, "chat": chat, "text": "帮助"}, http.StatusOK, &sent)
			if !sent.Dispatched {
				t.Fatalf("replica %s did not dispatch %s's message", c.via.name, c.who)
			}
			waitFor(t, fmt.Sprintf("the bot's answer to %s, read through replica %s", c.who, c.read.name), func() bool {
				for _, m := range c.read.messages(t, acc, chat) {
					if m.FromBot && (m.CardHTML != "" || m.TextHTML != "") {
						return true
					}
				}
				return false
			})
		}
	})

	t.Run("one tick, three tickers, one message per key", func(t *testing.T) {
		waitDeliveriesDone(t, pool)
		var m0, d0 int64
		mustQuery(t, pool, "SELECT coalesce(max(id), 0) FROM sim_messages", nil, &m0)
		mustQuery(t, pool, "SELECT coalesce(max(id), 0) FROM deliveries", nil, &d0)

		// Both replicas' clock panels and the tick command, at once.
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 3)
		for i, r := range []*replica{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = r.tryPost("/sim/api/tick", map[string]any{"at": tickAt}, http.StatusOK, nil)
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cmd := exec.CommandContext(ctx, bin, "tick", "--now", tickAtRFC)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[2] = fmt.Errorf("zhenggai tick: %w: %s", err, out)
			}
		}()
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		waitDeliveriesDone(t, pool)

		// Each occurrence planned once.
		var planned, enqueued int
		mustQuery(t, pool, `SELECT count(*), coalesce(sum(enqueued), 0) FROM scheduler_runs
			WHERE NOT skipped AND occurrence <= $1 AND occurrence > $1::timestamptz - interval '1 day'`,
			[]any{mustTime(t, tickAtRFC)}, &planned, &enqueued)
		if planned == 0 || enqueued == 0 {
			t.Fatalf("the tick planned %d occurrences with %d deliveries; the demo campaign owes reminders at %s", planned, enqueued, tickAtRFC)
		}

		// Every delivery queued since is keyed, sent once, and made exactly
		// the messages its payload holds: no second copy from a competing
		// sender.
		rows, err := pool.Query(ctx, `SELECT id, coalesce(key, ''), state, message_id, chat_id, payload
			FROM deliveries WHERE id > $1 ORDER BY id`, d0)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		want, keyed := 0, 0
		msgIDs := map[string]bool{}
		for rows.Next() {
			var id int64
			var key, state, msgID, chat string
			var payload []byte
			if err := rows.Scan(&id, &key, &state, &msgID, &chat, &payload); err != nil {
				t.Fatal(err)
			}
			if key == "" {
				t.Errorf("delivery %d to %s has no key", id, chat)
			} else {
				keyed++
			}
			if state != "sent" || msgID == "" {
				t.Errorf("delivery %d (%s) is %s with message id %q, want sent", id, key, state, msgID)
			}
			if msgIDs[msgID] {
				t.Errorf("delivery %d (%s) recorded message %s again", id, key, msgID)
			}
			msgIDs[msgID] = true
			var m bot.Message
			if err := json.Unmarshal(payload, &m); err != nil {
				t.Fatalf("delivery %d payload: %v", id, err)
			}
			want += messagesOf(&m)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		var got int
		mustQuery(t, pool, "SELECT count(*) FROM sim_messages WHERE id > $1 AND sender = ''", []any{m0}, &got)
		if keyed < enqueued || got != want {
			t.Errorf("%d keyed deliveries (the plans enqueued %d); the bot posted %d messages, its deliveries hold %d",
				keyed, enqueued, got, want)
		}
		t.Logf("tick at %s: %d occurrences planned once, %d deliveries, %d messages", tickAt, planned, keyed, got)
	})

	t.Run("card clicks through either replica", func(t *testing.T) {
		clicks := cardButtons(t, pool, 2)
		for i, c := range clicks {
			r := []*replica{b, a}[i%2]
			var res struct {
				Toast     string          `json:"toast"`
				ToastKind string          `json:"toast_kind"`
				Message   json.RawMessage `json:"message"`
			}
			r.post(t, "/sim/api/action", map[string]any{"as": c.account, "chat": c.chat, "message": c.message,
				"action": c.button.Action, "params": c.button.Params}, http.StatusOK, &res)
			if len(res.Message) == 0 {
				t.Errorf("replica %s answered the click on %q without the card", r.name, c.button.Text)
			}
			t.Logf("replica %s: %s clicked %q (%s): %s %q", r.name, c.account, c.button.Text, c.button.Action, res.ToastKind, res.Toast)
		}
	})

	t.Run("graceful stop", func(t *testing.T) {
		for _, r := range []*replica{a, b} {
			r.stop(t)
		}
	})
}

// BuildLikeDockerfile builds the binary with deploy/Dockerfile's command,
// `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /zhenggai .`, into
// a temporary directory, and returns its path.
func BuildLikeDockerfile(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zhenggai")
	cmd := exec.Command(goTool(), "build", "-trimpath", `-ldflags=-s -w`, "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return root
}

// childEnv is the environment of the replicas: the database and nothing of
// any platform, so the simulator is on.
func childEnv(dbURL string) []string {
	env := []string{"DATABASE_URL=" + dbURL, "HTTP_ADDR=127.0.0.1:0", "LOG_LEVEL=info", "LOG_FORMAT=text"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func runCommand(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("zhenggai %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// replica is one `zhenggai serve` process.
type replica struct {
	name   string
	base   string
	cmd    *exec.Cmd
	done   chan error
	mu     sync.Mutex
	stderr bytes.Buffer
}

// Write collects the replica's log.
func (r *replica) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.Write(p)
}

func (r *replica) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// startReplica starts `zhenggai serve` on a random port and reads the
// address it prints.
func startReplica(t *testing.T, bin string, env []string, name string) *replica {
	t.Helper()
	r := &replica{name: name, done: make(chan error, 1)}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = env
	r.cmd.Stderr = r
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "simulator: "); ok {
				select {
				case addr <- strings.TrimSuffix(strings.TrimSpace(rest), "/sim/"):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("replica %s log:\n%s", r.name, r.log())
		}
	})
	select {
	case r.base = <-addr:
	case err := <-r.done:
		r.done <- err
		t.Fatalf("replica %s exited before serving: %v\n%s", name, err, r.log())
	case <-time.After(replicaWait):
		t.Fatalf("replica %s printed no address\n%s", name, r.log())
	}
	return r
}

func (r *replica) waitReady(t *testing.T) {
	t.Helper()
	waitFor(t, "replica "+r.name+" ready", func() bool {
		for _, path := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get(r.base + path)
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false
			}
		}
		return true
	})
}

// stop sends SIGTERM and expects a clean exit within the shutdown budget.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("replica %s stopped with %v", r.name, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("replica %s did not stop within 30 s of SIGTERM", r.name)
	}
}

func (r *replica) tryPost(path string, body any, status int, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := http.Post(r.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("replica %s: POST %s: %w", r.name, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		return fmt.Errorf("replica %s: POST %s %s: %d %s", r.name, path, b, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("replica %s: POST %s: %w: %s", r.name, path, err, data)
		}
	}
	return nil
}

func (r *replica) post(t *testing.T, path string, body any, status int, out any) {
	t.Helper()
	if err := r.tryPost(path, body, status, out); err != nil {
		t.Fatal(err)
	}
}

type simMessage struct {
	ID       int64  `json:"id"`
	FromBot  bool   `json:"from_bot"`
	TextHTML string `json:"text_html"`
	CardHTML string `json:"card_html"`
}

func (r *replica) messages(t *testing.T, account, chat string) []simMessage {
	t.Helper()
	resp, err := http.Get(r.base + "/sim/api/messages?as=" + account + "&chat=" + chat)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []simMessage `json:"messages"`
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("replica %s: messages: %d %s", r.name, resp.StatusCode, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// waitFor polls cond until it holds or replicaWait passes: the replicas
// are other processes, so there is no clock to move.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(replicaWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitDeliveriesDone(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	waitFor(t, "every delivery sent", func() bool {
		var n int
		mustQuery(t, pool, "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')", nil, &n)
		return n == 0
	})
}

// mustQuery scans the one row of sql run with args into dest.
func mustQuery(t *testing.T, pool *pgxpool.Pool, sql string, args []any, dest ...any) {
	t.Helper()
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// messagesOf is how many simulator messages a delivery makes: a card with
// text is two (bot.Message's rule), an update of a sent card none.
func messagesOf(m *bot.Message) int {
	switch {
	case m.Update != nil:
		return 0
	case m.Card != nil && m.Text != "" && m.File == nil:
		return 2
	default:
		return 1
	}
}

// click is a plain button on a card the bot sent to someone 1:1.
type click struct {
	account, chat string
	message       int64
	button        cards.Button
}

// cardButtons returns up to n plain buttons on different bot cards in
// direct chats, preferring actions that only read (ledger, digest).
func cardButtons(t *testing.T, pool *pgxpool.Pool, n int) []click {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, chat_id, card FROM sim_messages
		WHERE sender = '' AND card IS NOT NULL AND chat_id LIKE 'd:%' AND NOT submitted ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var preferred, others []click
	for rows.Next() {
		var id int64
		var chat string
		var raw []byte
		if err := rows.Scan(&id, &chat, &raw); err != nil {
			t.Fatal(err)
		}
		var c cards.Card
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		for _, b := range c.Buttons() {
			if b.URL != "" || b.Action == "" {
				continue
			}
			k := click{account: strings.TrimPrefix(chat, "d:"), chat: chat, message: id, button: b}
			if strings.HasPrefix(b.Action, "ledger.show") || strings.HasPrefix(b.Action, "digest.") {
				preferred = append(preferred, k)
			} else {
				others = append(others, k)
			}
			break
		}
	}
	all := append(preferred, others...)
	if len(all) == 0 {
		t.Fatal(errors.New("the tick sent no card with a button"))
	}
	return all[:min(n, len(all))]
}
