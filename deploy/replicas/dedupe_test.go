package replicas

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"zhenggai/store/storetest"
)

// fakeDingTalk is the part of DingTalk's API a replica in HTTP mode calls to
// answer a robot message: the token and the 1:1 and group sends, recorded.
type fakeDingTalk struct {
	mu    sync.Mutex
	sends []string // the msgParam of each send
}

func (f *fakeDingTalk) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"accessToken":"fake-token","expireIn":7200}`)
	})
	send := func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			MsgParam string `json:"msgParam"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		f.mu.Lock()
		f.sends = append(f.sends, in.MsgParam)
		n := len(f.sends)
		f.mu.Unlock()
		fmt.Fprintf(w, `{"processQueryKey":"pqk-%d"}`, n)
	}
	mux.HandleFunc("POST /v1.0/robot/oToMessages/batchSend", send)
	mux.HandleFunc("POST /v1.0/robot/groupMessages/send", send)
	return mux
}

func (f *fakeDingTalk) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sends)
}

// TestPlatformRetryOnOtherReplica: DingTalk (HTTP mode) delivers a robot
// message to one replica and, as platforms do when an answer is slow or
// lost, the same message again to the other, and a third message to both at
// once. Each message is handled once: one answer each, and the copies are
// counted as duplicates, because the dedupe row is in Postgres.
func TestPlatformRetryOnOtherReplica(t *testing.T) {
	ctx := t.Context()
	pool := storetest.TestSchema(ctx, t)
	root := moduleRoot(t)
	bin := BuildLikeDockerfile(t, root)

	fake := &fakeDingTalk{}
	srv := httptest.NewServer(fake.handler())
	defer srv.Close()
	const secret = "client-secret"
	env := append(childEnv(storetest.SchemaURL(pool)),
		"DINGTALK_CLIENT_ID=dingclient", "DINGTALK_CLIENT_SECRET="+secret, "DINGTALK_ROBOT_CODE=dingrobot",
		"DINGTALK_MODE=http", "DINGTALK_BASE_URL="+srv.URL)
	runCommand(t, bin, env, "campaign", "apply", "-f", filepath.Join(root, "deploy", "campaigns", "demo.yaml"))

	a := startPlatformReplica(t, bin, env, "a")
	b := startPlatformReplica(t, bin, env, "b")

	post := func(r *replica, msgID string) error {
		body := fmt.Sprintf(`{"conversationId":"cidDirectLi==","chatbotCorpId":"dingcorp","chatbotUserId":"$:LWCP_v1:$robot",`+
			`"msgId":%q,"senderNick":"李联络","isAdmin":false,"senderStaffId":"0420li","createAt":%d,"senderCorpId":"dingcorp",`+
			`"conversationType":"1","senderId":"$:LWCP_v1:$li","robotCode":"dingrobot","msgtype":"text","text":{"content":"帮助"}}`,
			msgID, time.Now().UnixMilli())
		ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + "\n" + secret))
		req, err := http.NewRequest(http.MethodPost, r.base+"/callback/dingtalk", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("timestamp", ts)
		req.Header.Set("sign", base64.StdEncoding.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			data, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("replica %s: %d %s", r.name, resp.StatusCode, data)
		}
		return nil
	}

	// Sequential: A first, then the retry on B.
	for _, r := range []*replica{a, b} {
		if err := post(r, "msgRetry01=="); err != nil {
			t.Fatal(err)
		}
	}
	// Concurrent: the same message on both at once.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, r := range []*replica{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = post(r, "msgRace02==")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	waitDeliveriesDone(t, pool)
	var events, deliveries int
	mustQuery(t, pool, "SELECT count(*) FROM inbound_events WHERE platform = 'dingtalk'", nil, &events)
	mustQuery(t, pool, "SELECT count(*) FROM deliveries WHERE platform = 'dingtalk'", nil, &deliveries)
	if events != 2 {
		t.Errorf("%d inbound events recorded, want 2 (one per message id)", events)
	}
	if deliveries == 0 || fake.count() != deliveries {
		t.Errorf("DingTalk received %d sends for %d deliveries", fake.count(), deliveries)
	}
	if dup := a.metric(t, `zhenggai_events_duplicate_total{platform="dingtalk"}`) +
		b.metric(t, `zhenggai_events_duplicate_total{platform="dingtalk"}`); dup != 2 {
		t.Errorf("the replicas counted %v duplicates, want 2", dup)
	}
	t.Logf("2 messages posted 4 times over 2 replicas: %d events, %d deliveries, %d sends", events, deliveries, fake.count())

	for _, r := range []*replica{a, b} {
		r.stop(t)
	}
}

// startPlatformReplica starts `zhenggai serve` with a platform configured:
// no simulator, so the address is read from the log's "Serving" line.
func startPlatformReplica(t *testing.T, bin string, env []string, name string) *replica {
	t.Helper()
	r := &replica{name: name, done: make(chan error, 1)}
	r.cmd = execCommand(bin, env, "serve")
	pr, pw := io.Pipe()
	r.cmd.Stderr = io.MultiWriter(r, pw)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "msg=Serving") {
				for _, f := range strings.Fields(line) {
					if v, ok := strings.CutPrefix(f, "addr="); ok {
						select {
						case addr <- "http://" + v:
						default:
						}
					}
				}
			}
		}
	}()
	go func() {
		err := r.cmd.Wait()
		pw.Close()
		r.done <- err
	}()
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
	r.waitReady(t)
	return r
}

// metric reads one sample of the replica's /metrics; 0 when absent.
func (r *replica) metric(t *testing.T, sample string) float64 {
	t.Helper()
	resp, err := http.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, line := range bytes.Split(data, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(sample+" ")); ok {
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

func execCommand(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return cmd
}
