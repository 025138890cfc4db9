package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhenggai/store"
)

// What the web 看板 (handlers/dash) shows, computed here with the chat's
// own rules: the lights of light.go, the report periods of period.go, the
// access checks of access.go. The dash package only renders it.

// DashUnit is a unit's line on the overview.
type DashUnit struct {
	Unit  *store.Unit
	Light LightReason
	// Report is this period's report: 按时报送, 逾期报送, 待报送（…）or
	// 逾期未报; ReportLight colours it. Owed are earlier periods not sent.
	Report      string
	ReportKind  string // 按时报送, 逾期报送, 待报送, or "" after the window
	ReportLight Light
	Owed        []string
	Stat        store.DashUnitStat
	// OwedLabel is Owed joined: 2026年10月、2026年11月.
	OwedLabel string
}

// Open is the unit's items not yet 销号.
func (u DashUnit) Open() int { return u.Stat.InProgress + u.Stat.LongTerm + u.Stat.CloseRequested }

// DashCount is a labelled number.
type DashCount struct {
	Label string
	N     int
}

// DashMilestone is a milestone of the calendar with its countdown.
type DashMilestone struct {
	Title, Date, Countdown string
	Past                   bool
}

// DashOverview is the overview page.
type DashOverview struct {
	Campaign *store.Campaign
	Today    string
	Light    LightReason
	// Period is the open period's label and due day ("" after the window).
	Period, PeriodDue string
	Reports           []DashCount // 按时报送, 逾期报送, 待报送, 逾期未报
	Units             []DashUnit
	States            []DashCount // items by state
	Overdue           int
	Next              *DashMilestone
	Calendar          []DashMilestone
	Trends            []store.DashMonth
}

