// Package wecom is the WeCom (企业微信) adapter: the self-built app's
// encrypted callbacks at GET|POST /callback/wecom, message/send with template
// cards, update_template_card, app-created groups (appchat), media upload,
// and 微信客服 (the wecom_kf platform) for enterprises writing from plain
// WeChat. Facts and pitfalls: shared/platforms/wecom-dingtalk.md.
//
// Identity: a member is addressed by userid (Target.UserID), an app group by
// its chatid (Target.ChatID), a WeChat user of 微信客服 by external_userid.
// A sent template card's MessageRef has the card's task_id as MessageID and
// its response_code as Token.
package wecom

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
)

// Config is what the adapter is built from (WECOM_* of DESIGN 7.2).
type Config struct {
	CorpID         string
	AgentID        string
	Secret         string
	Token          string
	EncodingAESKey string
	// BaseURL defaults to https://qyapi.weixin.qq.com.
	BaseURL string
	// HTTPSProxy, when set, is the egress proxy for API calls.
	HTTPSProxy string
	// PublicBaseURL is where read-only cards link to (text_notice needs a
	// link); empty sends them as markdown.
	PublicBaseURL string
	// HTTPClient replaces the default client (tests).
	HTTPClient *http.Client
	// Store keeps the per-member send counts and the 微信客服 cursors and
	// windows; required.
	Store  *store.Store
	Clock  bot.Clock
	Logger *slog.Logger
	// MemberLimits are the per-member send limits; default 30 a minute and
	// 1000 an hour.
	MemberLimits []store.SendLimit
	// CallbackBudget is how long a card click may spend updating the card
	// before the callback is answered; default 3 s (WeCom waits 5 s).
	CallbackBudget time.Duration
	// KFWelcome greets WeChat users entering the 微信客服 chat; empty is
	// DefaultKFWelcome, "-" sends none.
	KFWelcome string
	// MaxSkew rejects POST callbacks whose signed timestamp is further from
	// now; default 1 hour.
	MaxSkew time.Duration
}

// Adapter is the WeCom app. KF returns its 微信客服 side.
type Adapter struct {
	cfg     Config
	agentID int
	client  *Client
	crypto  *Crypto
	store   *store.Store
	clock   bot.Clock
	log     *slog.Logger
	limits  []store.SendLimit
	kf      *KFAdapter
}

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.CallbackMounter = (*Adapter)(nil)
	_ bot.CardUpdater     = (*Adapter)(nil)
	_ bot.FileSender      = (*Adapter)(nil)
	_ bot.FileFetcher     = (*Adapter)(nil)
	_ bot.FormLimiter     = (*Adapter)(nil)
	_ bot.Doctor          = (*Adapter)(nil)
	_ bot.FanOuter        = (*Adapter)(nil)
	_ bot.Addresser       = (*Adapter)(nil)
	_ bot.SendLimiter     = (*Adapter)(nil)
)

// New builds the adapter and its 微信客服 side from cfg.
func New(cfg Config) (*Adapter, error) {
	var errs []error
	if cfg.CorpID == "" || cfg.Secret == "" {
		errs = append(errs, errors.New("wecom: corp id and secret are required"))
	}
	agentID, err := strconv.Atoi(cfg.AgentID)
	if err != nil {
		errs = append(errs, fmt.Errorf("wecom: agent id %q is not a number", cfg.AgentID))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("wecom: a store is required"))
	}
	crypto, err := NewCrypto(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = bot.NewHTTPClient(cfg.HTTPSProxy, 15*time.Second)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = bot.SystemClock{}
	}
	a := &Adapter{
		cfg:     cfg,
		agentID: agentID,
		crypto:  crypto,
		store:   cfg.Store,
		clock:   clock,
		log:     cmp.Or(cfg.Logger, slog.Default()).With(slog.String("platform", string(bot.WeCom))),
		limits:  cfg.MemberLimits,
	}
	if a.limits == nil {
		a.limits = []store.SendLimit{{Per: time.Minute, Max: 30}, {Per: time.Hour, Max: 1000}}
	}
	a.client = &Client{base: strings.TrimRight(cmp.Or(cfg.BaseURL, "https://qyapi.weixin.qq.com"), "/"), http: hc}
	a.client.token = &TokenHandle{c: a.client, corpID: cfg.CorpID, secret: cfg.Secret, clock: clock}
	a.kf = newKF(a)
	return a, nil
}

// Platform is bot.WeCom.
func (a *Adapter) Platform() bot.Platform { return bot.WeCom }

// KF returns the 微信客服 adapter (platform wecom_kf); add it to the bot too.
func (a *Adapter) KF() *KFAdapter { return a.kf }

// Client returns the API client.
func (a *Adapter) Client() *Client { return a.client }

// Forms is false: WeCom cards have no text input. The bot asks form fields
// one by one in the 1:1 chat.
func (a *Adapter) Forms(bot.Target) bool { return false }

// DirectTarget addresses a member's 1:1 chat with the app.
func (a *Adapter) DirectTarget(userID string) bot.Target {
	return bot.Target{Platform: bot.WeCom, UserID: userID}
}

// newTaskID returns a task_id unique per app: 24 random characters of
// [0-9A-Za-z] after "zg-".
func newTaskID() string { return "zg-" + randomString(24) }
