package bot

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
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
// usual rules: "*" matches all, "example.com" and ".example.com" match the
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
	rules := parseNoProxy(noProxy)
	return func(r *http.Request) (*url.URL, error) {
		if bypassProxy(r.URL, rules) {
			return nil, nil
		}
		return u, nil
	}
}

// noProxyRule is one entry of NO_PROXY.
type noProxyRule struct {
	all    bool
	domain string // lower case, without a leading dot
	port   string
	ip     net.IP
	cidr   *net.IPNet
}

func parseNoProxy(s string) []noProxyRule {
	var rules []noProxyRule
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "":
			continue
		case f == "*":
			rules = append(rules, noProxyRule{all: true})
			continue
		}
		if _, n, err := net.ParseCIDR(f); err == nil {
			rules = append(rules, noProxyRule{cidr: n})
			continue
		}
		if ip := net.ParseIP(strings.Trim(f, "[]")); ip != nil {
			rules = append(rules, noProxyRule{ip: ip})
			continue
		}
		host, port := f, ""
		if h, p, err := net.SplitHostPort(f); err == nil {
			host, port = h, p
		}
		if ip := net.ParseIP(host); ip != nil {
			rules = append(rules, noProxyRule{ip: ip, port: port})
			continue
		}
		rules = append(rules, noProxyRule{domain: strings.TrimPrefix(strings.TrimPrefix(host, "*"), "."), port: port})
	}
	return rules
}

// bypassProxy reports whether a request to u goes direct: loopback hosts
// always, others when a NO_PROXY rule matches.
func bypassProxy(u *url.URL, rules []noProxyRule) bool {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	for _, r := range rules {
		switch {
		case r.all:
			return true
		case r.cidr != nil:
			if ip != nil && r.cidr.Contains(ip) {
				return true
			}
		case r.ip != nil:
			if ip != nil && r.ip.Equal(ip) && (r.port == "" || r.port == port) {
				return true
			}
		case r.domain != "":
			if (host == r.domain || strings.HasSuffix(host, "."+r.domain)) && (r.port == "" || r.port == port) {
				return true
			}
		}
	}
	return false
}
