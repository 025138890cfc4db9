package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

// The rules the adapters declare (bot/feishu, bot/wecom, bot/dingtalk).
var (
	feishu = []Rule{{App, 50, time.Second}, {Chat, 5, time.Second}, {User, 5, time.Second}, {Message, 5, time.Second}}
	wecom  = []Rule{{Chat, 30, time.Minute}, {User, 30, time.Minute}}
)

func TestReserve(t *testing.T) {
	t.Parallel()
	s := New(3 * time.Second)
	s.Declare("feishu", feishu...)
	s.Declare("wecom", wecom...)
	now := time.Date(2023, 6, 20, 9, 0, 0, 0, time.UTC)
	chat := Send{Platform: "feishu", Chat: "oc_1"}
	for i := range 5 {
		if w := s.Reserve(chat, now); w != 0 {
			t.Fatalf("feishu send %d waits %v", i, w)
		}
	}
	if w := s.Reserve(chat, now); w != 200*time.Millisecond {
		t.Errorf("6th feishu send in a second waits %v, want 200ms", w)
	}
	if w := s.Reserve(Send{Platform: "feishu", Chat: "oc_2"}, now); w != 0 {
		t.Errorf("another chat waits %v", w)
	}
	if w := s.Reserve(Send{Platform: "feishu", User: "oc_1"}, now); w != 0 {
		t.Errorf("a user whose id is a chat's waits %v", w)
	}
	member := Send{Platform: "wecom", User: "zhangsan"}
	for i := range 30 {
		if w := s.Reserve(member, now); w != 0 {
			t.Fatalf("wecom send %d waits %v", i, w)
		}
	}
	if w := s.Reserve(member, now); w != 2*time.Second {
		t.Errorf("31st wecom send in a minute waits %v, want 2s", w)
	}
	// The 31st took the token it waited for; the 32nd would wait 4 s, too
	// long to hold the worker, and takes nothing.
	if w := s.Reserve(member, now); w != 4*time.Second {
		t.Errorf("32nd waits %v, want 4s", w)
	}
	if w := s.Reserve(member, now.Add(4*time.Second)); w != 0 {
		t.Errorf("after 4s the 32nd waits %v", w)
	}
	if w := s.Reserve(Send{Platform: "sim", Chat: "g:x"}, now); w != 0 {
		t.Errorf("a platform without rules is not limited, waits %v", w)
	}
}

// TestReserveAllOrNothing: a send refused by one bucket takes no token
// from the others.
func TestReserveAllOrNothing(t *testing.T) {
	t.Parallel()
	s := New(3 * time.Second)
	s.Declare("feishu", feishu...)
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	// 20 updates of om_1 from other chats: 5 at once, 15 waiting up to 3 s.
	for i := range 20 {
		if w := s.Reserve(Send{Platform: "feishu", Chat: "oc_" + strconv.Itoa(i+10), Message: "om_1"}, now); w > 3*time.Second {
			t.Fatalf("update %d waits %v", i, w)
		}
	}
	// The next would wait 3.2 s: refused, and oc_1 keeps its tokens.
	if w := s.Reserve(Send{Platform: "feishu", Chat: "oc_1", Message: "om_1"}, now); w != 3200*time.Millisecond {
		t.Fatalf("update over the message's limit waits %v, want 3.2s", w)
	}
	for i := range 5 {
		if w := s.Reserve(Send{Platform: "feishu", Chat: "oc_1"}, now); w != 0 {
			t.Errorf("send %d to the chat waits %v: it lost tokens to a refused update", i, w)
		}
	}
}

func TestWithAppRate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		rules []Rule
		free  int // sends to distinct users before the first wait
	}{
		{feishu, 50},
		{WithAppRate(feishu, 200), 200},
		{WithAppRate(feishu, 0), 1000},
		{WithAppRate(wecom, 10), 10},
	} {
		s := New(3 * time.Second)
		s.Declare("p", c.rules...)
		n := 0
		for ; n < 1000; n++ {
			if s.Reserve(Send{Platform: "p", User: "ou_" + strconv.Itoa(n)}, now) > 0 {
				break
			}
		}
		if n != c.free {
			t.Errorf("rules %v: %d sends before a wait, want %d", c.rules, n, c.free)
		}
	}
}

// TestPrune: idle buckets are dropped once there are many, and a dropped
// bucket counts as a full one.
func TestPrune(t *testing.T) {
	t.Parallel()
	s := New(3 * time.Second)
	s.Declare("feishu", WithAppRate(feishu, 0)...)
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := range maxBuckets {
		s.Reserve(Send{Platform: "feishu", User: "ou_" + strconv.Itoa(i)}, now)
	}
	busy := Send{Platform: "feishu", Chat: "oc_busy"}
	for range 5 {
		s.Reserve(busy, now.Add(time.Minute))
	}
	if n := len(s.buckets); n != 1 {
		t.Errorf("%d buckets after the idle ones refilled, want oc_busy's alone", n)
	}
	if w := s.Reserve(busy, now.Add(time.Minute)); w != 200*time.Millisecond {
		t.Errorf("the busy chat's bucket was dropped: waits %v", w)
	}
}
