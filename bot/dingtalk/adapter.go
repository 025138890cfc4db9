package dingtalk

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/logger"

	"zhenggai/bot"
	"zhenggai/cards"
)

// Modes of receiving.
const (
	ModeStream = "stream"
	ModeHTTP   = "http"
)

// DefaultBaseURL is the v1.0 API.
const DefaultBaseURL = "https://api.dingtalk.com"

// defaultOAPIBaseURL is the older API, used for media upload.
const defaultOAPIBaseURL = "https://oapi.dingtalk.com"

// callbackRouteKey names our HTTP card-callback route (HTTP mode).
const callbackRouteKey = "zhenggai"

// Options configure an Adapter. ClientID, ClientSecret and RobotCode are
// required; the rest have defaults.
type Options struct {
	ClientID     string
	ClientSecret string
	// RobotCode is the robot's code (the AppKey for enterprise apps).
	RobotCode string
	// Mode is ModeStream (default) or ModeHTTP.
	Mode string
	// BaseURL is the v1.0 API and the Stream gateway; default
	// DefaultBaseURL.
	BaseURL string
	// OAPIBaseURL is the older API for media upload; default
	// https://oapi.dingtalk.com, or BaseURL when BaseURL is not the default
	// (a test fake or a gateway serves both).
	OAPIBaseURL string
	// CardCallbackSecret is the apiSecret of HTTP card callbacks; default
	// ClientSecret.
	CardCallbackSecret string
	// CardTemplateID and FormTemplateID are our two card-platform
	// templates (deploy/dingtalk/). Without CardTemplateID cards go out as
	// markdown; without FormTemplateID forms become dialogs.
	CardTemplateID string
	FormTemplateID string
	// Command is the text a no-template message's link sends for a button
	// (clicked in the 1:1 chat, it arrives as the user's message); default
	// cards.DingTalkLabel, the button's Typed text, which typed does what
	// the button does.
	Command cards.DingTalkCommand
	// PublicBaseURL is where DingTalk reaches us in HTTP mode; the card
	// callback route is registered at PublicBaseURL/callback/dingtalk/card.
	PublicBaseURL string
	// HTTPSProxy, when set, carries every outbound request.
	HTTPSProxy string
	// HTTPClient overrides the client built from HTTPSProxy.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Clock checks callback timestamps and token expiry; default the
	// system clock.
	Clock bot.Clock
	// Metrics count rejected callbacks when the dispatcher has none, and
	// show the Stream connection (bot.ConnHealth).
	Metrics *bot.Metrics
	// QPS limits API calls of the app (default 20 a second); the limits
	// on sends to one chat or user are SendLimits.
	QPS float64
	// ReconnectMin and ReconnectMax bound the Stream reconnect backoff
	// (default 1 s and 60 s); ProbeInterval is how often a live connection
	// is checked (default 10 s); KeepAlive the idle time before a ping
	// (default 30 s).
	ReconnectMin  time.Duration
	ReconnectMax  time.Duration
	ProbeInterval time.Duration
	KeepAlive     time.Duration
	// CardAnswerBudget bounds the handling of a card callback, which
	// DingTalk wants answered within 2 s; default 1.8 s.
	CardAnswerBudget time.Duration
	// UpdateDelay is how long after answering a callback everyone's copy of
	// the card is updated (DingTalk asks not to update from inside the
	// callback); default 500 ms, negative for none.
	UpdateDelay time.Duration
}

// Adapter is DingTalk: robot messages and interactive cards, received over
// Stream or HTTP, sent through the v1.0 API.
//
// Event.Raw is *robotMessage for messages and *cardCallback for card
// actions. Event ids are msgId for messages and "card:" + a hash of
// (outTrackId, user, action, content) for card callbacks. A 1:1 chat has
// no chat id: replies go to the sender by user id.
type Adapter struct {
	opts   Options
	log    *slog.Logger
	clock  bot.Clock
	api    *client
	stream streamState

	routeMu    sync.Mutex
	routeReady bool

	// bg tracks the card updates sent after callbacks.
	bg sync.WaitGroup
}

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.CallbackMounter = (*Adapter)(nil)
	_ bot.Runner          = (*Adapter)(nil)
	_ bot.CardUpdater     = (*Adapter)(nil)
	_ bot.FileSender      = (*Adapter)(nil)
	_ bot.FileFetcher     = (*Adapter)(nil)
	_ bot.FormLimiter     = (*Adapter)(nil)
	_ bot.HealthReporter  = (*Adapter)(nil)
	_ bot.Doctor          = (*Adapter)(nil)
	_ bot.Addresser       = (*Adapter)(nil)
	_ bot.FanOuter        = (*Adapter)(nil)
	_ bot.SendLimiter     = (*Adapter)(nil)
)

