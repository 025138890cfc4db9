// Command zhenggai is 整改通: a chat-bot that runs a transport bureau's
// rectification campaign inside Feishu, DingTalk and WeCom. main wires the
// packages together; it is the only place that sees them all.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot"
	"zhenggai/bot/config"
	"zhenggai/bot/dingtalk"
	"zhenggai/bot/feishu"
	"zhenggai/bot/sim"
	"zhenggai/bot/wecom"
	"zhenggai/deploy/demo"
	"zhenggai/handlers"
	"zhenggai/handlers/dash"
	"zhenggai/store"
)

// command is one of zhenggai's commands: its name, its usage lines, and
// what runs it. run gets the app (configuration, logger, database); bare,
// for a command that must work without them, gets the environment only.
type command struct {
	name  string
	usage []usageLine
	run   func(a *app, ctx context.Context, args []string) error
	bare  func(ctx context.Context, args []string, getenv func(string) string) error
}

// usageLine is one form of a command and what it does (none, one or more
// lines).
type usageLine struct {
	form string
	does []string
}

// commands is every command, in the order the usage text lists them.
var commands = []command{
	{name: "serve", usage: []usageLine{{"zhenggai serve", []string{"migrate, then run the bot"}}},
		run: func(a *app, ctx context.Context, _ []string) error { return a.serve(ctx) }},
	{name: "migrate", usage: []usageLine{{"zhenggai migrate", []string{"apply database migrations"}}},
		run: func(a *app, ctx context.Context, _ []string) error { return a.migrate(ctx) }},
	{name: "campaign", usage: []usageLine{
		{"zhenggai campaign apply -f FILE", []string{"create or update the campaign from a YAML file"}},
		{"zhenggai campaign code (--person KEY | --enterprise KEY --contact NAME) [--days N]", []string{"issue a single-use binding code"}},
		{"zhenggai campaign group --unit KEY", []string{"create the unit's WeCom app group"}},
	}, run: (*app).campaign},
	{name: "ledger", usage: []usageLine{
		{"zhenggai ledger export -o FILE.xlsx [--unit KEY]", nil},
		{"zhenggai ledger import -f FILE.xlsx", nil},
	}, run: (*app).ledger},
	{name: "clue", usage: []usageLine{
		{"zhenggai clue export -o FILE.xlsx", nil},
		{"zhenggai clue import -f FILE.xlsx", nil},
	}, run: (*app).clue},
	{name: "milestone", usage: []usageLine{
		{"zhenggai milestone export --key KEY -o DIR", []string{"every unit's package of a milestone (the 总结 materials)"}},
	}, run: (*app).milestone},
	{name: "evidence", usage: []usageLine{
		{"zhenggai evidence export -o DIR [--unit KEY] [--item NUMBER]", []string{"the items' files (佐证) in folders per unit and item, with manifest.csv"}},
	}, run: (*app).evidence},
	{name: "report", usage: []usageLine{{"zhenggai report monthly --period YYYY-MM -o FILE.xlsx", nil}}, run: (*app).report},
	{name: "dashboard", usage: []usageLine{
		{"zhenggai dashboard link --person KEY", []string{"print a single-use 看板 login link for the person (10 minutes)"}},
	}, run: (*app).dashboard},
	{name: "tick", usage: []usageLine{{"zhenggai tick --now RFC3339", []string{"run what the scheduler would run at that instant"}}}, run: (*app).tick},
	{name: "audit", usage: []usageLine{
		{"zhenggai audit verify [--anchor ID:HEX]... [--anchors FILE]", []string{"check the audit log's hash chain (and that it", "still passes through each anchor)"}},
		{"zhenggai audit anchor", []string{"print the chain's head: audit-anchor ID HEX"}},
	}, run: (*app).audit},
	{name: "doctor", usage: []usageLine{{"zhenggai doctor", []string{"check configuration, database and platforms"}}},
		run: func(a *app, ctx context.Context, _ []string) error { return a.doctor(ctx) }},
	{name: "demo", usage: []usageLine{
		{"zhenggai demo load", []string{"give the demo campaign a history up to now", "(only the demo campaign, only when it is empty)"}},
	}, run: (*app).demo},
	{name: "healthcheck", usage: []usageLine{{"zhenggai healthcheck [URL]", []string{"exit 0 when /healthz answers (for container health checks)"}}},
		bare: healthcheck},
}

