// Package dash is the web 看板: the campaign on one screen for the office,
// the leaders and the liaisons, read-only, server-rendered, opened from the
// chat with a single-use link (handlers/dashboard.go). Every page asks the
// chat's own access rules (handlers/access.go) and computes with its
// rules (handlers/dashboard_data.go); this package only renders.
//
//	GET  /dash/                   the overview (without a session: how to get a link)
//	GET  /dash/login?t=TOKEN      spend a login link, start a session, go to /dash/
//	POST /dash/logout             end the session (CSRF token)
//	GET  /dash/unit/{key}         a unit's ledger: ?state= &category= &source= &overdue=1 &q= &sort= &desc=1 &page=
//	GET  /dash/item/{number}      an item: fields, progress, approvals, audit rows, evidence
//	GET  /dash/file/{id}          a file, through CanSeeFile, audited
//	GET  /dash/requests           enterprise requests by leader
//	GET  /dash/request/{number}   a request's thread (audited)
//	GET  /dash/export.xlsx        the ledger workbook of what the viewer sees (?unit=KEY for one unit)
//	GET  /dash/static/dash.css    the styles
package dash

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"zhenggai/bot"
	"zhenggai/handlers"
	"zhenggai/store"
)

// SessionTTL is how long a session lasts.
const SessionTTL = 8 * time.Hour

// cookieName is the session cookie.
const cookieName = "zg_dash"

// Config is what the dashboard needs.
type Config struct {
	Store  *store.Store // on the pool
	Clock  bot.Clock
	Logger *slog.Logger
	// BaseURL is PUBLIC_BASE_URL: the cookie is Secure when it is https.
	BaseURL string
	// LoginRate and LoginBurst limit login attempts per client address;
	// zero: 1 every 6 seconds, bursts of 10.
	LoginRate  rate.Limit
	LoginBurst int
	// OverviewTTL is how long an overview is reused (cache.go): zero is
	// 15 seconds, negative is never. CacheNow tells the cache's time
	// (time.Now when nil): how old an entry is, not the campaign's day.
	OverviewTTL time.Duration
	CacheNow    func() time.Time
}

// Server serves the dashboard.
type Server struct {
	cfg    Config
	st     *store.Store
	log    *slog.Logger
	secure bool

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	global   *rate.Limiter
	cache    *overviewCache
}

// New returns the dashboard server.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OverviewTTL == 0 {
		cfg.OverviewTTL = 15 * time.Second
	}
	if cfg.CacheNow == nil {
		cfg.CacheNow = time.Now
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate, cfg.LoginBurst = rate.Every(6*time.Second), 10
	}
	return &Server{cfg: cfg, st: cfg.Store, log: cfg.Logger, secure: strings.HasPrefix(strings.ToLower(cfg.BaseURL), "https://"),
		limiters: map[string]*rate.Limiter{}, global: rate.NewLimiter(50, 100),
		cache: &overviewCache{ttl: cfg.OverviewTTL, now: cfg.CacheNow, entries: map[string]cachedOverview{}}}
}

// Mount adds the dashboard's routes to mux.
func (s *Server) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /dash", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dash/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /dash/static/dash.css", s.css)
	mux.HandleFunc("GET /dash/login", s.login)
	mux.HandleFunc("POST /dash/logout", s.logout)
	mux.HandleFunc("GET /dash/{$}", s.page(s.overview))
	mux.HandleFunc("GET /dash/unit/{key}", s.page(s.unit))
	mux.HandleFunc("GET /dash/item/{number}", s.page(s.item))
	mux.HandleFunc("GET /dash/requests", s.page(s.requests))
	mux.HandleFunc("GET /dash/request/{number}", s.page(s.request))
	mux.HandleFunc("GET /dash/file/{id}", s.page(s.file))
	mux.HandleFunc("GET /dash/export.xlsx", s.page(s.export))
}

// secureHeaders are the simulator's headers (bot/sim/http.go), with no
// script at all, and no caching of what a session saw.
func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// viewer is who a page is for.
type viewer struct {
	handlers.Viewer
	campaign *store.Campaign
	session  *store.DashSession
	secret   string
}

// actor is the viewer for audit rows.
func (v *viewer) actor() store.Actor {
	return store.Actor{PersonID: v.Person.ID, Platform: "dashboard", Account: v.Person.Key}
}

// pageFunc renders a page for a viewer; an error is ErrDashForbidden (403),
// ErrDashNotFound (404) or a failure (500).
type pageFunc func(w http.ResponseWriter, r *http.Request, v *viewer) error

// page wraps a pageFunc with the session check: no session, the page says
// how to get a link and nothing else.
func (s *Server) page(f pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		v, err := s.session(r.Context(), r)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.fail(w, r, err)
				return
			}
			s.message(w, http.StatusUnauthorized, "请登录看板", msgHowToLogin)
			return
		}
		switch err := f(w, r, v); {
		case err == nil:
		case errors.Is(err, handlers.ErrDashForbidden):
			s.message(w, http.StatusForbidden, "无权查看", "您无权查看此页面。看板只显示您在聊天中也能查看的单位、问题和诉求。")
		case errors.Is(err, handlers.ErrDashNotFound):
			s.message(w, http.StatusNotFound, "未找到", "未找到该页面，可能已被删除或链接有误。")
		default:
			s.fail(w, r, err)
		}
	}
}

