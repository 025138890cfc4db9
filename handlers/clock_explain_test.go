package handlers

import (
	"context"
	"strings"
	"testing"

	"zhenggai/store/storetest"
)

// TestExplainInstant: the clock says what an instant means on the demo's
// calendar — a Sunday three days before the 23rd moved its reminder to
// Friday, Friday sends it, a Saturday's T-1 merged into Friday's T-0 when
// the 23rd is a Sunday, and a workday says when things go out.
func TestExplainInstant(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	c, _ := applyCampaignFile(t, ctx, st, demoFile, nil)
	p := &planner{h: &handler{}}
	cases := []struct {
		at   string
		want []string
		not  []string
	}{
		{"2026-12-20", []string{"12月20日是周日，休息日不发送提醒和摘要。",
			"2026年12月月报截止前 3 天的提醒本应在这天，改在 12月18日（周五）发送（12月23日（周三）截止）。",
			"下一次摘要：12月21日（周一） 08:30。"}, []string{"当天发送"}},
		{"2026-12-18", []string{"12月18日（周五）是工作日：提醒在 09:00 发送，摘要在 08:30 发送。",
			"当天发送：2026年12月月报提醒（12月23日（周三）截止，还有 5 天）。"}, nil},
		{"2026-08-22", []string{"2026年8月月报截止前 1 天的提醒本应在这天，移到 8月21日（周五），与截止当天的提醒同日，只发送一条"}, nil},
		{"2026-08-21", []string{"当天发送：2026年8月月报提醒（8月21日（周五）截止，今天截止）。"}, []string{"本应在这天"}},
		{"2026-12-22", []string{"当天发送：2026年12月月报提醒（12月23日（周三）截止，还有 1 天）"}, []string{"本应在这天"}},
	}
	for _, tc := range cases {
		lines, err := p.Explain(ctx, st, c, at(tc.at, "09:00"))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(lines, "\n")
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: missing %q in\n%s", tc.at, w, got)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(got, w) {
				t.Errorf("%s: unexpected %q in\n%s", tc.at, w, got)
			}
		}
	}
}