// usageColumn is where the usage text's descriptions start.
const usageColumn = 50

// usage is the text `zhenggai help` prints, and any misuse on stderr.
func usage() string {
	var b strings.Builder
	b.WriteString("整改通 zhenggai: the rectification campaign bot.\n\nUsage:\n")
	indent := strings.Repeat(" ", usageColumn)
	for _, c := range commands {
		for _, u := range c.usage {
			line := "  " + u.form
			does := u.does
			if len(does) > 0 && len(line) < usageColumn-1 {
				line = fmt.Sprintf("%-*s%s", usageColumn, line, does[0])
				does = does[1:]
			}
			b.WriteString(line + "\n")
			for _, d := range does {
				b.WriteString(indent + d + "\n")
			}
		}
	}
	b.WriteString("\nConfiguration comes from the environment (see README.md).\n")
	return b.String()
}

// errUsage makes run print the usage and exit 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, getenv, stdout)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, usage())
		return 2
	default:
		fmt.Fprintf(stderr, "zhenggai: %v\n", err)
		return 1
	}
}

// dispatch finds the command of args in the table and runs it: a bare one
// at once, the others with the configuration loaded and validated, the
// logger set and the database open.
func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	name, rest := args[0], args[1:]
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(stdout, usage())
		return nil
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		return errUsage
	}
	cmd := commands[i]
	if cmd.bare != nil {
		return cmd.bare(ctx, rest, getenv)
	}
	cfg, err := config.Load(getenv, os.ReadFile)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, os.Stderr)
	slog.SetDefault(log)
	pool, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	return cmd.run(&app{cfg: cfg, log: log, pool: pool, store: st, stdout: stdout}, ctx, rest)
}

// app holds what every command shares.
type app struct {
	cfg    *config.Config
	log    *slog.Logger
	pool   *pgxpool.Pool
	store  *store.Store
	stdout io.Writer
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (a *app) migrate(ctx context.Context) error {
	applied, err := a.migrateSchema(ctx)
	if err != nil {
		return err
	}
	v, err := a.store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "migrations applied: %v; schema version %d\n", applied, v)
	return nil
}

// migrateSchema applies pending migrations as the owner role
// (MIGRATE_DATABASE_URL; DATABASE_URL when only that is set, as in the demo)
// and, when DATABASE_URL is another role, grants it the runtime privileges
// (store/roles.go). A runtime role alone migrates nothing: with a migration
// pending it fails, saying to run zhenggai migrate as the owner.
func (a *app) migrateSchema(ctx context.Context) ([]int, error) {
	if a.cfg.MigrateDatabaseURL == "" || a.cfg.MigrateDatabaseURL == a.cfg.DatabaseURL {
		return a.store.Migrate(ctx)
	}
	pool, err := store.Open(ctx, a.cfg.MigrateDatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("MIGRATE_DATABASE_URL: %w", err)
	}
	defer pool.Close()
	owner := store.New(pool)
	applied, err := owner.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	ownerRole, err := owner.CurrentRole(ctx)
	if err != nil {
		return nil, err
	}
	runtimeRole, err := a.store.CurrentRole(ctx)
	if err != nil {
		return nil, err
	}
	if runtimeRole != ownerRole {
		if err := owner.GrantRuntime(ctx, runtimeRole); err != nil {
			return nil, err
		}
	}
	return applied, nil
}