// DashboardOverview is what v sees of campaign c at now: every unit for
// the office, his own units for anyone else.
func DashboardOverview(ctx context.Context, st *store.Store, c *store.Campaign, v Viewer, now time.Time) (*DashOverview, error) {
	loc := c.Location()
	day := dayOf(now, loc)
	lr := lightRuleOf(c)
	ids := ViewerUnitIDs(v)
	all, err := st.Units(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var units []*store.Unit
	for _, u := range all {
		if !u.IsOffice && CanSeeUnit(v, u.ID) {
			units = append(units, u)
		}
	}
	cuts := lr.cuts(day, loc) // the calendar asked once: it is slow to ask
	stats, err := st.DashUnitStats(ctx, c.ID, ids, cuts)
	if err != nil {
		return nil, err
	}
	o := &DashOverview{Campaign: c, Today: dateLabel(day)}
	ps := standingOn(c, day)
	var reports map[int64]*store.MonthlyReport
	shown := "9999-99"
	if ps.hasOpen {
		o.Period, o.PeriodDue, shown = ps.open.label(), dateLabel(ps.open.due), ps.open.period
		if reports, err = st.MonthlyReportsOfPeriod(ctx, c.ID, ps.open.period); err != nil {
			return nil, err
		}
	}
	owed, err := owedByUnit(ctx, st, c, shown, day)
	if err != nil {
		return nil, err
	}
	var lights []LightReason
	counts := map[string]int{}
	for _, u := range units {
		du := DashUnit{Unit: u}
		if s := stats[u.ID]; s != nil {
			du.Stat = *s
		}
		rs := reportState{}
		for _, p := range owed[u.ID] {
			rs.owed = append(rs.owed, p.period)
			du.Owed = append(du.Owed, p.label())
		}
		switch rep := reports[u.ID]; {
		case !ps.hasOpen:
			du.Report, du.ReportLight = "报送期已结束", LightGreen
		case rep != nil && rep.OnTime:
			du.Report, du.ReportKind, du.ReportLight = "按时报送", "按时报送", LightGreen
		case rep != nil:
			du.Report, du.ReportKind, du.ReportLight = "逾期报送", "逾期报送", LightYellow
		default:
			rs.open, rs.openDue = ps.open.period, ps.open.due
			du.Report, du.ReportKind, du.ReportLight = "待报送（"+countdown(ps.open.due, day)+"）", "待报送", LightGreen
			if !ps.open.due.After(cuts.Soon) {
				du.ReportLight = LightYellow
			}
		}
		counts[du.ReportKind]++
		du.OwedLabel = strings.Join(du.Owed, "、")
		du.Light = lr.unitOf(du.Stat.Red, du.Stat.Yellow, rs, day, cuts.Soon)
		lights = append(lights, du.Light)
		o.Overdue += du.Stat.Red
		o.Units = append(o.Units, du)
	}
	o.Light = campaignLight(lights)
	// The worst first, then the campaign file's order.
	slices.SortStableFunc(o.Units, func(a, b DashUnit) int { return int(b.Light.Light) - int(a.Light.Light) })
	if ps.hasOpen {
		o.Reports = []DashCount{{"按时报送", counts["按时报送"]}, {"逾期报送", counts["逾期报送"]}, {"待报送", counts["待报送"]}}
	}
	var owedUnits int
	for _, u := range o.Units {
		if len(u.Owed) > 0 {
			owedUnits++
		}
	}
	o.Reports = append(o.Reports, DashCount{"往期未报单位", owedUnits})
	var byState [4]int
	for _, u := range o.Units {
		byState[0] += u.Stat.InProgress
		byState[1] += u.Stat.LongTerm
		byState[2] += u.Stat.CloseRequested
		byState[3] += u.Stat.Closed
	}
	for i, s := range []string{store.ItemInProgress, store.ItemLongTerm, store.ItemCloseRequested, store.ItemClosed} {
		o.States = append(o.States, DashCount{statusName(s), byState[i]})
	}
	ms, err := st.Milestones(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		due := civil(m.DueOn)
		dm := DashMilestone{Title: m.Title, Date: dateLabel(due), Countdown: countdown(due, day), Past: due.Before(day)}
		o.Calendar = append(o.Calendar, dm)
		if o.Next == nil && !dm.Past {
			o.Next = &o.Calendar[len(o.Calendar)-1]
		}
	}
	if o.Next != nil {
		n := *o.Next
		o.Next = &n // not into the slice, which may grow
	}
	if o.Trends, err = st.DashTrends(ctx, c.ID, ids, loc.String()); err != nil {
		return nil, err
	}
	return o, nil
}

// DashItemRow is an item's line in a unit's ledger.
type DashItemRow struct {
	Item   *store.LedgerItem
	Status string
	Due    string
	Light  LightReason
}

// DashLedgerPage is a page of a unit's ledger.
type DashLedgerPage struct {
	Unit                  *store.Unit
	Light                 LightReason
	Items                 []DashItemRow
	Total, Page, Pages    int
	Categories, Sources   []string
	Statuses              []DashField // Label the name, Value the stored status
	Query                 store.DashLedgerQuery
	PageSize              int
	FirstShown, LastShown int
}

// ErrDashForbidden is a page v may not see: the dashboard answers 403.
var ErrDashForbidden = errors.New("handlers: dashboard: forbidden")

// ErrDashNotFound is a page about nothing that exists: 404.
var ErrDashNotFound = errors.New("handlers: dashboard: not found")

// DashPageSize is the ledger's page size.
const DashPageSize = 50

// DashboardLedger is a page of the unit's ledger as v filters it; a unit
// v may not see is ErrDashForbidden.
func DashboardLedger(ctx context.Context, st *store.Store, c *store.Campaign, v Viewer, unitKey string, q store.DashLedgerQuery, page int, now time.Time) (*DashLedgerPage, error) {
	u, err := st.UnitByKey(ctx, c.ID, unitKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrDashNotFound
	}
	if err != nil {
		return nil, err
	}
	if !CanSeeUnit(v, u.ID) {
		return nil, ErrDashForbidden
	}
	loc := c.Location()
	day := dayOf(now, loc)
	lr := lightRuleOf(c)
	q.CampaignID, q.UnitID, q.Day, q.Limit = c.ID, u.ID, day, DashPageSize
	page = max(page, 1)
	q.Offset = (page - 1) * DashPageSize
	items, total, err := st.DashLedger(ctx, q)
	if err != nil {
		return nil, err
	}
	p := &DashLedgerPage{Unit: u, Total: total, Page: page, Pages: max(1, (total+DashPageSize-1)/DashPageSize), Query: q, PageSize: DashPageSize}
	for _, it := range items {
		p.Items = append(p.Items, DashItemRow{Item: it, Status: statusName(it.Status), Due: civil(it.DueOn).Format(time.DateOnly),
			Light: lr.item(it, day, loc)})
	}
	if len(items) > 0 {
		p.FirstShown, p.LastShown = q.Offset+1, q.Offset+len(items)
	}
	if p.Categories, p.Sources, err = st.DashLedgerChoices(ctx, u.ID); err != nil {
		return nil, err
	}
	for _, s := range []string{store.ItemInProgress, store.ItemLongTerm, store.ItemCloseRequested, store.ItemClosed} {
		p.Statuses = append(p.Statuses, DashField{Label: statusName(s), Value: s})
	}
	reported, err := st.ReportedPeriods(ctx, u.ID, reportPeriodsOnly(c))
	if err != nil {
		return nil, err
	}
	open, err := st.OpenItemsOfUnit(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p.Light = lr.unit(open, reportStateOf(c, reported, day), day, loc)
	return p, nil
}

// DashEntry is a line of an item's history: progress, approvals, audit.
type DashEntry struct {
	At, Who, What, Detail string
	FileID                int64
	FileName              string
}

// DashField is a labelled value.
type DashField struct{ Label, Value string }

// DashItem is an item's page.
type DashItem struct {
	Item      *store.LedgerItem
	Unit      *store.Unit
	Status    string
	Due       string
	Light     LightReason
	Fields    []DashField
	Progress  []DashEntry
	Approvals []DashEntry
	Audit     []DashEntry
	Evidence  []store.Evidence
}

// DashboardItem is the item numbered number as v may see it.
func DashboardItem(ctx context.Context, st *store.Store, c *store.Campaign, v Viewer, number string, now time.Time) (*DashItem, error) {
	it, err := st.LedgerItemByNumber(ctx, c.ID, number)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrDashNotFound
	}
	if err != nil {
		return nil, err
	}
	if !CanSeeItem(v, c, it) {
		return nil, ErrDashForbidden
	}
	u, err := st.UnitByID(ctx, it.UnitID)
	if err != nil {
		return nil, err
	}
	loc := c.Location()
	day := dayOf(now, loc)
	d := &DashItem{Item: it, Unit: u, Status: statusName(it.Status), Due: civil(it.DueOn).Format(time.DateOnly),
		Light: lightRuleOf(c).item(it, day, loc)}
	closed := ""
	if it.ClosedAt != nil {
		closed = it.ClosedAt.In(loc).Format("2006-01-02 15:04")
	}
	for _, f := range [][2]string{{"问题编号", it.Number}, {"单位", u.Name}, {"问题来源", it.Source}, {"问题类别", it.Category},
		{"问题描述", it.Description}, {"整改措施", it.Measures}, {"责任领导", it.ResponsibleLeader}, {"责任单位", it.ResponsibleUnit},
		{"责任人", it.ResponsiblePerson}, {"整改时限", d.Due}, {"整改状态", d.Status}, {"整改进展", it.Progress},
		{"整改成效", it.Effect}, {"佐证材料", it.Evidence}, {"销号时间", closed}, {"备注", it.Note}} {
		d.Fields = append(d.Fields, DashField{Label: f[0], Value: f[1]})
	}
	ups, err := st.ProgressOf(ctx, it.ID, 1000)
	if err != nil {
		return nil, err
	}
	reqs, err := st.ItemRequestsOfItem(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	id := strconv.FormatInt(it.ID, 10)
	var audit []store.AuditEntry
	subjects := [][2]string{{"ledger_item", id}, {"flagged_item", id}}
	for _, q := range reqs {
		subjects = append(subjects, [2]string{"item_request", strconv.FormatInt(q.ID, 10)})
	}
	for _, sub := range subjects {
		rows, err := st.AuditEntries(ctx, sub[0], sub[1])
		if err != nil {
			return nil, err
		}
		audit = append(audit, rows...)
	}
	slices.SortFunc(audit, func(a, b store.AuditEntry) int { return int(a.ID - b.ID) })
	var ids []int64
	for _, p := range ups {
		if p.PersonID != nil {
			ids = append(ids, *p.PersonID)
		}
	}
	for _, q := range reqs {
		for _, id := range []*int64{q.RequestedBy, q.DecidedBy} {
			if id != nil {
				ids = append(ids, *id)
			}
		}
	}
	for _, a := range audit {
		if a.PersonID != nil {
			ids = append(ids, *a.PersonID)
		}
	}
	people, err := st.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	who := func(id *int64, fallback string) string {
		if n := personName(people, id); n != "" {
			return n
		}
		return fallback
	}
	stamp := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	files := map[int64]string{}
	if d.Evidence, _, err = st.ItemEvidence(ctx, it.ID, 1000); err != nil {
		return nil, err
	}
	for _, e := range d.Evidence {
		files[e.FileID] = e.Name
	}
	for _, p := range ups {
		e := DashEntry{At: stamp(p.CreatedAt), Who: who(p.PersonID, p.Account), What: statusName(p.Status), Detail: p.Text}
		if p.Effect != "" {
			e.Detail += "（成效：" + p.Effect + "）"
		}
		if p.FileID != nil {
			e.FileID, e.FileName = *p.FileID, files[*p.FileID]
		}
		d.Progress = append(d.Progress, e)
	}
	for _, q := range reqs {
		kind := map[string]string{"close": "申请销号", "extend": "申请延期"}[q.Kind]
		detail := q.Result
		if q.NewDueOn != nil {
			detail = "延期至 " + civil(*q.NewDueOn).Format(time.DateOnly) + "：" + q.Reason
		}
		d.Approvals = append(d.Approvals, DashEntry{At: stamp(q.RequestedAt), Who: who(q.RequestedBy, ""), What: kind, Detail: detail})
		if q.DecidedAt != nil {
			verdict := map[string]string{"approved": "同意", "rejected": "驳回"}[q.State]
			if verdict == "" {
				verdict = q.State
			}
			d.Approvals = append(d.Approvals, DashEntry{At: stamp(*q.DecidedAt), Who: who(q.DecidedBy, ""), What: verdict + kind, Detail: q.DecisionReason})
		}
	}
	for _, a := range audit {
		d.Audit = append(d.Audit, DashEntry{At: stamp(a.At), Who: who(a.PersonID, a.Platform+":"+a.Account), What: auditActionName(a.Action),
			Detail: fmt.Sprintf("审计记录 #%d", a.ID)})
	}
	return d, nil
}

// auditActionName is an audit action in Chinese where it has a usual name.
func auditActionName(a string) string {
	if n, ok := map[string]string{"create": "登记", "progress": "更新进展", "evidence": "补充佐证", "request_close": "申请销号",
		"request_extend": "申请延期", "approve": "同意", "reject": "驳回", "import_create": "导入登记", "import_update": "导入修改",
		"set": "挂牌督办", "unset": "取消挂牌"}[a]; ok {
		return n
	}
	return a
}

// DashboardFile opens a stored file for v through CanSeeFile and leaves an
// audit row (file/open, via the dashboard), as 查看佐证 does in the chat.
// A file v may not open is ErrDashForbidden.
func DashboardFile(ctx context.Context, st *store.Store, v Viewer, actor store.Actor, fileID int64) (*store.StoredFile, error) {
	ok, err := CanSeeFile(ctx, st, v, fileID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrDashForbidden
	}
	f, err := st.FileByID(ctx, fileID)
	if err != nil {
		return nil, err
	}
	err = st.AppendAudit(ctx, store.AuditParams{Actor: actor, Entity: "file", EntityID: strconv.FormatInt(fileID, 10), Action: "open",
		New: map[string]any{"name": f.Name, "via": "dashboard"}})
	return f, err
}

// DashboardExportLedger writes the ledger workbook the CLI and 导出台账
// write, of the units v sees (one unit when unitKey is set), as of now.
func DashboardExportLedger(ctx context.Context, st *store.Store, c *store.Campaign, v Viewer, unitKey string, w io.Writer, now time.Time) (int, error) {
	ids := ViewerUnitIDs(v)
	if unitKey != "" {
		u, err := st.UnitByKey(ctx, c.ID, unitKey)
		if errors.Is(err, store.ErrNotFound) {
			return 0, ErrDashNotFound
		}
		if err != nil {
			return 0, err
		}
		if !CanSeeUnit(v, u.ID) {
			return 0, ErrDashForbidden
		}
		ids = []int64{u.ID}
	} else if ids != nil && len(ids) == 0 {
		return 0, ErrDashForbidden
	}
	f, n, err := ledgerWorkbook(ctx, st, c, ids, now)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return n, f.Write(w)
}
