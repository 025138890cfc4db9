package handlers

import (
	"context"
	"os"
	"testing"

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