func (a *app) campaign(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "apply":
		fs := flag.NewFlagSet("campaign apply", flag.ContinueOnError)
		file := fs.String("f", "", "campaign YAML file")
		if err := fs.Parse(args[1:]); err != nil || *file == "" {
			return errUsage
		}
		data, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		f, err := handlers.ParseCampaignFile(*file, data)
		if err != nil {
			return err
		}
		if _, err := a.migrateSchema(ctx); err != nil {
			return err
		}
		res, err := handlers.ApplyCampaign(ctx, a.store, f, store.System)
		if err != nil {
			return fmt.Errorf("campaign apply: %w (nothing was changed)", err)
		}
		fmt.Fprintf(a.stdout, "campaign %s applied: %s\n", f.Campaign.Key, res)
		if c, err := a.store.CampaignByKey(ctx, f.Campaign.Key); err == nil {
			if gap, err := handlers.CalendarGap(ctx, a.store, c); err == nil && len(gap) > 0 {
				fmt.Fprintf(a.stdout, "warning: %s\n", handlers.CalendarGapText(gap))
			}
		}
		return nil
	case "group":
		return a.campaignGroup(ctx, args[1:])
	case "code":
		fs := flag.NewFlagSet("campaign code", flag.ContinueOnError)
		person := fs.String("person", "", "person key")
		ent := fs.String("enterprise", "", "enterprise key")
		contact := fs.String("contact", "", "contact name")
		days := fs.Int("days", 7, "days the code stays valid")
		if err := fs.Parse(args[1:]); err != nil {
			return errUsage
		}
		code, who, err := handlers.IssueBindCode(ctx, a.store, *person, *ent, *contact, time.Now().Add(time.Duration(*days)*24*time.Hour))
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s\t%s\t有效期至 %s\n", code.Code, who, code.ExpiresAt.Format("2006-01-02 15:04"))
		return nil
	}
	return errUsage
}

// audit runs `audit verify [--anchor ID:HEX]... [--anchors FILE]` and
// `audit anchor`.
func (a *app) audit(ctx context.Context, args []string) error {
	switch {
	case len(args) == 1 && args[0] == "anchor":
		// An anchor of a chain that does not verify would vouch for it.
		_, head, err := a.store.VerifiedHead(ctx)
		if err != nil {
			return fmt.Errorf("audit anchor: the chain does not verify, no anchor printed: %w", err)
		}
		fmt.Fprintln(a.stdout, head)
		return nil
	case len(args) >= 1 && args[0] == "verify":
		var anchors []store.AuditAnchor
		fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
		fs.Func("anchor", "an anchor ID:HEX the chain must pass through (repeatable)", func(s string) error {
			x, err := store.ParseAuditAnchor(s)
			anchors = append(anchors, x)
			return err
		})
		file := fs.String("anchors", "", "a file of audit-anchor ID HEX lines")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			return errUsage
		}
		if *file != "" {
			data, err := os.ReadFile(*file)
			if err != nil {
				return fmt.Errorf("audit verify: %w", err)
			}
			more, err := store.ReadAuditAnchors(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("audit verify: %s: %w", *file, err)
			}
			anchors = append(anchors, more...)
		}
		n, err := a.store.VerifyAudit(ctx, anchors...)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "audit chain ok: %d rows, %d anchors\n", n, len(anchors))
		return nil
	}
	return errUsage
}

// buildBot wires the router, the handlers and every configured adapter.
func (a *app) buildBot(clock bot.Clock) (*bot.Bot, error) {
	rt := bot.NewRouter()
	handlers.Register(rt, handlers.Deps{Logger: a.log, Clock: clock, DashboardBase: a.dashboardBase()})
	feishuRate, err := a.cfg.FeishuSendRateValue()
	if err != nil {
		return nil, err
	}
	fileMax, err := a.cfg.FileMaxBytes()
	if err != nil {
		return nil, err
	}
	b, err := bot.New(bot.Config{Store: a.store, Router: rt, Logger: a.log, Clock: clock,
		SendRates: map[bot.Platform]int{bot.Feishu: feishuRate}, FileMaxBytes: fileMax})
	if err != nil {
		return nil, err
	}
	if err := a.addAdapters(b); err != nil {
		return nil, err
	}
	return b, nil
}

