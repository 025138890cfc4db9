package handlers

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestOneCardPerChatInTheSimulator runs the scheduler over three weeks of the
// demo campaign in the simulator, with overlapping roles (灵宝's liaison is
// also 义马's leader, and the office's liaison gets the office's group
// notices): within one run no chat, group or 1:1, gets the same card twice,
// whatever kind of reminder or digest it is. (The adapters that fan group
// cards out 1:1, WeCom and DingTalk without templates, are walked against
// their fakes in their own packages.)
func TestOneCardPerChatInTheSimulator(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	data, err := os.ReadFile("../deploy/campaigns/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(data), "leader: sun-ym, liaison: zhou-ym", "leader: li-lb, liaison: zhou-ym", 1)
	if yaml == string(data) {
		t.Fatal("demo.yaml no longer names 义马's leader as expected")
	}
	f, err := ParseCampaignFile("demo.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyCampaign(ctx, st, f, store.System); err != nil {
		t.Fatal(err)
	}
	zone, _ := time.LoadLocation("Asia/Shanghai")
	deps := Deps{}
	h := bottest.NewHarness(t, st, time.Date(2026, 11, 14, 8, 0, 0, 0, zone), func(rt *bot.Router, c bot.Clock) {
		deps.Clock = c
		Register(rt, deps)
	})
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: h.Bot, Planner: NewPlanner(deps), ID: "test"})
	reached := map[string]bool{}
	for day := time.Date(2026, 11, 14, 0, 0, 0, 0, zone); day.Before(time.Date(2026, 12, 5, 0, 0, 0, 0, zone)); day = day.AddDate(0, 0, 1) {
		for _, hm := range [][2]int{{8, 30}, {9, 0}, {10, 0}} {
			now := day.Add(time.Duration(hm[0])*time.Hour + time.Duration(hm[1])*time.Minute)
			h.Clock.Set(now)
			if _, err := sched.RunDue(ctx, now); err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, s := range h.Deliver() {
				if s.Message.Card == nil {
					continue
				}
				card, _ := json.Marshal(s.Message.Card)
				chat := s.To.ChatID
				if chat == "" {
					chat = "1:1 " + s.To.UserID
				}
				reached[chat] = true
				seen[chat+"\x00"+string(card)]++
			}
			for k, n := range seen {
				if n > 1 {
					chat, card, _ := strings.Cut(k, "\x00")
					t.Errorf("%s: %s got the same card %d times: %.200s", now.Format("01-02 15:04"), chat, n, card)
				}
			}
		}
	}
	for _, chat := range []string{SimGroupChat("lingbao"), SimGroupChat("yima"), "1:1 " + SimAccount("li-lb"), "1:1 " + SimAccount("zhou-ym")} {
		if !reached[chat] {
			t.Errorf("%s got no card in three weeks (reached: %v)", chat, reached)
		}
	}
}
