package bot

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// ErrBadProxy is what requests of a client built with an invalid proxy URL
// fail with.
var ErrBadProxy = errors.New("bot: HTTPS_PROXY is not a valid proxy URL")

// NewHTTPClient returns the HTTP client every platform adapter sends with:
// its own transport (never http.DefaultTransport, which tests and libraries
// mutate), the given overall request timeout, and the egress proxy.
//
// proxy is HTTPS_PROXY from the configuration (config.Config.HTTPSProxy).
// Empty means http.ProxyFromEnvironment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY
// as Go reads them). Otherwise every request goes through proxy, except to
// loopback addresses and to the hosts NO_PROXY (or no_proxy) names, with the
// usual rules (golang.org/x/net/http/httpproxy, which Go's own
// ProxyFromEnvironment uses): "*" matches all, "example.com" and ".example.com" match the
// domain and its subdomains, an IP or CIDR matches addresses, host:port
// matches that port only. Intranets route outbound traffic through one
// proxy, and the adapters' base URLs may point at an internal mirror.
//
// A proxy that is not a valid URL makes every request fail with an error
// naming HTTPS_PROXY (config.Validate refuses it earlier).
func NewHTTPClient(proxy string, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	tr.Proxy = proxyFunc(proxy, firstEnv("NO_PROXY", "no_proxy"))
	return &http.Client{Transport: tr, Timeout: timeout}
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// proxyFunc returns the transport's Proxy function for proxy and noProxy.
func proxyFunc(proxy, noProxy string) func(*http.Request) (*url.URL, error) {
	if proxy == "" {
		return http.ProxyFromEnvironment
	}
	u, err := url.Parse(proxy)
	if err == nil && (u.Scheme == "" || u.Host == "") {
		// "proxy.local:3128" parses as scheme "proxy.local"; accept a
		// bare host:port as http://host:port, like Go's environment proxy.
		u, err = url.Parse("http://" + proxy)
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") || u.Host == "" {
		return func(*http.Request) (*url.URL, error) { return nil, ErrBadProxy }
	}
	cfg := httpproxy.Config{HTTPProxy: u.String(), HTTPSProxy: u.String(), NoProxy: noProxyDomains(noProxy)}
	viaProxy := cfg.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) {
		if h := strings.ToLower(r.URL.Hostname()); strings.HasSuffix(h, ".localhost") {
			return nil, nil // loopback by name (httpproxy knows "localhost" and loopback IPs)
		}
		return viaProxy(r.URL)
	}
}

// noProxyDomains rewrites NO_PROXY for httpproxy, which reads
// ".example.com" and "*.example.com" as subdomains only: here, as the
// documentation of NewHTTPClient says, they match the domain too.
func noProxyDomains(s string) string {
	fs := strings.Split(s, ",")
	for i, f := range fs {
		f = strings.TrimSpace(f)
		if f != "*" {
			f = strings.TrimPrefix(strings.TrimPrefix(f, "*"), ".")
		}
		fs[i] = f
	}
	return strings.Join(fs, ",")
}
