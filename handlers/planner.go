package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// The planner decides, from the database alone, what a schedule owes at an
// instant (DESIGN 4.2). Every message it returns has a key naming the
// reminder and its recipient, e.g.
//
//	monthly:2023-06:lingbao:T-3:p:lingbao-liaison
//	monthly:2023-06:lingbao:T-3:c:feishu:oc_x
//
// so that the outbox sends it once. A reminder whose day is a weekend or a
// holiday moves to the workday before; a notice for "the day after" a
// deadline moves to the next workday. When two reminders of one deadline
// land on the same day, the nearer one (T-0 over T-1) is sent alone.

// Schedule names.
const (
	scheduleRemind   = "remind"   // monthly_report.remind_at: reports, milestones, items
	scheduleDigest   = "digest"   // digest.at
	scheduleRequests = "requests" // hourly: enterprise requests past the answer clock
)

// itemSoonDays is how many days before an item's deadline its liaison is
// reminded.
const itemSoonDays = 3

// planner implements bot.Planner over the handlers.
type planner struct{ h *handler }

// NewPlanner returns the reminders and digests planner for bot.Scheduler.
func NewPlanner(d Deps) bot.Planner { return &planner{h: &handler{deps: d}} }

// Schedules returns the campaign's schedules: reminders at
// monthly_report.remind_at, digests at digest.at, enterprise requests hourly.
func (p *planner) Schedules(c *store.Campaign) ([]bot.Schedule, error) {
	remind, err := dailySpec(cmp.Or(c.Settings.MonthlyReport.RemindAt, "09:00"))
	if err != nil {
		return nil, fmt.Errorf("handlers: monthly_report.remind_at: %w", err)
	}
	digest, err := dailySpec(cmp.Or(c.Settings.Digest.At, "08:30"))
	if err != nil {
		return nil, fmt.Errorf("handlers: digest.at: %w", err)
	}
	return []bot.Schedule{
		{Name: scheduleRemind, Spec: remind},
		{Name: scheduleDigest, Spec: digest},
		{Name: scheduleRequests, Spec: "0 * * * *"},
		{Name: scheduleAuditAnchor, Spec: digest}, // audit_anchor.go
	}, nil
}

// dailySpec turns "HH:MM" into a daily cron spec.
func dailySpec(hhmm string) (string, error) {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return "", fmt.Errorf("%q is not HH:MM", hhmm)
	}
	return fmt.Sprintf("%d %d * * *", t.Minute(), t.Hour()), nil
}

// Plan returns what run's schedule owes at its occurrence.
func (p *planner) Plan(ctx context.Context, run *bot.PlanRun) ([]bot.Outgoing, error) {
	switch run.Schedule {
	case scheduleRemind:
		return p.h.planReminders(ctx, run)
	case scheduleDigest:
		return p.h.planDigests(ctx, run)
	case scheduleRequests:
		return p.h.planEnterpriseRequests(ctx, run)
	case scheduleAuditAnchor:
		return p.h.planAuditAnchor(ctx, run)
	}
	return nil, nil
}

// planEnv is what one plan has loaded: the campaign's units, chats and the
// people it addresses, and the messages so far.
type planEnv struct {
	run    *bot.PlanRun
	c      *store.Campaign
	day    time.Time // the occurrence's civil date in the campaign's zone
	cal    *calendar // the campaign's workdays
	units  []*store.Unit
	byID   map[int64]*store.Unit
	office *store.Unit
	chats  map[int64][]*store.Chat
	accs   map[int64][]store.Account
	people map[int64]*store.Person
	owed   map[int64][]reportPeriod // periods due before day each unit has not reported
	out    []bot.Outgoing
}

func newPlanEnv(ctx context.Context, run *bot.PlanRun) (*planEnv, error) {
	c := run.Campaign
	e := &planEnv{run: run, c: c, day: dayOf(run.Occurrence, c.Location()), cal: calendarOf(c), byID: map[int64]*store.Unit{}}
	var err error
	if e.units, err = run.Store.Units(ctx, c.ID); err != nil {
		return nil, err
	}
	for _, u := range e.units {
		e.byID[u.ID] = u
		if u.IsOffice || u.Key == c.OfficeUnitKey {
			e.office = u
		}
	}
	if e.chats, err = run.Store.CampaignUnitChats(ctx, c.ID); err != nil {
		return nil, err
	}
	return e, nil
}