// addAdapters enables each platform whose credentials are set, and the
// simulator when none is.
func (a *app) addAdapters(b *bot.Bot) error {
	if a.cfg.FeishuEnabled() {
		fs, err := feishu.New(feishu.Options{
			AppID: a.cfg.FeishuAppID, AppSecret: a.cfg.FeishuAppSecret,
			VerificationToken: a.cfg.FeishuVerificationToken, EncryptKey: a.cfg.FeishuEncryptKey,
			Mode: a.cfg.FeishuMode, BaseURL: a.cfg.FeishuBaseURL, HTTPSProxy: a.cfg.HTTPSProxy,
			Logger: a.log, Metrics: b.Metrics(),
		})
		if err != nil {
			return err
		}
		b.AddAdapter(fs)
	}
	if a.cfg.DingTalkEnabled() {
		dt, err := dingtalk.New(dingtalk.Options{
			ClientID: a.cfg.DingTalkClientID, ClientSecret: a.cfg.DingTalkClientSecret,
			RobotCode: a.cfg.DingTalkRobotCode, Mode: a.cfg.DingTalkMode, BaseURL: a.cfg.DingTalkBaseURL,
			CardCallbackSecret: a.cfg.CardCallbackSecret(),
			CardTemplateID:     a.cfg.DingTalkCardTemplateID, FormTemplateID: a.cfg.DingTalkFormTemplateID,
			PublicBaseURL: a.cfg.PublicBaseURL, HTTPSProxy: a.cfg.HTTPSProxy,
			Logger: a.log, Metrics: b.Metrics(),
		})
		if err != nil {
			return err
		}
		b.AddAdapter(dt)
	}
	if a.cfg.WeComEnabled() {
		// The app, and 微信客服 on the same app and callback.
		wc, err := a.wecom(b.Clock())
		if err != nil {
			return err
		}
		b.AddAdapter(wc)
		b.AddAdapter(wc.KF())
	}
	if a.cfg.SimEnabled() {
		b.AddAdapter(sim.New(a.store, a.log, sim.Options{
			Clock: b.Clock(),
			Tick:  a.ticker(b), // the clock panel (reminders, issue 5)
		}))
	}
	return nil
}

// servePprof serves Go's profiler on addr (a loopback address) until ctx
// ends.
func (a *app) servePprof(ctx context.Context, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	a.log.Info("Profiler", slog.String("addr", addr))
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error("Profiler stopped", slog.Any("error", err))
	}
}

