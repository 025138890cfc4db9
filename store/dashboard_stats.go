package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// What the web 看板 reads: per-unit counts in one pass over the ledger,
// monthly trends, and a unit's ledger filtered, sorted and paged in SQL, so
// that a campaign of a thousand units and fifty thousand items answers in
// milliseconds.

// DashUnitStat is one unit's items by state and by light.
type DashUnitStat struct {
	UnitID                                       int64
	InProgress, LongTerm, CloseRequested, Closed int
	// Red are open items past their deadline; Yellow the open items the
	// light rule turns yellow (handlers/light.go: due within N workdays,
	// or no progress for M workdays and not waiting for 销号).
	Red, Yellow int
}

// DashLightCuts are the dates the item light rule compares with, computed
// by the caller from the campaign's calendar: an open item is red when due
// before Day, yellow when due on or before Soon, or, unless its 销号 is
// requested, when its last progress (or creation) day in TZ is before
// Stall.
type DashLightCuts struct {
	Day, Soon, Stall time.Time
	TZ               string
}

// DashUnitStats counts the items of the campaign's units (of unitIDs; nil:
// all) by state and light.
func (s *Store) DashUnitStats(ctx context.Context, campaignID int64, unitIDs []int64, cut DashLightCuts) (map[int64]*DashUnitStat, error) {
	rows, err := s.db.Query(ctx, `
		SELECT unit_id,
		       count(*) FILTER (WHERE status = 'in_progress'),
		       count(*) FILTER (WHERE status = 'long_term'),
		       count(*) FILTER (WHERE status = 'close_requested'),
		       count(*) FILTER (WHERE status = 'closed'),
		       count(*) FILTER (WHERE status <> 'closed' AND due_on < $3),
		       count(*) FILTER (WHERE status <> 'closed' AND due_on >= $3 AND (due_on <= $4
		           OR (status <> 'close_requested' AND (coalesce(progress_at, created_at) AT TIME ZONE $6)::date < $5)))
		FROM ledger_items
		WHERE campaign_id = $1 AND ($2::bigint[] IS NULL OR unit_id = ANY($2))
		GROUP BY unit_id`, campaignID, unitIDs, cut.Day, cut.Soon, cut.Stall, cut.TZ)
	if err != nil {
		return nil, wrap("dashboard unit stats", err)
	}
	defer rows.Close()
	out := map[int64]*DashUnitStat{}
	for rows.Next() {
		var st DashUnitStat
		if err := rows.Scan(&st.UnitID, &st.InProgress, &st.LongTerm, &st.CloseRequested, &st.Closed, &st.Red, &st.Yellow); err != nil {
			return nil, wrap("dashboard unit stats", err)
		}
		out[st.UnitID] = &st
	}
	return out, wrap("dashboard unit stats", rows.Err())
}

// DashMonth is one month of the trends.
type DashMonth struct {
	Month                  string // 2026-11
	Opened, Closed         int
	ReportsOnTime, Reports int
}

// DashTrends returns, per month in TZ from the campaign's first item or
// report to the last, the items opened and closed and the monthly reports
// sent (and sent on time) for that period, of unitIDs (nil: all).
func (s *Store) DashTrends(ctx context.Context, campaignID int64, unitIDs []int64, tz string) ([]DashMonth, error) {
	rows, err := s.db.Query(ctx, `
		WITH ev AS (
		    SELECT to_char(created_at AT TIME ZONE $3, 'YYYY-MM') AS m, 1 AS opened, 0 AS closed, 0 AS ontime, 0 AS reports
		      FROM ledger_items WHERE campaign_id = $1 AND ($2::bigint[] IS NULL OR unit_id = ANY($2))
		    UNION ALL
		    SELECT to_char(closed_at AT TIME ZONE $3, 'YYYY-MM'), 0, 1, 0, 0
		      FROM ledger_items WHERE campaign_id = $1 AND closed_at IS NOT NULL AND status = 'closed'
		       AND ($2::bigint[] IS NULL OR unit_id = ANY($2))
		    UNION ALL
		    SELECT period, 0, 0, CASE WHEN on_time THEN 1 ELSE 0 END, 1
		      FROM monthly_reports WHERE campaign_id = $1 AND ($2::bigint[] IS NULL OR unit_id = ANY($2))
		)
		SELECT m, sum(opened)::int, sum(closed)::int, sum(ontime)::int, sum(reports)::int FROM ev GROUP BY m ORDER BY m`,
		campaignID, unitIDs, tz)
	if err != nil {
		return nil, wrap("dashboard trends", err)
	}
	defer rows.Close()
	var out []DashMonth
	for rows.Next() {
		var m DashMonth
		if err := rows.Scan(&m.Month, &m.Opened, &m.Closed, &m.ReportsOnTime, &m.Reports); err != nil {
			return nil, wrap("dashboard trends", err)
		}
		out = append(out, m)
	}
	return out, wrap("dashboard trends", rows.Err())
}

