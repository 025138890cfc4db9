package handlers_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"zhenggai/handlers"
)

// FuzzParseCampaignFile feeds the loader arbitrary bytes: it must never
// panic, and every failure must be a clean ErrBadCampaignFile.
func FuzzParseCampaignFile(f *testing.F) {
	files, _ := filepath.Glob("../deploy/campaigns/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("campaign: {key: x, name: y, office_unit: o, monthly_report: {due_day: 23, from: 2023-05-11, until: 2023-10-31}}\nunits: [{key: o, name: 办公室}]\n"))
	f.Add([]byte("campaign: [\n"))
	f.Add([]byte("people:\n  - key: a\n    name: 甲\n    accounts: {feishu: ou_1, qq: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := handlers.ParseCampaignFile("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, handlers.ErrBadCampaignFile) {
				t.Fatalf("error not wrapped: %v", err)
			}
			return
		}
		if cf.Campaign.Key == "" || cf.Campaign.OfficeUnit.Key == "" {
			t.Fatal("accepted a file without key or office unit")
		}
	})
}