func (a *app) serve(ctx context.Context) error {
	applied, err := a.migrateSchema(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		a.log.Info("Migrations applied", slog.Any("versions", applied))
	}
	b, err := a.buildBot(bot.SystemClock{})
	if err != nil {
		return err
	}
	b.Metrics().Registry.MustRegister(bot.NewQueueCollector(a.store, b.Clock(), a.log)) // queue alerts (deploy/README-operate.md)
	srv := bot.NewServer(a.cfg.HTTPAddr, b)
	dash.New(dash.Config{Store: a.store, Clock: b.Clock(), Logger: a.log, BaseURL: a.dashboardBase()}).Mount(srv.Mux())
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	a.log.Info("Serving", slog.String("addr", ln.Addr().String()), slog.Bool("simulator", a.cfg.SimEnabled()))
	if a.cfg.SimEnabled() {
		fmt.Fprintf(a.stdout, "整改通 simulator: http://%s/sim/\n", displayAddr(ln.Addr().String()))
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if a.cfg.PprofAddr != "" {
		go a.servePprof(runCtx, a.cfg.PprofAddr)
	}
	for _, ad := range b.Adapters() {
		if r, ok := ad.(bot.Runner); ok {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.Run(runCtx, b); err != nil {
					a.log.Error("Long connection stopped", slog.String("platform", string(ad.Platform())), slog.Any("error", err))
				}
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.RunDeliveries(runCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.RunHousekeeping(runCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.newScheduler(b).Run(runCtx)
	}()

	select {
	case <-ctx.Done():
		a.log.Info("Shutting down")
	case err := <-serveErr:
		cancel()
		wg.Wait()
		return err
	}
	// Fixed order: stop taking callbacks, let in-flight ones finish, then
	// stop long connections, the scheduler and the delivery workers, then
	// the database pool (deferred).
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer shutCancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		a.log.Warn("HTTP shutdown", slog.Any("error", err))
	}
	a.log.Debug("HTTP server stopped")
	cancel()
	wg.Wait()
	a.log.Info("Stopped")
	return nil
}

// newScheduler returns the scheduler of reminders and digests over b.
func (a *app) newScheduler(b *bot.Bot) *bot.Scheduler {
	return bot.NewScheduler(bot.SchedulerConfig{Bot: b, Logger: a.log,
		Planner: handlers.NewPlanner(handlers.Deps{Logger: a.log, Clock: b.Clock()})})
}

// ticker returns what the simulator's clock panel runs: a tick at an
// instant, answering a short Chinese summary.
func (a *app) ticker(b *bot.Bot) func(context.Context, time.Time) (string, error) {
	return a.newScheduler(b).Tick
}

// tick runs, as of --now, each schedule's latest occurrence not yet run,
// sends the deliveries and waits for them.
func (a *app) tick(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tick", flag.ContinueOnError)
	nowFlag := fs.String("now", "", "the instant to run at (RFC3339); default now")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("tick: --now %q is not RFC3339 (2023-06-20T09:00:00+08:00)", *nowFlag)
		}
		now = t
	}
	if _, err := a.migrateSchema(ctx); err != nil {
		return err
	}
	// Only planning happens at --now; deliveries, their leases and backoffs
	// run on the real clock, like those of a serving replica beside it.
	b, err := a.buildBot(bot.SystemClock{})
	if err != nil {
		return err
	}
	summary, err := a.newScheduler(b).Tick(ctx, now)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, summary)
	return nil
}

// dashboardBase is the base of the 看板's login links: PUBLIC_BASE_URL, or
// this machine's HTTP address when it is unset (the demo).
func (a *app) dashboardBase() string {
	if a.cfg.PublicBaseURL != "" {
		return a.cfg.PublicBaseURL
	}
	addr := displayAddr(a.cfg.HTTPAddr)
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	return "http://" + addr
}

