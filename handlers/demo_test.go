package handlers

import (
	"context"
	"os"
	"testing"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/store"
)

// demoFile is the campaign most handler tests run on.
const demoFile = "../deploy/campaigns/demo.yaml"

// applyCampaignFile applies the campaign file at path to st and returns the
// campaign and the parsed file. edit, when not nil, changes the parsed file
// before it is applied.
func applyCampaignFile(t testing.TB, ctx context.Context, st *store.Store, path string, edit func(*CampaignFile)) (*store.Campaign, *CampaignFile) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseCampaignFile(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(f)
	}
	if _, err := ApplyCampaign(ctx, st, f, store.System); err != nil {
		t.Fatal(err)
	}
	camp, err := st.CampaignByKey(ctx, f.Campaign.Key)
	if err != nil {
		t.Fatal(err)
	}
	return camp, f
}

// newDemoHarness builds a bot on st with every handler, its clock on
// Thursday 2026-11-26 10:00 in Shanghai, inside the demo campaign's 深入查纠整改阶段.
func newDemoHarness(t testing.TB, st *store.Store) *bottest.Harness {
	t.Helper()
	return bottest.NewHarness(t, st, at("2026-11-26", "10:00"), func(rt *bot.Router, c bot.Clock) {
		Register(rt, Deps{Clock: c, DashboardBase: "https://zg.example.cn"})
	})
}