// msgHowToLogin is all a page says without a session.
const msgHowToLogin = "请在飞书、钉钉或企业微信中与“整改助手”单聊，发送“看板”，点击收到的链接登录（链接 10 分钟内有效，仅可使用一次）。"

// session returns the viewer of r's session cookie, or ErrNotFound.
func (s *Server) session(ctx context.Context, r *http.Request) (*viewer, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		return nil, store.ErrNotFound
	}
	now := s.cfg.Clock.Now()
	ds, err := s.st.DashSessionBySecret(ctx, ck.Value, now)
	if err != nil {
		return nil, err
	}
	c, err := s.st.CurrentCampaign(ctx)
	if err != nil {
		return nil, err
	}
	if c.ID != ds.CampaignID {
		return nil, store.ErrNotFound
	}
	p, err := s.st.PersonByID(ctx, ds.PersonID)
	if err != nil {
		return nil, err
	}
	roles, err := s.st.RolesOf(ctx, c.ID, p.ID)
	if err != nil {
		return nil, err
	}
	if !handlers.MayUseDashboard(roles) {
		return nil, store.ErrNotFound // no longer of the campaign: as if logged out
	}
	return &viewer{Viewer: handlers.Viewer{Person: p, Roles: roles}, campaign: c, session: ds, secret: ck.Value}, nil
}

// allow reports whether a login attempt from r may proceed.
func (s *Server) allow(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.limiters) > 10000 {
		clear(s.limiters)
	}
	l := s.limiters[host]
	if l == nil {
		l = rate.NewLimiter(s.cfg.LoginRate, s.cfg.LoginBurst)
		s.limiters[host] = l
	}
	now := s.cfg.Clock.Now()
	return l.AllowN(now, 1) && s.global.AllowN(now, 1)
}

// login spends a link's token and starts a session. The token is never
// logged: errors name no URL.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	if !s.allow(r) {
		w.Header().Set("Retry-After", "60")
		s.message(w, http.StatusTooManyRequests, "请稍后再试", "登录尝试过于频繁，请一分钟后再试。")
		return
	}
	token := r.URL.Query().Get("t")
	if token == "" || len(token) > 100 {
		s.message(w, http.StatusBadRequest, "链接无效", "登录链接不完整。"+msgHowToLogin)
		return
	}
	ctx := r.Context()
	now := s.cfg.Clock.Now()
	secret, csrf := randomString(), randomString()
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		campaignID, personID, err := tx.UseDashToken(ctx, token, now)
		if err != nil {
			return err
		}
		roles, err := tx.RolesOf(ctx, campaignID, personID)
		if err != nil {
			return err
		}
		if !handlers.MayUseDashboard(roles) {
			return store.ErrDashTokenUsed
		}
		if err := tx.CreateDashSession(ctx, secret, store.DashSession{CampaignID: campaignID, PersonID: personID, CSRF: csrf,
			CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}); err != nil {
			return err
		}
		p, err := tx.PersonByID(ctx, personID)
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, store.AuditParams{Actor: store.Actor{PersonID: personID, Platform: "dashboard", Account: p.Key},
			Entity: "dashboard_session", EntityID: p.Key, Action: "login"})
	})
	if errors.Is(err, store.ErrDashTokenUsed) {
		s.message(w, http.StatusForbidden, "链接已失效", "该登录链接已使用或已过期。"+msgHowToLogin)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: secret, Path: "/dash/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, Expires: now.Add(SessionTTL), MaxAge: int(SessionTTL / time.Second)})
	http.Redirect(w, r, "/dash/", http.StatusSeeOther)
}

// logout ends the session; the form carries the session's CSRF token.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	v, err := s.session(r.Context(), r)
	if err == nil {
		if r.PostFormValue("csrf") != v.session.CSRF {
			s.message(w, http.StatusForbidden, "请求无效", "退出请求无效，请刷新页面后重试。")
			return
		}
		err = s.st.InTx(r.Context(), func(tx *store.Store) error {
			if err := tx.EndDashSession(r.Context(), v.secret, s.cfg.Clock.Now()); err != nil {
				return err
			}
			return tx.AppendAudit(r.Context(), store.AuditParams{Actor: v.actor(), Entity: "dashboard_session", EntityID: v.Person.Key, Action: "logout"})
		})
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/dash/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	s.message(w, http.StatusOK, "已退出", "您已退出看板。"+msgHowToLogin)
}

func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// fail answers 500 and logs the error (never the URL: it may hold a token).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() == nil {
		s.log.ErrorContext(r.Context(), "Dashboard request failed", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	s.message(w, http.StatusInternalServerError, "出错了", "看板暂时无法显示，请稍后再试。")
}