// dashboard runs `dashboard link --person KEY`.
func (a *app) dashboard(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "link" {
		return errUsage
	}
	fs := flag.NewFlagSet("dashboard link", flag.ContinueOnError)
	person := fs.String("person", "", "person key")
	if err := fs.Parse(args[1:]); err != nil || *person == "" || fs.NArg() > 0 {
		return errUsage
	}
	link, expires, err := handlers.DashboardLinkFor(ctx, a.store, *person, a.dashboardBase(), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n单次有效，%s 前使用\n", link, expires.Format("2006-01-02 15:04"))
	return nil
}

func displayAddr(addr string) string {
	if strings.HasPrefix(addr, "[::]:") {
		return "127.0.0.1:" + strings.TrimPrefix(addr, "[::]:")
	}
	if strings.HasPrefix(addr, "0.0.0.0:") {
		return "127.0.0.1:" + strings.TrimPrefix(addr, "0.0.0.0:")
	}
	return addr
}

// wecom builds the WeCom adapter from the configuration.
func (a *app) wecom(clock bot.Clock) (*wecom.Adapter, error) {
	return wecom.New(wecom.Config{
		CorpID: a.cfg.WeComCorpID, AgentID: a.cfg.WeComAgentID, Secret: a.cfg.WeComSecret,
		Token: a.cfg.WeComToken, EncodingAESKey: a.cfg.WeComEncodingAESKey, BaseURL: a.cfg.WeComBaseURL,
		HTTPSProxy: a.cfg.HTTPSProxy, PublicBaseURL: a.cfg.PublicBaseURL,
		Store: a.store, Clock: clock, Logger: a.log,
	})
}

// campaignGroup creates a unit's WeCom app group (appchat/create) with its
// liaison (the owner), leader and members who have WeCom accounts, and
// records it as the unit's chat.
func (a *app) campaignGroup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("campaign group", flag.ContinueOnError)
	unitKey := fs.String("unit", "", "unit key")
	if err := fs.Parse(args); err != nil || *unitKey == "" {
		return errUsage
	}
	if !a.cfg.WeComEnabled() {
		return errors.New("campaign group: WeCom is not configured (WECOM_CORP_ID, WECOM_SECRET, …)")
	}
	c, err := a.store.CurrentCampaign(ctx)
	if err != nil {
		return fmt.Errorf("campaign group: no campaign applied: %w", err)
	}
	u, err := a.store.UnitByKey(ctx, c.ID, *unitKey)
	if err != nil {
		return fmt.Errorf("campaign group: unit %q: %w", *unitKey, err)
	}
	var ids []int64
	add := func(id *int64) {
		if id != nil && !slices.Contains(ids, *id) {
			ids = append(ids, *id)
		}
	}
	add(u.LiaisonID)
	add(u.LeaderID)
	for i := range u.MemberIDs {
		add(&u.MemberIDs[i])
	}
	accs, err := a.store.AccountsOfPeople(ctx, ids)
	if err != nil {
		return err
	}
	var users []string
	for _, id := range ids {
		for _, acc := range accs[id] {
			if acc.Platform == string(bot.WeCom) {
				users = append(users, acc.ExternalID)
			}
		}
	}
	if len(users) < 2 {
		return fmt.Errorf("campaign group: unit %s has %d people with a WeCom account; an app group needs 2", u.Key, len(users))
	}
	wc, err := a.wecom(bot.SystemClock{})
	if err != nil {
		return err
	}
	chatID := "zg"
	for _, r := range u.Key {
		if (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			chatID += string(r)
		}
	}
	chatID = chatID[:min(len(chatID), 32)]
	title := u.Name + "专项整治工作群"
	id, err := wc.CreateAppChat(ctx, title, users[0], users, chatID)
	if err != nil {
		return fmt.Errorf("campaign group: %w", err)
	}
	err = a.store.InTx(ctx, func(tx *store.Store) error {
		ch := &store.Chat{Platform: string(bot.WeCom), ExternalID: id, Kind: string(bot.Group), UnitID: &u.ID, Title: title, Active: true}
		if err := tx.UpsertChat(ctx, ch); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, store.AuditParams{Actor: store.System, Entity: "chat", EntityID: fmt.Sprint(ch.ID), Action: "wecom_group_created", New: ch})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "WeCom app group %s created for %s with %s; add `chats: {wecom: %s}` to the unit in the campaign file\n",
		id, u.Name, strings.Join(users, ", "), id)
	return nil
}