// New returns a DingTalk adapter.
func New(opts Options) (*Adapter, error) {
	if opts.ClientID == "" || opts.ClientSecret == "" || opts.RobotCode == "" {
		return nil, errors.New("dingtalk: client id, client secret and robot code are required")
	}
	opts.Mode = cmp.Or(opts.Mode, ModeStream)
	if opts.Mode != ModeStream && opts.Mode != ModeHTTP {
		return nil, fmt.Errorf("dingtalk: mode must be %s or %s, not %q", ModeStream, ModeHTTP, opts.Mode)
	}
	if opts.Mode == ModeHTTP && (opts.CardTemplateID != "" || opts.FormTemplateID != "") && opts.PublicBaseURL == "" {
		return nil, errors.New("dingtalk: DINGTALK_MODE=http with card templates needs PUBLIC_BASE_URL: the card callback URL is registered from it")
	}
	opts.BaseURL = strings.TrimRight(cmp.Or(opts.BaseURL, DefaultBaseURL), "/")
	if opts.OAPIBaseURL == "" {
		opts.OAPIBaseURL = defaultOAPIBaseURL
		if opts.BaseURL != DefaultBaseURL {
			opts.OAPIBaseURL = opts.BaseURL
		}
	}
	opts.OAPIBaseURL = strings.TrimRight(opts.OAPIBaseURL, "/")
	opts.CardCallbackSecret = cmp.Or(opts.CardCallbackSecret, opts.ClientSecret)
	if opts.Command == nil {
		opts.Command = cards.DingTalkLabel
	}
	opts.ReconnectMin = cmp.Or(opts.ReconnectMin, time.Second)
	opts.ReconnectMax = cmp.Or(opts.ReconnectMax, time.Minute)
	opts.ProbeInterval = cmp.Or(opts.ProbeInterval, 10*time.Second)
	opts.KeepAlive = cmp.Or(opts.KeepAlive, 30*time.Second)
	opts.CardAnswerBudget = cmp.Or(opts.CardAnswerBudget, 1800*time.Millisecond)
	if opts.UpdateDelay == 0 {
		opts.UpdateDelay = 500 * time.Millisecond
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = bot.NewHTTPClient(opts.HTTPSProxy, 15*time.Second)
	}
	sdkLoggerOnce.Do(func() { logger.SetLogger(quietSDKLogger{}) })
	a := &Adapter{
		opts:  opts,
		log:   cmp.Or(opts.Logger, slog.Default()).With(slog.String("platform", string(bot.DingTalk))),
		clock: opts.Clock,
	}
	if opts.Mode == ModeHTTP {
		a.stream.health = bot.NewConnHealth(bot.DingTalk, opts.Metrics, true, "http mode")
	} else {
		a.stream.health = bot.NewConnHealth(bot.DingTalk, opts.Metrics, false, "")
	}
	if a.clock == nil {
		a.clock = bot.SystemClock{}
	}
	a.api = &client{
		http: hc, baseURL: opts.BaseURL, oapiBaseURL: opts.OAPIBaseURL,
		appKey: opts.ClientID, appSecret: opts.ClientSecret, clock: a.clock,
		limit: newAPILimiter(opts.QPS),
	}
	return a, nil
}

// Platform returns bot.DingTalk.
func (a *Adapter) Platform() bot.Platform { return bot.DingTalk }

// Forms reports whether cards can hold forms: when the form template is
// configured.
func (a *Adapter) Forms(bot.Target) bool { return a.opts.FormTemplateID != "" }

// DirectTarget addresses a user's 1:1 chat with the robot by user id.
func (a *Adapter) DirectTarget(userID string) bot.Target {
	return bot.Target{Platform: bot.DingTalk, UserID: userID}
}

// Wait waits for the card updates started by callbacks to finish.
func (a *Adapter) Wait() { a.bg.Wait() }

// Send sends text and a card as one message where it can: the text becomes
// the card's first section, so a retry after a failure never repeats half
// of it. Cards go out through the templates, or as markdown without them.
func (a *Adapter) Send(ctx context.Context, to bot.Target, m *bot.Message) (bot.MessageRef, error) {
	if m.File != nil {
		return a.SendFile(ctx, to, m.File)
	}
	if err := checkTarget(to); err != nil {
		return bot.MessageRef{}, err
	}
	if m.Card == nil && m.Text == "" {
		return bot.MessageRef{}, fmt.Errorf("dingtalk: empty message: %w", bot.ErrPermanent)
	}
	if m.Card == nil {
		return a.sendRobot(ctx, to, "sampleText", map[string]string{"content": m.Text})
	}
	c := m.Card
	if m.Text != "" {
		cc := *c
		cc.Blocks = append([]cards.Block{cards.MD(m.Text)}, c.Blocks...)
		c = &cc
	}
	return a.sendCard(ctx, to, c, m.Mentions)
}

// SendFile uploads f and sends it as a file message.
func (a *Adapter) SendFile(ctx context.Context, to bot.Target, f *bot.File) (bot.MessageRef, error) {
	if err := checkTarget(to); err != nil {
		return bot.MessageRef{}, err
	}
	id, err := a.api.uploadMedia(ctx, f)
	if err != nil {
		return bot.MessageRef{}, err
	}
	ext := strings.TrimPrefix(strings.ToLower(pathExt(f.Name)), ".")
	return a.sendRobot(ctx, to, "sampleFile", map[string]string{"mediaId": id, "fileName": f.Name, "fileType": ext})
}

func checkTarget(to bot.Target) error {
	if (to.ChatID == "") == (to.UserID == "") {
		return fmt.Errorf("dingtalk: target needs exactly one of chat and user: %w", bot.ErrPermanent)
	}
	return nil
}

func targetKey(to bot.Target) string {
	if to.ChatID != "" {
		return "chat:" + to.ChatID
	}
	return "user:" + to.UserID
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// newOutTrackID returns a fresh card instance id; the prefix records which
// template the card was created with ("zgf" the form template, "zgc" the
// read-only one).
func newOutTrackID(form bool) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	prefix := "zgc-"
	if form {
		prefix = "zgf-"
	}
	return prefix + hex.EncodeToString(b[:])
}

// isCardRef reports whether ref names a card instance, and whether that
// card was made with the form template.
func isCardRef(id string) (card, form bool) {
	switch {
	case strings.HasPrefix(id, "zgf-"):
		return true, true
	case strings.HasPrefix(id, "zgc-"):
		return true, false
	}
	return false, false
}