// DashLedgerQuery is a unit's ledger as the 看板 filters it.
type DashLedgerQuery struct {
	CampaignID, UnitID int64
	Status             string // a stored status, or "" for all, or "open"
	Category, Source   string
	// Overdue keeps open items due before Day.
	Overdue bool
	Day     time.Time
	// Text is searched in the number, description, measures and progress.
	Text string
	// Sort is one of DashSorts; Desc reverses it.
	Sort          string
	Desc          bool
	Limit, Offset int
}

// DashSorts are the columns the ledger sorts by.
var DashSorts = map[string]string{"number": "number", "due": "due_on", "status": "status", "category": "category",
	"source": "source", "progress": "coalesce(progress_at, created_at)"}

// DashLedger returns a page of a unit's ledger and how many items match.
func (s *Store) DashLedger(ctx context.Context, q DashLedgerQuery) ([]*LedgerItem, int, error) {
	where := []string{"campaign_id = $1", "unit_id = $2"}
	args := []any{q.CampaignID, q.UnitID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	switch q.Status {
	case "":
	case "open":
		where = append(where, "status <> 'closed'")
	default:
		add("status = ?", q.Status)
	}
	if q.Category != "" {
		add("category = ?", q.Category)
	}
	if q.Source != "" {
		add("source = ?", q.Source)
	}
	if q.Overdue {
		add("status <> 'closed' AND due_on < ?", q.Day)
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(t) + "%"
		add("(number ILIKE ? OR description ILIKE ? OR measures ILIKE ? OR progress ILIKE ?)", pat)
		// The one placeholder serves all four columns.
		where[len(where)-1] = strings.ReplaceAll(where[len(where)-1], "?", fmt.Sprintf("$%d", len(args)))
	}
	col, ok := DashSorts[q.Sort]
	if !ok {
		col = "number"
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM ledger_items WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, wrap("dashboard ledger", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit, q.Offset)
	items, err := s.queryItems(ctx, "dashboard ledger", fmt.Sprintf(`WHERE %s ORDER BY %s %s, number %s LIMIT $%d OFFSET $%d`,
		cond, col, dir, dir, len(args)-1, len(args)), args...)
	return items, total, err
}

// DashLedgerChoices are the 类别 and 来源 a unit's items use, for the
// ledger's filters.
func (s *Store) DashLedgerChoices(ctx context.Context, unitID int64) (categories, sources []string, err error) {
	err = s.db.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT category ORDER BY category), '{}'),
		coalesce(array_agg(DISTINCT source ORDER BY source), '{}') FROM ledger_items WHERE unit_id = $1`, unitID).
		Scan(&categories, &sources)
	return categories, sources, wrap("dashboard ledger choices", err)
}

// ItemRequestsOfItem returns every 销号 and 延期 request of an item, oldest
// first: its approvals.
func (s *Store) ItemRequestsOfItem(ctx context.Context, itemID int64) ([]*ItemRequest, error) {
	rows, err := s.db.Query(ctx, `SELECT `+itemRequestColumns+` FROM item_requests WHERE item_id = $1 ORDER BY requested_at, id`, itemID)
	if err != nil {
		return nil, wrap("item requests of item", err)
	}
	defer rows.Close()
	var out []*ItemRequest
	for rows.Next() {
		q, err := scanItemRequest(rows)
		if err != nil {
			return nil, wrap("item requests of item", err)
		}
		out = append(out, q)
	}
	return out, wrap("item requests of item", rows.Err())
}

// DashRequests returns the campaign's enterprise requests a person may see
// (all: the office), open ones first by age, then the latest closed, at
// most limit.
func (s *Store) DashRequests(ctx context.Context, campaignID, personID int64, all bool, limit int) ([]*EnterpriseRequest, error) {
	return s.queryRequests(ctx, "dashboard requests", `r.campaign_id = $1 AND ($3 OR r.owner_id = $2 OR e.leader_id = $2)
		ORDER BY r.state = 'closed', CASE WHEN r.state = 'closed' THEN -extract(epoch FROM r.closed_at) ELSE extract(epoch FROM r.opened_at) END, r.id
		LIMIT $4`, campaignID, personID, all, limit)
}