// loadPeople loads the accounts and names of the units' leaders, liaisons
// and members, and of extra people, in two queries.
func (e *planEnv) loadPeople(ctx context.Context, extra []int64) error {
	ids := slices.Clone(extra)
	for _, u := range e.units {
		if u.LeaderID != nil {
			ids = append(ids, *u.LeaderID)
		}
		if u.LiaisonID != nil {
			ids = append(ids, *u.LiaisonID)
		}
		ids = append(ids, u.MemberIDs...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var err error
	if e.accs, err = e.run.Store.AccountsOfPeople(ctx, ids); err != nil {
		return err
	}
	e.people, err = e.run.Store.PeopleByIDs(ctx, ids)
	return err
}

func (e *planEnv) personName(id *int64) string {
	if id == nil || e.people[*id] == nil {
		return ""
	}
	return e.people[*id].Name
}

// toPerson queues card to a person's 1:1 chat under key.
func (e *planEnv) toPerson(id *int64, key, subject string, c *cards.Card) {
	if id == nil || e.people[*id] == nil {
		return
	}
	to, ok := e.run.Bot.TargetOf(e.accs[*id])
	if !ok {
		return
	}
	e.out = append(e.out, bot.Outgoing{To: to, Message: bot.Message{Card: c}, Key: key + ":p:" + e.people[*id].Key, Subject: subject})
}

// toUnitChats queues card to the unit's group chats on enabled platforms,
// @-mentioning mention where they have an account on that platform.
func (e *planEnv) toUnitChats(unitID int64, mention *int64, key, subject string, c *cards.Card) {
	for _, ch := range e.chats[unitID] {
		p := bot.Platform(ch.Platform)
		if e.run.Bot.Adapter(p) == nil {
			continue
		}
		m := bot.Message{Card: c}
		if mention != nil {
			for _, a := range e.accs[*mention] {
				if a.Platform == ch.Platform {
					m.Mentions = []string{a.ExternalID}
					break
				}
			}
		}
		e.out = append(e.out, bot.Outgoing{To: bot.Target{Platform: p, ChatID: ch.ExternalID}, Message: m,
			Key: key + ":c:" + ch.Platform + ":" + ch.ExternalID, Subject: subject})
	}
}

// toOffice queues card to the office: its group chats and its liaison.
func (e *planEnv) toOffice(key string, c *cards.Card) {
	if e.office == nil {
		return
	}
	e.toUnitChats(e.office.ID, nil, key, "", c)
	e.toPerson(e.office.LiaisonID, key, "", c)
}

// planReminders plans the monthly report, milestone and item reminders of
// the occurrence's day. Nothing is due on a day off: every reminder day is
// moved to a workday first.
func (h *handler) planReminders(ctx context.Context, run *bot.PlanRun) ([]bot.Outgoing, error) {
	e, err := newPlanEnv(ctx, run)
	if err != nil {
		return nil, err
	}
	if !e.cal.isWorkday(e.day) {
		return nil, nil
	}
	reports := reportDuties(e.c, e.day)
	var periods []string
	for _, r := range reports {
		periods = append(periods, r.period)
	}
	var missingReports []store.UnitPeriod
	if len(periods) > 0 {
		if missingReports, err = run.Store.MissingReports(ctx, e.c.ID, periods); err != nil {
			return nil, err
		}
		// Earlier periods still owed ride along on each reminder (补报).
		if e.owed, err = owedByUnit(ctx, run.Store, e.c, "9999-99", e.day); err != nil {
			return nil, err
		}
	}
	ms, err := run.Store.Milestones(ctx, e.c.ID)
	if err != nil {
		return nil, err
	}
	mDuties := milestoneDuties(e.cal, ms, e.day)
	var mIDs []int64
	for _, md := range mDuties {
		mIDs = append(mIDs, md.m.ID)
	}
	var missingMs []store.MilestoneUnit
	if len(mIDs) > 0 {
		if missingMs, err = run.Store.MissingMilestones(ctx, e.c.ID, mIDs); err != nil {
			return nil, err
		}
	}
	stages := itemStageDates(e.cal, e.day)
	var dates []time.Time
	for _, sd := range stages {
		dates = append(dates, sd...)
	}
	items, err := run.Store.ItemsDueOn(ctx, e.c.ID, dates)
	if err != nil {
		return nil, err
	}
	var extra []int64
	for _, it := range items {
		if it.ResponsibleID != nil {
			extra = append(extra, *it.ResponsibleID)
		}
	}
	if err := e.loadPeople(ctx, extra); err != nil {
		return nil, err
	}
	e.planReports(reports, missingReports)
	parts, err := missingParts(ctx, run.Store, e.byID, mDuties, missingMs)
	if err != nil {
		return nil, err
	}
	e.planMilestones(mDuties, missingMs, parts)
	e.planItems(stages, items)
	if err := e.planNotices(ctx); err != nil {
		return nil, err
	}
	return e.out, nil
}

// reportDuty is a period's monthly report reminder owed on a day: the
// offset (days before the due date) or the overdue notice.
type reportDuty struct {
	period  string
	due     time.Time
	offset  int // days before due; -1 for the overdue notice
	overdue bool
}

// reportPeriods returns the periods whose due date (due_day of the month)
// falls within monthly_report's from…until.
func reportPeriods(c *store.Campaign) (periods []string, dues []time.Time) {
	ms := c.Settings.MonthlyReport
	from, err1 := time.Parse(time.DateOnly, ms.From)
	until, err2 := time.Parse(time.DateOnly, ms.Until)
	if err1 != nil || err2 != nil || ms.DueDay < 1 || ms.DueDay > 31 {
		return nil, nil
	}
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(until); m = m.AddDate(0, 1, 0) {
		last := m.AddDate(0, 1, -1).Day() // a due day of 31 is the month's last day
		due := time.Date(m.Year(), m.Month(), min(ms.DueDay, last), 0, 0, 0, 0, time.UTC)
		if due.Before(from) || due.After(until) {
			continue
		}
		periods = append(periods, m.Format("2006-01"))
		dues = append(dues, due)
	}
	return periods, dues
}

// reportDuties returns the monthly report reminders owed on day.
func reportDuties(c *store.Campaign, day time.Time) []reportDuty {
	periods, dues := reportPeriods(c)
	cal := calendarOf(c)
	var out []reportDuty
	for i, p := range periods {
		// Reminders count back from the due_day itself; the cards state the
		// due day as period.go's rule has it (moved to a workday).
		due := cal.onOrBeforeWorkday(dues[i])
		if k, ok := offsetOn(cal, dues[i], c.Settings.MonthlyReport.RemindDaysBefore, day); ok {
			out = append(out, reportDuty{period: p, due: due, offset: k})
		}
		if cal.nextWorkday(dues[i]).Equal(day) {
			out = append(out, reportDuty{period: p, due: due, offset: -1, overdue: true})
		}
	}
	return out
}

// offsetOn returns the smallest of offsets (days before due) whose reminder,
// moved to a workday, lands on day.
func offsetOn[T int | int32](cal *calendar, due time.Time, offsets []T, day time.Time) (int, bool) {
	best, found := 0, false
	for _, k := range offsets {
		if k < 0 {
			continue
		}
		if cal.onOrBeforeWorkday(due.AddDate(0, 0, -int(k))).Equal(day) && (!found || int(k) < best) {
			best, found = int(k), true
		}
	}
	return best, found
}

func (e *planEnv) planReports(duties []reportDuty, missing []store.UnitPeriod) {
	byPeriod := map[string][]int64{}
	for _, m := range missing {
		byPeriod[m.Period] = append(byPeriod[m.Period], m.UnitID)
	}
	for _, d := range duties {
		var late []string
		for _, uid := range byPeriod[d.period] {
			u := e.byID[uid]
			subject := "report:" + u.Key + ":" + d.period
			if d.overdue {
				key := fmt.Sprintf("monthly:%s:%s:overdue", d.period, u.Key)
				c := reportOverdueCard(u, d.period, d.due)
				e.toPerson(u.LeaderID, key, subject, c)
				late = append(late, u.Name)
				continue
			}
			key := fmt.Sprintf("monthly:%s:%s:T-%d", d.period, u.Key, d.offset)
			var owed []reportPeriod
			for _, p := range e.owed[u.ID] {
				if p.period < d.period {
					owed = append(owed, p)
				}
			}
			c := reportReminderCard(u, e.personName(u.LiaisonID), d.period, d.due, e.day, owed)
			e.toUnitChats(u.ID, u.LiaisonID, key, subject, c)
			e.toPerson(u.LiaisonID, key, subject, c)
		}
		if d.overdue && len(late) > 0 {
			e.toOffice(fmt.Sprintf("monthly:%s:overdue:office", d.period), reportOverdueOfficeCard(d.period, d.due, late))
		}
	}
}

// milestoneDuty is a milestone's reminder owed on a day.
type milestoneDuty struct {
	m       *store.Milestone
	offset  int
	overdue bool
}

func milestoneDuties(cal *calendar, ms []*store.Milestone, day time.Time) []milestoneDuty {
	var out []milestoneDuty
	for _, m := range ms {
		due := civil(m.DueOn)
		if k, ok := offsetOn(cal, due, m.RemindDaysBefore, day); ok {
			out = append(out, milestoneDuty{m: m, offset: k})
		}
		if cal.nextWorkday(due).Equal(day) {
			out = append(out, milestoneDuty{m: m, offset: -1, overdue: true})
		}
	}
	return out
}

// missingParts returns, for each package milestone of duties, what each
// unit that owes it still lacks (summary.go), in one set of queries per
// milestone.
func missingParts(ctx context.Context, st *store.Store, byID map[int64]*store.Unit, duties []milestoneDuty,
	missing []store.MilestoneUnit) (map[int64]map[int64][]string, error) {
	out := map[int64]map[int64][]string{}
	for _, d := range duties {
		if !d.m.IsPackage() || out[d.m.ID] != nil {
			continue
		}
		var units []*store.Unit
		for _, mu := range missing {
			if mu.MilestoneID == d.m.ID && byID[mu.UnitID] != nil {
				units = append(units, byID[mu.UnitID])
			}
		}
		ss, err := loadPackageStatuses(ctx, st, d.m, units)
		if err != nil {
			return nil, err
		}
		out[d.m.ID] = map[int64][]string{}
		for _, s := range ss {
			out[d.m.ID][s.u.ID] = s.missing()
		}
	}
	return out, nil
}

func (e *planEnv) planMilestones(duties []milestoneDuty, missing []store.MilestoneUnit, parts map[int64]map[int64][]string) {
	byM := map[int64][]int64{}
	for _, m := range missing {
		byM[m.MilestoneID] = append(byM[m.MilestoneID], m.UnitID)
	}
	for _, d := range duties {
		var late []string
		for _, uid := range byM[d.m.ID] {
			u := e.byID[uid]
			subject := "milestone:" + d.m.Key + ":" + u.Key
			if d.overdue {
				key := fmt.Sprintf("milestone:%s:%s:overdue", d.m.Key, u.Key)
				c := milestoneOverdueCard(d.m, u, parts[d.m.ID][u.ID])
				e.toPerson(u.LiaisonID, key, subject, c)
				e.toPerson(u.LeaderID, key, subject, c)
				late = append(late, u.Name)
				continue
			}
			key := fmt.Sprintf("milestone:%s:%s:T-%d", d.m.Key, u.Key, d.offset)
			c := milestoneReminderCard(d.m, u, e.personName(u.LiaisonID), e.day, parts[d.m.ID][u.ID])
			e.toUnitChats(u.ID, u.LiaisonID, key, subject, c)
			e.toPerson(u.LiaisonID, key, subject, c)
		}
		if d.overdue && len(late) > 0 {
			e.toOffice(fmt.Sprintf("milestone:%s:overdue:office", d.m.Key), milestoneOverdueOfficeCard(d.m, late))
		}
	}
}

// Item reminder stages.
const (
	stageSoon   = "soon"    // itemSoonDays before the deadline: liaison and 责任人
	stageDue    = "overdue" // first workday after it: liaison and 责任人
	stageLeader = "leader"  // one workday later: the unit's leader
	stageOffice = "office"  // three workdays later: the office
)

var itemStages = []string{stageSoon, stageDue, stageLeader, stageOffice}

// itemStageDay returns the day a stage of an item due on due is sent.
func itemStageDay(cal *calendar, stage string, due time.Time) time.Time {
	switch stage {
	case stageSoon:
		return cal.onOrBeforeWorkday(due.AddDate(0, 0, -itemSoonDays))
	case stageDue:
		return cal.nextWorkday(due)
	case stageLeader:
		return cal.addWorkdays(cal.nextWorkday(due), 1)
	default:
		return cal.addWorkdays(cal.nextWorkday(due), 3)
	}
}

// itemStageDates returns, per stage, the deadlines whose reminder of that
// stage is sent on day.
func itemStageDates(cal *calendar, day time.Time) map[string][]time.Time {
	out := map[string][]time.Time{}
	for x := day.AddDate(0, 0, -45); !x.After(day.AddDate(0, 0, itemSoonDays+30)); x = x.AddDate(0, 0, 1) {
		for _, st := range itemStages {
			if itemStageDay(cal, st, x).Equal(day) {
				out[st] = append(out[st], x)
			}
		}
	}
	return out
}

func (e *planEnv) planItems(stages map[string][]time.Time, items []*store.DueItem) {
	stageOf := map[time.Time]string{}
	for st, ds := range stages {
		for _, d := range ds {
			stageOf[d] = st
		}
	}
	var escalated []*store.DueItem
	for _, it := range items {
		due := civil(it.DueOn)
		st := stageOf[due]
		u := e.byID[it.UnitID]
		if u == nil || st == "" {
			continue
		}
		key := fmt.Sprintf("item:%d:%s:%s", it.ID, due.Format(time.DateOnly), st)
		subject := "item:" + strconv.FormatInt(it.ID, 10)
		switch st {
		case stageSoon, stageDue:
			c := itemReminderCard(it, u, st, e.day)
			e.toPerson(u.LiaisonID, key, subject, c)
			if it.ResponsibleID != nil && (u.LiaisonID == nil || *it.ResponsibleID != *u.LiaisonID) {
				e.toPerson(it.ResponsibleID, key, subject, c)
			}
		case stageLeader:
			e.toPerson(u.LeaderID, key, subject, itemEscalationCard(it, u, e.day))
		case stageOffice:
			escalated = append(escalated, it)
		}
	}
	if len(escalated) > 0 {
		e.toOffice("item-escalation:"+e.day.Format(time.DateOnly)+":office", itemOfficeEscalationCard(escalated, e.byID, e.day))
	}
}

// periodLabel renders 2023-06 as 2023年6月.
func periodLabel(period string) string {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return period
	}
	return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
}

// dateLabel renders a civil date with its weekday, 6月23日（周五）: cards
// state dates as dates, which stay true however long a card is kept.
func dateLabel(d time.Time) string {
	return fmt.Sprintf("%d月%d日（%s）", int(d.Month()), d.Day(), shortWeekdays[d.Weekday()])
}

var shortWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// sentCountdown is countdown as a snapshot, for cards that are not redrawn
// day by day (reminders): 发送时还有 3 天.
func sentCountdown(due, day time.Time) string {
	if c := countdown(due, day); c != "今天截止" {
		return "发送时" + c
	}
	return "发送当天截止"
}

// countdown says how far day is from due: 今天截止, 还有 3 天, 已逾期 2 天.
func countdown(due, day time.Time) string {
	n := int(civil(due).Sub(civil(day)).Hours() / 24)
	switch {
	case n == 0:
		return "今天截止"
	case n > 0:
		return fmt.Sprintf("还有 %d 天", n)
	default:
		return fmt.Sprintf("已逾期 %d 天", -n)
	}
}

func joinNames(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, "、")
	}
	return strings.Join(names[:max], "、") + fmt.Sprintf(" 等 %d 个单位", len(names))
}
