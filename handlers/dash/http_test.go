package dash_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// client is a browser-like client with its own cookie jar that does not
// follow redirects.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestDashboardHTTP: the session cookie's attributes, the headers, 403 for
// another unit's pages and files and exports, a logout without the CSRF
// token refused, and login attempts limited.
func TestDashboardHTTP(t *testing.T) {
	srv := startDash(t)
	c := client(t)
	resp := get(t, c, srv.link(t, "zhou-ym"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dash/" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := resp.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode || ck[0].Path != "/dash/" || ck[0].MaxAge != 8*3600 {
		t.Fatalf("cookie %+v", ck)
	}
	if ck[0].Secure {
		t.Error("Secure under http")
	}
	for path, want := range map[string]int{
		"/dash/": 200, "/dash/unit/yima": 200, "/dash/unit/lingbao": 403, "/dash/item/LB-2026-001": 403, "/dash/item/YM-2026-001": 200,
		"/dash/export.xlsx?unit=lingbao": 403, "/dash/export.xlsx": 200, "/dash/unit/nowhere": 404, "/dash/requests": 200,
	} {
		r := get(t, c, srv.URL+path)
		if r.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, r.StatusCode, want)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, r.Header)
		}
	}
	// Without a session: 401 and the way in.
	if r := get(t, client(t), srv.URL+"/dash/unit/yima"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("no session: %d", r.StatusCode)
	}
	// Logout without the token changes nothing.
	r, err := c.PostForm(srv.URL+"/dash/logout", url.Values{"csrf": {"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("forged logout: %d", r.StatusCode)
	}
	if r := get(t, c, srv.URL+"/dash/"); r.StatusCode != 200 {
		t.Errorf("after a forged logout: %d", r.StatusCode)
	}
	// A stranger's guesses are limited: the 11th attempt in a burst waits.
	guesser := client(t)
	limited := false
	for i := range 20 {
		r := get(t, guesser, srv.URL+"/dash/login?t=guess"+strings.Repeat("x", i))
		if r.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
		if r.StatusCode != http.StatusForbidden {
			t.Fatalf("guess: %d", r.StatusCode)
		}
	}
	if !limited {
		t.Error("20 guesses, none limited")
	}
}
