package manifeststest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"zhenggai/store/storetest"
)

// egressProxy is a forward proxy that refuses everything and records the
// hosts it was asked for (CONNECT host:port, or the host of an absolute URL).
type egressProxy struct {
	mu    sync.Mutex
	hosts []string
}

func (p *egressProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if r.Method != http.MethodConnect && r.URL.Host != "" {
		host = r.URL.Host
	}
	p.mu.Lock()
	p.hosts = append(p.hosts, host)
	p.mu.Unlock()
	http.Error(w, "denied by the test proxy", http.StatusForbidden)
}

func (p *egressProxy) saw(host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.hosts {
		if strings.HasPrefix(h, host) {
			return true
		}
	}
	return false
}

// TestEgressProxy runs `zhenggai doctor` of the built binary for each
// platform with HTTPS_PROXY set and the platform's API at a name that does
// not resolve: the credential check must go through the proxy (intranets
// have no other way out). A platform whose adapter is not in the build yet
// is reported and passed over.
func TestEgressProxy(t *testing.T) {
	bin := buildLikeDockerfile(t)
	pool := storetest.TestSchema(t.Context(), t)
	proxy := &egressProxy{}
	srv := httptest.NewServer(proxy)
	defer srv.Close()

	for _, c := range []struct {
		platform, host string
		env            []string
	}{
		{"feishu", "open.feishu.invalid", []string{"FEISHU_APP_ID=cli_test", "FEISHU_APP_SECRET=secret",
			"FEISHU_BASE_URL=https://open.feishu.invalid"}},
		{"dingtalk", "api.dingtalk.invalid", []string{"DINGTALK_CLIENT_ID=dingclient", "DINGTALK_CLIENT_SECRET=secret",
			"DINGTALK_ROBOT_CODE=dingrobot", "DINGTALK_BASE_URL=https://api.dingtalk.invalid"}},
		{"wecom", "qyapi.weixin.invalid", []string{"WECOM_CORP_ID=wwcorp", "WECOM_AGENT_ID=1000002", "WECOM_SECRET=secret",
			"WECOM_TOKEN=token", "WECOM_ENCODING_AES_KEY=" + strings.Repeat("a", 43),
			"WECOM_BASE_URL=https://qyapi.weixin.invalid"}},
	} {
		t.Run(c.platform, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "doctor")
			cmd.Env = append([]string{"DATABASE_URL=" + storetest.SchemaURL(pool), "HTTPS_PROXY=" + srv.URL,
				"HTTP_ADDR=127.0.0.1:0"}, c.env...)
			out, _ := cmd.CombinedOutput() // the checks fail: the proxy refuses
			if strings.Contains(string(out), "not in this build") {
				t.Logf("%s: adapter not in this build yet; nothing to check", c.platform)
				return
			}
			if proxy.saw(c.host) {
				t.Logf("%s: the proxy was asked for %s", c.platform, c.host)
			} else {
				t.Errorf("doctor did not go through HTTPS_PROXY to %s:\n%s", c.host, out)
			}
		})
	}
}
