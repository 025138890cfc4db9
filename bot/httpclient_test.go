package bot

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingProxy is a forward proxy that answers every request itself and
// records what it was asked: the absolute URL of a plain HTTP request, or
// the host of a CONNECT.
type recordingProxy struct {
	mu   sync.Mutex
	seen []string
}

func (p *recordingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if r.Method == http.MethodConnect {
		p.seen = append(p.seen, "CONNECT "+r.Host)
	} else {
		p.seen = append(p.seen, r.Method+" "+r.URL.String())
	}
	p.mu.Unlock()
	if r.Method == http.MethodConnect {
		http.Error(w, "no tunnels here", http.StatusForbidden)
		return
	}
	_, _ = io.WriteString(w, "via proxy")
}

func (p *recordingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func TestNewHTTPClientSendsThroughProxy(t *testing.T) {
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	p := &recordingProxy{}
	proxy := httptest.NewServer(p)
	defer proxy.Close()

	c := NewHTTPClient(proxy.URL, 5*time.Second)
	if c.Timeout != 5*time.Second {
		t.Errorf("Timeout = %v, want 5s", c.Timeout)
	}
	if c.Transport == http.DefaultTransport {
		t.Error("the client shares http.DefaultTransport")
	}

	// Plain HTTP: the proxy gets the absolute URL; the name is never resolved.
	resp, err := c.Get("http://open.feishu.invalid/open-apis/auth/v3/tenant_access_token/internal")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "via proxy" {
		t.Errorf("body = %q, want the proxy's answer", body)
	}
	// HTTPS: the client asks the proxy for a tunnel.
	_, err = c.Get("https://api.dingtalk.invalid/v1.0/oauth2/accessToken")
	if err == nil {
		t.Error("HTTPS through a proxy that refuses tunnels succeeded")
	}
	got := p.requests()
	want := []string{
		"GET http://open.feishu.invalid/open-apis/auth/v3/tenant_access_token/internal",
		"CONNECT api.dingtalk.invalid:443",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("proxy saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNewHTTPClientLoopbackGoesDirect(t *testing.T) {
	p := &recordingProxy{}
	proxy := httptest.NewServer(p)
	defer proxy.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "direct")
	}))
	defer target.Close()

	c := NewHTTPClient(proxy.URL, 5*time.Second)
	resp, err := c.Get(target.URL + "/fake-platform")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "direct" || len(p.requests()) != 0 {
		t.Errorf("body %q, proxy saw %v: a loopback fake must be reached directly", body, p.requests())
	}
}

func TestProxyFuncNoProxyRules(t *testing.T) {
	f := proxyFunc("http://proxy.intra:3128", "mirror.intra, .gov.example,10.0.0.0/8, 192.168.1.5, api.example.com:8443")
	cases := []struct {
		url    string
		direct bool
	}{
		{"https://open.feishu.cn/x", false},
		{"https://mirror.intra/x", true},
		{"https://a.mirror.intra/x", true},
		{"https://notmirror.intra/x", false},
		{"https://gov.example/x", true},
		{"https://www.gov.example/x", true},
		{"http://10.1.2.3:8080/x", true},
		{"http://11.1.2.3/x", false},
		{"http://192.168.1.5/x", true},
		{"https://api.example.com:8443/x", true},
		{"https://api.example.com/x", false},
		{"http://localhost:9000/x", true},
		{"http://[::1]:9000/x", true},
		{"http://127.0.0.1/x", true},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.url)
		got, err := f(&http.Request{URL: u})
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if (got == nil) != c.direct {
			t.Errorf("%s: proxy %v, want direct=%v", c.url, got, c.direct)
		}
		if got != nil && got.String() != "http://proxy.intra:3128" {
			t.Errorf("%s: proxy %v", c.url, got)
		}
	}
	all := proxyFunc("http://proxy.intra:3128", "*")
	if got, _ := all(&http.Request{URL: &url.URL{Scheme: "https", Host: "open.feishu.cn"}}); got != nil {
		t.Errorf(`NO_PROXY="*" still proxies: %v`, got)
	}
}

func TestProxyFuncForms(t *testing.T) {
	req := &http.Request{URL: &url.URL{Scheme: "https", Host: "qyapi.weixin.qq.com"}}
	bare, err := proxyFunc("proxy.intra:3128", "")(req)
	if err != nil || bare == nil || bare.String() != "http://proxy.intra:3128" {
		t.Errorf("bare host:port = %v, %v; want http://proxy.intra:3128", bare, err)
	}
	auth, err := proxyFunc("http://user:pa%40ss@proxy.intra:3128", "")(req)
	if err != nil || auth.User.Username() != "user" {
		t.Errorf("proxy with credentials = %v, %v", auth, err)
	}
	if _, err := proxyFunc("ftp://proxy.intra", "")(req); !errors.Is(err, ErrBadProxy) {
		t.Errorf("ftp proxy: err = %v, want ErrBadProxy", err)
	}
	if _, err := proxyFunc("http://[bad", "")(req); !errors.Is(err, ErrBadProxy) {
		t.Errorf("unparsable proxy: err = %v, want ErrBadProxy", err)
	}
	c := NewHTTPClient("http://[bad", time.Second)
	// An invalid proxy fails every request, loopback included, rather
	// than silently going direct.
	if _, err := c.Get("http://127.0.0.1:1/"); !errors.Is(err, ErrBadProxy) {
		t.Errorf("request with an invalid proxy: err = %v, want ErrBadProxy", err)
	}
}

func TestNewHTTPClientEmptyProxyUsesEnvironment(t *testing.T) {
	c := NewHTTPClient("", 0)
	tr := c.Transport.(*http.Transport)
	if tr.Proxy == nil {
		t.Fatal("no Proxy function")
	}
	// ProxyFromEnvironment never proxies loopback.
	u, err := tr.Proxy(&http.Request{URL: &url.URL{Scheme: "http", Host: "127.0.0.1:8080"}})
	if err != nil || u != nil {
		t.Errorf("loopback via environment proxy: %v, %v", u, err)
	}
}
