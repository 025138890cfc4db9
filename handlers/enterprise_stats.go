package handlers

import (
	"context"
	"fmt"
	"sort"
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// Ratings and answer times per leader, for the office digest and the
// monthly report: RequestStatsTable gives the rows, the digest shows them
// as a card table and the monthly export as sheet rows.

// requestStatsColumns are the table's columns.
var requestStatsColumns = []string{"联系领导", "受理诉求", "已答复", "平均首次答复", "满意", "基本满意", "不满意"}

// RequestStatsTable returns, per leader, the enterprise requests opened in
// [from, to), how many were answered and how fast on average, and the
// ratings given in that span; nil when there were none.
func RequestStatsTable(ctx context.Context, st *store.Store, campaignID int64, from, to time.Time) (*cards.Table, error) {
	stats, err := st.RequestStats(ctx, campaignID, from, to)
	if err != nil || len(stats) == 0 {
		return nil, err
	}
	ids := make([]int64, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	people, err := st.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	t := &cards.Table{Columns: requestStatsColumns}
	for _, id := range ids {
		s := stats[id]
		name := fmt.Sprint(id)
		if p := people[id]; p != nil {
			name = p.Name
		}
		avg := "—"
		if s.Answered > 0 {
			avg = durationLabel(s.AvgFirstAnswer)
		}
		t.Rows = append(t.Rows, []string{name, fmt.Sprint(s.Opened), fmt.Sprint(s.Answered), avg,
			fmt.Sprint(s.Satisfied), fmt.Sprint(s.Basically), fmt.Sprint(s.Unsatisfied)})
	}
	return t, nil
}

// durationLabel renders a duration in hours or days: 3.5 小时, 2.1 天.
func durationLabel(d time.Duration) string {
	if h := d.Hours(); h < 48 {
		return fmt.Sprintf("%.1f 小时", h)
	}
	return fmt.Sprintf("%.1f 天", d.Hours()/24)
}