func (a *app) doctor(ctx context.Context) error {
	w := a.stdout
	fmt.Fprintln(w, "Configuration:")
	for _, line := range strings.Split(strings.TrimSpace(a.cfg.String()), "\n") {
		fmt.Fprintln(w, "  "+line)
	}
	ok := true
	check := func(name string, good bool, info string) {
		mark := "ok  "
		if !good {
			mark, ok = "FAIL", false
		}
		fmt.Fprintf(w, "[%s] %s: %s\n", mark, name, info)
	}
	if err := a.store.Ping(ctx); err != nil {
		check("database", false, err.Error())
		return errors.New("doctor found problems")
	}
	check("database", true, "answers")
	if v, err := a.store.SchemaVersion(ctx); err != nil {
		check("schema", false, "not migrated (run zhenggai migrate)")
	} else {
		check("schema", true, fmt.Sprintf("version %d", v))
	}
	if a.cfg.MigrateDatabaseURL != "" && a.cfg.MigrateDatabaseURL != a.cfg.DatabaseURL {
		if pool, err := store.Open(ctx, a.cfg.MigrateDatabaseURL); err != nil {
			check("migrate role", false, err.Error())
		} else {
			r, err := store.New(pool).AuditRightsOfCurrentRole(ctx)
			pool.Close()
			switch {
			case err != nil:
				check("migrate role", false, err.Error())
			case !r.Owner:
				check("migrate role", false, r.Role+" does not own the tables: MIGRATE_DATABASE_URL must be the owner role")
			default:
				check("migrate role", true, r.Role+" owns the tables")
			}
		}
	}
	if r, err := a.store.AuditRightsOfCurrentRole(ctx); err == nil {
		if r.Owner || r.Write {
			// One URL for both roles: fine for the demo, not for production.
			fmt.Fprintf(w, "[warn] database role: %s can rewrite the audit log (one role migrates and serves); in production serve as a runtime role and migrate with MIGRATE_DATABASE_URL (deploy/README-operate.md)\n", r.Role)
		} else {
			check("database role", true, r.Role+" may only read the audit log and append to it")
		}
	}
	if c, err := a.store.CurrentCampaign(ctx); err != nil {
		check("campaign", false, "none applied (run zhenggai campaign apply -f FILE)")
	} else {
		check("campaign", true, fmt.Sprintf("%s (%s)", c.Name, c.Key))
		if gap, err := handlers.CalendarGap(ctx, a.store, c); err == nil && len(gap) > 0 {
			fmt.Fprintf(w, "[warn] calendar: %s\n", handlers.CalendarGapText(gap))
		}
	}
	if fs, err := a.store.Files(ctx); err == nil {
		check("files", true, fmt.Sprintf("%d stored (佐证), %.1f MB of content, %.1f MB on disk", fs.Count, float64(fs.Bytes)/(1<<20), float64(fs.TableBytes)/(1<<20)))
	}
	platforms := []string{}
	for _, p := range []struct {
		name string
		on   bool
	}{{"feishu", a.cfg.FeishuEnabled()}, {"dingtalk", a.cfg.DingTalkEnabled()}, {"wecom", a.cfg.WeComEnabled()}} {
		if p.on {
			platforms = append(platforms, p.name)
		}
	}
	if len(platforms) == 0 {
		check("platforms", true, "none configured: the simulator is on at /sim/")
	} else {
		check("platforms", true, strings.Join(platforms, ", "))
	}
	b, err := a.buildBot(bot.SystemClock{})
	if err != nil {
		check("bot", false, err.Error())
	} else {
		for _, ad := range b.Adapters() {
			if d, isDoctor := ad.(bot.Doctor); isDoctor {
				for _, c := range d.Doctor(ctx) {
					check(string(ad.Platform())+": "+c.Name, c.OK, c.Info)
				}
			}
		}
	}
	if !ok {
		return errors.New("doctor found problems")
	}
	return nil
}

// healthcheck asks /healthz of the local server: the container image has no
// curl, so the binary checks itself.
func healthcheck(ctx context.Context, args []string, getenv func(string) string) error {
	url := "http://127.0.0.1" + portOf(getenv("HTTP_ADDR")) + "/healthz"
	if len(args) > 0 {
		url = args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", url, resp.StatusCode)
	}
	return nil
}

func portOf(addr string) string {
	if addr == "" {
		return ":8080"
	}
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ":" + addr
}

// ledger runs `ledger export -o FILE [--unit KEY]` and `ledger import -f FILE`.
func (a *app) ledger(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "export":
		fs := flag.NewFlagSet("ledger export", flag.ContinueOnError)
		out := fs.String("o", "", "output .xlsx file")
		unit := fs.String("unit", "", "unit key (default: every unit)")
		if err := fs.Parse(args[1:]); err != nil || *out == "" {
			return errUsage
		}
		var buf bytes.Buffer
		n, err := handlers.ExportLedger(ctx, a.store, &buf, *unit)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "ledger exported: %d items to %s\n", n, *out)
		return nil
	case "import":
		fs := flag.NewFlagSet("ledger import", flag.ContinueOnError)
		file := fs.String("f", "", "input .xlsx file")
		if err := fs.Parse(args[1:]); err != nil || *file == "" {
			return errUsage
		}
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		res, err := handlers.ImportLedger(ctx, a.store, f, store.System)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "ledger imported: %s\n", res)
		return nil
	}
	return errUsage
}

