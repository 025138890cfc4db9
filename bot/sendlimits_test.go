package bot

import (
	"reflect"
	"testing"
	"time"

	"zhenggai/bot/ratelimit"
)

// limitedAdapter declares send limits.
type limitedAdapter struct{ plainAdapter }

func (a limitedAdapter) SendLimits() []ratelimit.Rule {
	return append(ratelimit.PerRecipient(5, time.Second), ratelimit.Rule{Scope: ratelimit.App, N: 50, Per: time.Second})
}

// TestSendRatesReplaceAppRule: Config.SendRates (FEISHU_SEND_RATE) replaces
// the app-wide rule an adapter declares, 0 removes it, and the recipients'
// rules stay.
func TestSendRatesReplaceAppRule(t *testing.T) {
	t.Parallel()
	perRecipient := ratelimit.PerRecipient(5, time.Second)
	for _, c := range []struct {
		rates map[Platform]int
		want  []ratelimit.Rule
	}{
		{nil, limitedAdapter{}.SendLimits()},
		{map[Platform]int{Feishu: 200}, append(perRecipient, ratelimit.Rule{Scope: ratelimit.App, N: 200, Per: time.Second})},
		{map[Platform]int{Feishu: 0}, perRecipient},
		{map[Platform]int{WeCom: 0}, limitedAdapter{}.SendLimits()},
	} {
		b := &Bot{sendRates: c.rates}
		if got := b.sendLimits(limitedAdapter{plainAdapter{Feishu}}); !reflect.DeepEqual(got, c.want) {
			t.Errorf("rates %v: rules %v, want %v", c.rates, got, c.want)
		}
	}
	if got := (&Bot{}).sendLimits(plainAdapter{Feishu}); got != nil {
		t.Errorf("an adapter without SendLimits gets rules %v", got)
	}
}
