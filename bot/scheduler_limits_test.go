package bot

import (
	"strconv"
	"testing"
	"time"
)

func TestRateLimits(t *testing.T) {
	t.Parallel()
	var l rateLimits
	now := time.Date(2023, 6, 20, 9, 0, 0, 0, time.UTC)
	chat := Target{Platform: Feishu, ChatID: "oc_1"}
	for i := range 5 {
		if w := l.reserve(chat, now); w != 0 {
			t.Fatalf("feishu send %d waits %v", i, w)
		}
	}
	if w := l.reserve(chat, now); w != 200*time.Millisecond {
		t.Errorf("6th feishu send in a second waits %v, want 200ms", w)
	}
	if w := l.reserve(Target{Platform: Feishu, ChatID: "oc_2"}, now); w != 0 {
		t.Errorf("another chat waits %v", w)
	}
	member := Target{Platform: WeCom, UserID: "zhangsan"}
	for i := range 30 {
		if w := l.reserve(member, now); w != 0 {
			t.Fatalf("wecom send %d waits %v", i, w)
		}
	}
	if w := l.reserve(member, now); w != 2*time.Second {
		t.Errorf("31st wecom send in a minute waits %v, want 2s", w)
	}
	// The 31st took the token it waited for; the 32nd would wait 4 s, too
	// long to hold the worker, and takes nothing.
	if w := l.reserve(member, now); w != 4*time.Second {
		t.Errorf("32nd waits %v, want 4s", w)
	}
	if w := l.reserve(member, now.Add(4*time.Second)); w != 0 {
		t.Errorf("after 4s the 32nd waits %v", w)
	}
	if w := l.reserve(Target{Platform: Sim, ChatID: "g:x"}, now); w != 0 {
		t.Errorf("sim is not limited, waits %v", w)
	}
}

func TestSendRatesOverridePlatformLimit(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		rates map[Platform]int
		free  int // sends to distinct users before the first wait
	}{
		{nil, 50},
		{map[Platform]int{Feishu: 200}, 200},
		{map[Platform]int{Feishu: 0}, 1000},
	} {
		l := rateLimits{}
		if c.rates != nil {
			l.platform = platformRates(c.rates)
		}
		n := 0
		for ; n < 1000; n++ {
			if l.reserve(Target{Platform: Feishu, UserID: "ou_" + strconv.Itoa(n)}, now) > 0 {
				break
			}
		}
		if n != c.free {
			t.Errorf("rates %v: %d sends before a wait, want %d", c.rates, n, c.free)
		}
	}
}
