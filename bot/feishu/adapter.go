package feishu

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"zhenggai/bot"
)

// Modes of receiving.
const (
	ModeWS      = "ws"
	ModeWebhook = "webhook"
)

// DefaultBaseURL is Feishu's OpenAPI and long-connection bootstrap.
const DefaultBaseURL = "https://open.feishu.cn"

// Options configure an Adapter. AppID and AppSecret are required; webhook
// mode also needs VerificationToken and EncryptKey.
type Options struct {
	AppID             string
	AppSecret         string
	VerificationToken string
	EncryptKey        string
	// Mode is ModeWS (default) or ModeWebhook.
	Mode string
	// BaseURL is the OpenAPI and the long connection's bootstrap; default
	// DefaultBaseURL.
	BaseURL string
	// HTTPSProxy, when set, carries every outbound request and the
	// long connection.
	HTTPSProxy string
	// HTTPClient overrides the client built from HTTPSProxy.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Clock checks webhook timestamps and token expiry; default the system
	// clock.
	Clock bot.Clock
	// Metrics count rejected callbacks when the dispatcher has none, and
	// show the long connection (bot.ConnHealth).
	Metrics *bot.Metrics
	// BotOpenID is the bot's own open_id; by default it is read from
	// bot/v3/info when first needed.
	BotOpenID string
	// TimestampWindow is how far a webhook's timestamp may be from now;
	// default 5 minutes.
	TimestampWindow time.Duration
	// PerTargetQPS limits sends to one chat, to one user and updates of
	// one message (SendLimits); default 5.
	PerTargetQPS int
	// CardAnswerBudget bounds the handling of a card callback, which
	// Feishu wants answered within 3 s; default 2.5 s.
	CardAnswerBudget time.Duration
	// ReconnectMin and ReconnectMax bound the wait before the long
	// connection is started again after the SDK gave up (default 1 s and
	// 60 s); the SDK reconnects by itself before that.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
}

// Adapter is Feishu: messages and card JSON 2.0, received over the long
// connection or webhooks, sent through the OpenAPI.
//
// Event.Raw is the event's plaintext JSON as json.RawMessage.
type Adapter struct {
	opts    Options
	log     *slog.Logger
	clock   bot.Clock
	api     *client
	replays *replayCache
	conn    *bot.ConnHealth

	botMu     sync.Mutex
	botOpenID string

	kindMu    sync.Mutex
	chatKinds map[string]bot.ChatKind
}

var (
	_ bot.Adapter         = (*Adapter)(nil)
	_ bot.CallbackMounter = (*Adapter)(nil)
	_ bot.Runner          = (*Adapter)(nil)
	_ bot.CardUpdater     = (*Adapter)(nil)
	_ bot.FileSender      = (*Adapter)(nil)
	_ bot.FileFetcher     = (*Adapter)(nil)
	_ bot.HealthReporter  = (*Adapter)(nil)
	_ bot.Doctor          = (*Adapter)(nil)
	_ bot.Addresser       = (*Adapter)(nil)
	_ bot.SendLimiter     = (*Adapter)(nil)
)

// New returns a Feishu adapter.
func New(opts Options) (*Adapter, error) {
	if opts.AppID == "" || opts.AppSecret == "" {
		return nil, errors.New("feishu: app id and app secret are required")
	}
	opts.Mode = cmp.Or(opts.Mode, ModeWS)
	switch opts.Mode {
	case ModeWS:
	case ModeWebhook:
		if opts.VerificationToken == "" || opts.EncryptKey == "" {
			return nil, errors.New("feishu: webhook mode needs FEISHU_VERIFICATION_TOKEN and FEISHU_ENCRYPT_KEY")
		}
	default:
		return nil, fmt.Errorf("feishu: mode must be %s or %s, not %q", ModeWS, ModeWebhook, opts.Mode)
	}
	opts.BaseURL = strings.TrimRight(cmp.Or(opts.BaseURL, DefaultBaseURL), "/")
	opts.TimestampWindow = cmp.Or(opts.TimestampWindow, 5*time.Minute)
	opts.PerTargetQPS = cmp.Or(opts.PerTargetQPS, 5)
	opts.CardAnswerBudget = cmp.Or(opts.CardAnswerBudget, 2500*time.Millisecond)
	opts.ReconnectMin = cmp.Or(opts.ReconnectMin, time.Second)
	opts.ReconnectMax = cmp.Or(opts.ReconnectMax, time.Minute)
	if opts.HTTPClient == nil {
		opts.HTTPClient = bot.NewHTTPClient(opts.HTTPSProxy, 15*time.Second)
	}
	a := &Adapter{
		opts:      opts,
		log:       cmp.Or(opts.Logger, slog.Default()).With(slog.String("platform", string(bot.Feishu))),
		clock:     opts.Clock,
		replays:   newReplayCache(),
		botOpenID: opts.BotOpenID,
		chatKinds: map[string]bot.ChatKind{},
	}
	if opts.Mode == ModeWebhook {
		a.conn = bot.NewConnHealth(bot.Feishu, opts.Metrics, true, "webhook mode")
	} else {
		a.conn = bot.NewConnHealth(bot.Feishu, opts.Metrics, false, "")
	}
	if a.clock == nil {
		a.clock = bot.SystemClock{}
	}
	a.api = newClient(opts.AppID, opts.AppSecret, opts.BaseURL, opts.HTTPClient, a.clock, a.log)
	return a, nil
}

// Platform returns bot.Feishu.
func (a *Adapter) Platform() bot.Platform { return bot.Feishu }

// DirectTarget addresses a user's 1:1 chat with the bot by open_id.
func (a *Adapter) DirectTarget(openID string) bot.Target {
	return bot.Target{Platform: bot.Feishu, UserID: openID}
}

// noteChatKind remembers whether a chat is 1:1, for card callbacks, which
// do not say.
func (a *Adapter) noteChatKind(chatID string, k bot.ChatKind) {
	a.kindMu.Lock()
	defer a.kindMu.Unlock()
	if len(a.chatKinds) > 50000 {
		clear(a.chatKinds)
	}
	a.chatKinds[chatID] = k
}

func (a *Adapter) chatKind(chatID string) bot.ChatKind {
	a.kindMu.Lock()
	defer a.kindMu.Unlock()
	return cmp.Or(a.chatKinds[chatID], bot.Group)
}