// clue runs `clue export -o FILE` and `clue import -f FILE`.
func (a *app) clue(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet("clue "+args[0], flag.ContinueOnError)
	out := fs.String("o", "", "output .xlsx file")
	file := fs.String("f", "", "input .xlsx file")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	switch {
	case args[0] == "export" && *out != "":
		var buf bytes.Buffer
		n, err := handlers.ExportClues(ctx, a.store, &buf, time.Now())
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "clues exported: %d to %s\n", n, *out)
		return nil
	case args[0] == "import" && *file != "":
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := handlers.ImportClues(ctx, a.store, f, store.System, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "clues imported: %d\n", n)
		return nil
	}
	return errUsage
}

// milestone runs `milestone export --key KEY -o DIR`.
func (a *app) milestone(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return errUsage
	}
	fs := flag.NewFlagSet("milestone export", flag.ContinueOnError)
	key := fs.String("key", "", "milestone key (campaign file)")
	out := fs.String("o", "", "output directory")
	if err := fs.Parse(args[1:]); err != nil || *key == "" || *out == "" {
		return errUsage
	}
	n, err := handlers.ExportMilestone(ctx, a.store, *key, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "milestone %s exported: %d units to %s\n", *key, n, *out)
	return nil
}

// evidence runs `evidence export -o DIR [--unit KEY] [--item NUMBER]`.
func (a *app) evidence(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return errUsage
	}
	fs := flag.NewFlagSet("evidence export", flag.ContinueOnError)
	out := fs.String("o", "", "output directory")
	unit := fs.String("unit", "", "unit key (default: every unit)")
	item := fs.String("item", "", "item number (default: every item)")
	if err := fs.Parse(args[1:]); err != nil || *out == "" {
		return errUsage
	}
	n, err := handlers.ExportEvidence(ctx, a.store, *out, *unit, *item)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "evidence exported: %d files to %s (manifest.csv)\n", n, *out)
	return nil
}

// report runs `report monthly --period YYYY-MM -o FILE`.
func (a *app) report(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "monthly" {
		return errUsage
	}
	fs := flag.NewFlagSet("report monthly", flag.ContinueOnError)
	period := fs.String("period", "", "period YYYY-MM")
	out := fs.String("o", "", "output .xlsx file")
	if err := fs.Parse(args[1:]); err != nil || *period == "" || *out == "" {
		return errUsage
	}
	var buf bytes.Buffer
	if err := handlers.ExportMonthly(ctx, a.store, &buf, *period, time.Now()); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "monthly report %s written to %s\n", *period, *out)
	return nil
}

// demo runs `zhenggai demo load`: the demo campaign's history, played up to
// now (package demo). A campaign that is not the demo, or has a history
// already, is left alone and said so; neither is an error for run.sh.
func (a *app) demo(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "load" {
		return errUsage
	}
	res, err := demo.Load(ctx, a.store, time.Now(), a.log)
	switch {
	case errors.Is(err, demo.ErrNotDemo):
		fmt.Fprintln(a.stdout, "demo: the current campaign is not the demo campaign; nothing loaded")
		return nil
	case errors.Is(err, demo.ErrNotEmpty):
		fmt.Fprintln(a.stdout, "demo: the demo campaign already has a history; nothing loaded")
		return nil
	case err != nil:
		return err
	}
	fmt.Fprintf(a.stdout, "demo: %d items, %d monthly reports, %d enterprise requests, %d clues, played from %s to %s\n",
		res.Items, res.Reports, res.Requests, res.Clues, res.From.Format("2006-01-02"), res.To.Format("2006-01-02"))
	return nil
}
