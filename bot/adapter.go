package bot

import (
	"context"
	"errors"
	"net/http"
	"time"

	"zhenggai/bot/ratelimit"
	"zhenggai/cards"
)

// ErrNotSupported is returned when an adapter lacks an optional capability.
var ErrNotSupported = errors.New("bot: not supported by this platform")

// ErrPermanent marks a send error that retrying cannot fix (a user who left,
// a chat the bot is not in); the delivery is given up and the reason kept.
var ErrPermanent = errors.New("bot: permanent send failure")

// RateLimitedError asks the delivery worker to retry after a while.
type RateLimitedError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitedError) Error() string { return "bot: rate limited: " + e.Err.Error() }
func (e *RateLimitedError) Unwrap() error { return e.Err }

// Adapter is one messenger. Every adapter sends; what else it can do is in
// the optional interfaces below, which callers type-assert.
type Adapter interface {
	Platform() Platform
	// Send delivers m to a chat or user and returns a reference for later
	// updates.
	Send(ctx context.Context, to Target, m *Message) (MessageRef, error)
}

// Dispatcher handles decoded events; *Bot implements it. A nil reply means
// nothing to answer (a duplicate, or an answer already queued).
type Dispatcher interface {
	Dispatch(ctx context.Context, ev *Event) (*Reply, error)
}

// CallbackMounter is an adapter that receives webhook callbacks; it mounts
// its handlers (signature checks, decryption, decoding, acks) on mux.
type CallbackMounter interface {
	Mount(mux *http.ServeMux, d Dispatcher)
}

// Runner is an adapter with a long connection (Feishu ws, DingTalk Stream).
// Run blocks until ctx is done and reconnects by itself.
type Runner interface {
	Run(ctx context.Context, d Dispatcher) error
}

// CardUpdater is an adapter that can redraw a sent card.
type CardUpdater interface {
	UpdateCard(ctx context.Context, ref MessageRef, c *cards.Card) error
}

// FileSender is an adapter that can send a file.
type FileSender interface {
	SendFile(ctx context.Context, to Target, f *File) (MessageRef, error)
}

// SendLimiter is an adapter whose platform limits how fast the app may
// send. The delivery worker applies its rules once, before each send
// (bot/ratelimit); Config.SendRates may replace the App rule.
type SendLimiter interface {
	SendLimits() []ratelimit.Rule
}

// FormLimiter is an adapter whose cards have limits or no text inputs.
// Adapters that do not implement it are taken to render forms fully.
type FormLimiter interface {
	// Forms reports whether cards sent to the target can hold form inputs.
	// When false, the bot asks form fields one by one through a dialog.
	Forms(to Target) bool
}

// HealthReporter is an adapter with a long connection, which it reports in
// /readyz's body (its metrics it keeps itself, through a ConnHealth).
type HealthReporter interface {
	Health() Health
}

// Check is one line of `zhenggai doctor`.
type Check struct {
	Name string
	OK   bool
	Info string
}

// Doctor is an adapter that can check its credentials and setup.
type Doctor interface {
	Doctor(ctx context.Context) []Check
}

// Addresser is an adapter that knows how to reach a person's 1:1 chat from
// a user id (most take the user id as the target itself).
type Addresser interface {
	DirectTarget(userID string) Target
}

// FanOuter is an adapter whose send of a message to a group also delivers
// it to other chats: WeCom app groups and DingTalk without card templates
// send a card's interactive part 1:1 to the mentioned members. FanOut
// returns the 1:1 target each mentioned user id will be sent to, none when
// the send stays in the group. The delivery path uses it to keep one
// message per person per chat (see OneCopyPerChat).
type FanOuter interface {
	FanOut(to Target, m *Message) map[string]Target
}
