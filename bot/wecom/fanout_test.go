package wecom

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/handlers"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestOneCardPerPersonPerChat runs the scheduler over three weeks of the
// demo campaign on WeCom, where app groups take no cards and a group's
// reminder card goes 1:1 to the mentioned members. 李晓燕 is 灵宝's liaison
// and, here, also 义马's leader: whatever she is sent for either role, no
// planned card reaches her (or anyone) twice in one run, while every unit
// group still gets its notice.
func TestOneCardPerPersonPerChat(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	data, err := os.ReadFile("../../deploy/campaigns/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(data), "leader: sun-ym, liaison: zhou-ym", "leader: li-lb, liaison: zhou-ym", 1)
	if yaml == string(data) {
		t.Fatal("demo.yaml no longer names 义马's leader as expected")
	}
	f, err := handlers.ParseCampaignFile("demo.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.ApplyCampaign(ctx, st, f, store.System); err != nil {
		t.Fatal(err)
	}
	camp, err := st.CampaignByKey(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	// Every person is on WeCom under his key; 灵宝 and 义马 have app groups.
	if _, err := st.DB().Exec(ctx, `INSERT INTO accounts (platform, external_id, person_id)
		SELECT 'wecom', key, id FROM people`); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"lingbao", "yima"} {
		u, err := st.UnitByKey(ctx, camp.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertChat(ctx, &store.Chat{Platform: "wecom", ExternalID: "zg" + key, Kind: "group", UnitID: &u.ID, Title: u.Name + "整改工作群", Active: true}); err != nil {
			t.Fatal(err)
		}
	}

	zone, _ := time.LoadLocation("Asia/Shanghai")
	fake := newFakeWeCom(t)
	clock := bot.NewFixedClock(time.Date(2026, 11, 14, 8, 0, 0, 0, zone))
	log := slog.New(slog.DiscardHandler)
	deps := handlers.Deps{Clock: clock, Logger: log}
	rt := bot.NewRouter()
	handlers.Register(rt, deps)
	b, err := bot.New(bot.Config{Store: st, Router: rt, Clock: clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{CorpID: vecCorpID, AgentID: "1000002", Secret: "secret", Token: vecToken, EncodingAESKey: vecAESKey,
		BaseURL: fake.srv.URL, Store: st, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	b.AddAdapter(a)
	sched := bot.NewScheduler(bot.SchedulerConfig{Bot: b, Logger: log, Planner: handlers.NewPlanner(deps)})

	groupNotices := map[string]int{}
	cardsTo := map[string]int{}
	for day := time.Date(2026, 11, 14, 0, 0, 0, 0, zone); day.Before(time.Date(2026, 12, 5, 0, 0, 0, 0, zone)); day = day.AddDate(0, 0, 1) {
		for _, hm := range [][2]int{{8, 30}, {9, 0}, {10, 0}} {
			now := day.Add(time.Duration(hm[0])*time.Hour + time.Duration(hm[1])*time.Minute)
			mark := len(fake.callsTo("/cgi-bin/message/send"))
			gmark := len(fake.callsTo("/cgi-bin/appchat/send"))
			clock.Set(now)
			if _, err := sched.RunDue(ctx, now); err != nil {
				t.Fatal(err)
			}
			for {
				n, err := b.DeliverDue(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			// Within one run, a card (its title and body) reaches each
			// user's 1:1 chat once.
			seen := map[string]int{}
			for _, c := range fake.callsTo("/cgi-bin/message/send")[mark:] {
				tc, ok := c.Body["template_card"].(map[string]any)
				if !ok {
					continue
				}
				shown := fmt.Sprint(tc["main_title"], tc["sub_title_text"], tc["horizontal_content_list"])
				for _, u := range strings.Split(fmt.Sprint(c.Body["touser"]), "|") {
					seen[u+"\x00"+shown]++
					cardsTo[u]++
				}
			}
			for k, n := range seen {
				if n > 1 {
					user, shown, _ := strings.Cut(k, "\x00")
					t.Errorf("%s: %s got the same card %d times in her 1:1 chat: %s", now.Format("01-02 15:04"), user, n, shown)
				}
			}
			for _, c := range fake.callsTo("/cgi-bin/appchat/send")[gmark:] {
				groupNotices[fmt.Sprint(c.Body["chatid"])]++
			}
		}
	}
	if groupNotices["zglingbao"] == 0 || groupNotices["zgyima"] == 0 {
		t.Errorf("group notices %v: each unit group gets its reminders", groupNotices)
	}
	if cardsTo["li-lb"] == 0 || cardsTo["zhou-ym"] == 0 {
		t.Errorf("1:1 cards %v: the liaisons get theirs", cardsTo)
	}
}
