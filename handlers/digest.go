package handlers

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// The daily digest: at digest.at on every working day (the campaign's
// calendar: holidays off, 调休 weekends on) each leader gets, for his
// units, the countdown to the next milestone, the open period's report
// status and the periods still owed (补报, period.go), overdue and
// due-soon items, approvals waiting for him, enterprise requests waiting
// for him with their age and the units' open 督办单; the office gets the
// campaign-wide version, its 挂牌督办 items on top. Each digest says what
// changed since the last one the person got (digest_change.go). A digest
// is sent on each working day it has something to act on (a report owed
// or due within digestSoonDays, an item overdue or due soon, an approval,
// a request or a 督办单 waiting), however like the last one it is; on a
// day with nothing to act on it is not sent, unless digest.quiet. The
// command 摘要 shows the asker's digest at any time.

const (
	digestSoonDays = 7 // items due within this many days are "due soon"
	digestTop      = 3 // items, approvals listed per unit
	digestRequests = 5 // requests listed per leader
)

// digestData is the campaign-wide state a digest is cut from, loaded in one
// query per kind.
type digestData struct {
	c         *store.Campaign
	day       time.Time
	now       time.Time
	next      *store.Milestone
	period    string
	due       time.Time
	missing   map[int64]bool           // units without this period's report
	owed      map[int64][]reportPeriod // earlier periods each unit has not reported (补报)
	urgency   map[int64]*store.UnitUrgency
	approvals map[int64]*store.UnitApprovals
	requests  map[int64]*store.OwnerRequests
	notices   map[int64][]*store.SupervisionNotice // open 督办单 by unit, oldest first
	flagged   []*store.LedgerItem                  // open 挂牌督办 items, by deadline
	// stats are this month's enterprise requests per leader (answer times,
	// ratings), shown in the office's digest; nil when there were none.
	stats *cards.Table
}

func loadDigestData(ctx context.Context, st *store.Store, c *store.Campaign, now time.Time) (*digestData, error) {
	d := &digestData{c: c, now: now, day: dayOf(now, c.Location()), missing: map[int64]bool{}}
	ms, err := st.Milestones(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if !civil(m.DueOn).Before(d.day) {
			d.next = m
			break
		}
	}
	// The open period and, beside it, the owed ones (period.go).
	shown := "9999-99" // after the window: every period is past
	if ps := standingOn(c, d.day); ps.hasOpen {
		d.period, d.due, shown = ps.open.period, ps.open.due, ps.open.period
		mr, err := st.MissingReports(ctx, c.ID, []string{d.period})
		if err != nil {
			return nil, err
		}
		for _, m := range mr {
			d.missing[m.UnitID] = true
		}
	}
	if d.owed, err = owedByUnit(ctx, st, c, shown, d.day); err != nil {
		return nil, err
	}
	if d.urgency, err = st.ItemUrgency(ctx, c.ID, d.day, d.day.AddDate(0, 0, digestSoonDays), digestTop); err != nil {
		return nil, err
	}
	if d.approvals, err = st.PendingApprovals(ctx, c.ID, digestTop); err != nil {
		return nil, err
	}
	if d.requests, err = st.WaitingRequests(ctx, c.ID, digestRequests); err != nil {
		return nil, err
	}
	ns, err := st.OpenSupervisionNotices(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	d.notices = map[int64][]*store.SupervisionNotice{}
	for _, n := range ns {
		d.notices[n.UnitID] = append(d.notices[n.UnitID], n)
	}
	if d.flagged, _, err = st.FlaggedOpenItems(ctx, c.ID); err != nil {
		return nil, err
	}
	monthStart := time.Date(d.day.Year(), d.day.Month(), 1, 0, 0, 0, 0, c.Location())
	if d.stats, err = RequestStatsTable(ctx, st, c.ID, monthStart, now); err != nil {
		return nil, err
	}
	return d, nil
}

// digestCard builds the digest of units (all: campaign-wide, the office's)
// and of owner's enterprise requests (nil means every leader's), saying
// what changed since prev (nil: the first digest, or 摘要 on demand). It
// returns the card, the counts it shows, and whether it holds anything to
// act on.
func (d *digestData) digestCard(title, who string, units []*store.Unit, all bool, owner *int64, prev *lastDigest) (*cards.Card, digestCounts, bool) {
	n := digestCounts{Period: d.period}
	actionable := false
	c := &cards.Card{Title: title + " · " + dateLabel(d.day), Subtitle: who, Tone: cards.ToneInfo}
	add := func(s string) { c.Blocks = append(c.Blocks, cards.MD(s)) }
	changed := len(c.Blocks)
	add("") // the change line, filled in once the counts are known
	if all && len(d.flagged) > 0 {
		lines := []string{fmt.Sprintf("**挂牌督办 %d 项**", len(d.flagged))}
		for i, it := range d.flagged {
			if i == 5 {
				lines = append(lines, fmt.Sprintf("- … 另有 %d 项", len(d.flagged)-5))
				break
			}
			lines = append(lines, fmt.Sprintf("- %s %s %s（%s）", it.Number, unitName(units, it.UnitID), truncate(it.Description, 24), countdown(civil(it.DueOn), d.day)))
		}
		add(strings.Join(lines, "\n"))
	}
	if d.next != nil {
		add(fmt.Sprintf("**下一节点**：%s %s（%s）", dateLabel(civil(d.next.DueOn)), d.next.Title, countdown(civil(d.next.DueOn), d.day)))
	}
	names := map[int64]string{}
	for _, u := range units {
		names[u.ID] = u.Name
	}
	if d.period != "" {
		var done, missing []string
		for _, u := range units {
			if u.IsOffice {
				continue
			}
			if d.missing[u.ID] {
				n.Missing++
				missing = append(missing, u.Name)
			} else {
				done = append(done, u.Name)
			}
		}
		if len(done)+len(missing) > 0 {
			line := fmt.Sprintf("**%s月报**（%s截止，%s）：已报 %d 个", periodLabel(d.period), dateLabel(d.due), countdown(d.due, d.day), len(done))
			if len(missing) > 0 {
				line += fmt.Sprintf("，**未报 %d 个**：%s", len(missing), joinNames(missing, 12))
				if !d.day.Before(d.due.AddDate(0, 0, -digestSoonDays)) {
					actionable = true
				}
			} else if len(units) <= 3 {
				line += "：" + joinNames(done, 3)
			}
			add(line)
		}
	}
	var owedNames []string
	for _, u := range units {
		if ps := d.owed[u.ID]; len(ps) > 0 && !u.IsOffice {
			n.OwedPer += len(ps)
			owedNames = append(owedNames, fmt.Sprintf("%s（%s）", u.Name, monthsLabel(ps)))
		}
	}
	n.Owed = len(owedNames)
	if len(owedNames) > 0 {
		actionable = true
		add("**往期月报待补报**：" + joinNames(owedNames, 12))
	}
	var overdue, soon int
	var top []store.UrgentItem
	var approvals int
	var apps []store.PendingApproval
	for _, u := range units {
		if ur := d.urgency[u.ID]; ur != nil {
			overdue += ur.Overdue
			soon += ur.DueSoon
			top = append(top, ur.Top...)
		}
		if ap := d.approvals[u.ID]; ap != nil {
			approvals += ap.Count
			apps = append(apps, ap.Oldest...)
		}
	}
	n.Overdue, n.Soon, n.Approvals = overdue, soon, approvals
	if overdue+soon > 0 {
		actionable = true
		sort.Slice(top, func(i, j int) bool { return top[i].DueOn.Before(top[j].DueOn) })
		lines := []string{fmt.Sprintf("**逾期问题 %d 条，%d 天内到期 %d 条**", overdue, digestSoonDays, soon)}
		for i, it := range top {
			if i == 5 {
				break
			}
			lines = append(lines, fmt.Sprintf("- %s %s %s（%s）", it.Number, names[it.UnitID], truncate(it.Description, 24), countdown(civil(it.DueOn), d.day)))
		}
		add(strings.Join(lines, "\n"))
	}
	if approvals > 0 {
		actionable = true
		sort.Slice(apps, func(i, j int) bool { return apps[i].RequestedAt.Before(apps[j].RequestedAt) })
		lines := []string{fmt.Sprintf("**待审批 %d 项**", approvals)}
		for i, a := range apps {
			if i == 5 {
				break
			}
			kind := map[string]string{"close": "销号", "extend": "延期"}[a.Kind]
			lines = append(lines, fmt.Sprintf("- %s 申请%s（已等待 %s）", a.ItemNumber, kind, age(a.RequestedAt, d.now)))
		}
		add(strings.Join(lines, "\n"))
	}
	var reqs []store.WaitingRequest
	nReqs := 0
	for id, o := range d.requests {
		if all || (owner != nil && id == *owner) {
			nReqs += o.Count
			reqs = append(reqs, o.Oldest...)
		}
	}
	n.Requests = nReqs
	if nReqs > 0 {
		actionable = true
		sort.Slice(reqs, func(i, j int) bool { return reqs[i].Since.Before(reqs[j].Since) })
		lines := []string{fmt.Sprintf("**企业诉求待回复 %d 件**", nReqs)}
		for i, r := range reqs {
			if i == digestRequests {
				break
			}
			lines = append(lines, fmt.Sprintf("- %s %s（已等待 %s）", r.Number, r.Enterprise, age(r.Since, d.now)))
		}
		add(strings.Join(lines, "\n"))
	}
	var notices []*store.SupervisionNotice
	for _, u := range units {
		notices = append(notices, d.notices[u.ID]...)
	}
	n.Notices = len(notices)
	if len(notices) > 0 {
		actionable = true
		sort.SliceStable(notices, func(i, j int) bool { return notices[i].ReplyDue.Before(notices[j].ReplyDue) })
		lines := []string{fmt.Sprintf("**督办单未办结 %d 份**", len(notices))}
		for i, x := range notices {
			if i == 5 {
				break
			}
			lines = append(lines, fmt.Sprintf("- %s %s %s督办 · %s（答复期限 %s，%s）", x.Number, names[x.UnitID], colourName(x.Colour),
				noticeStateNames[x.State], dateLabel(civil(x.ReplyDue)), countdown(civil(x.ReplyDue), d.day)))
		}
		add(strings.Join(lines, "\n"))
	}
	if all && d.stats != nil {
		add("**本月企业诉求办理情况（联百企驻百站）**")
		c.Blocks = append(c.Blocks, cards.TableBlock(d.stats))
	}
	if !actionable {
		add("今日暂无需要您处理的事项。")
	} else if overdue > 0 {
		c.Tone = cards.ToneWarning
	}
	var buttons []cards.Button
	for _, u := range units {
		if len(buttons) == 3 || all {
			break
		}
		buttons = append(buttons, cards.Button{Text: "台账 · " + u.Name, Action: "ledger.show", Params: map[string]string{"unit": u.Key, "page": "1"}})
	}
	// The 看板 (dashboard.go): a login link in the 1:1 chat, where digests go.
	buttons = append(buttons, cards.Button{Text: "看板", Action: "dashboard.link"})
	if len(buttons) > 0 {
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(buttons...))
	}
	if line := changeLine(prev, n); line != "" {
		c.Blocks[changed] = cards.MD(line)
	} else {
		c.Blocks = slices.Delete(c.Blocks, changed, changed+1)
	}
	return c, n, actionable
}

// unitName returns the name of the unit id among units, or "".
func unitName(units []*store.Unit, id int64) string {
	for _, u := range units {
		if u.ID == id {
			return u.Name
		}
	}
	return ""
}

// age renders how long since t: 26 小时, 3 天.
func age(t, now time.Time) string {
	h := int(now.Sub(t).Hours())
	switch {
	case h < 1:
		return "不到 1 小时"
	case h < 48:
		return fmt.Sprintf("%d 小时", h)
	default:
		return fmt.Sprintf("%d 天", h/24)
	}
}

// planDigests plans the day's digests.
func (h *handler) planDigests(ctx context.Context, run *bot.PlanRun) ([]bot.Outgoing, error) {
	e, err := newPlanEnv(ctx, run)
	if err != nil {
		return nil, err
	}
	ds := e.c.Settings.Digest
	if ds.WorkdaysOnly && !e.cal.isWorkday(e.day) {
		return nil, nil
	}
	d, err := loadDigestData(ctx, run.Store, e.c, run.Occurrence)
	if err != nil {
		return nil, err
	}
	// Who gets one: every unit leader, every leader with waiting requests,
	// and the office's people (campaign-wide).
	leads := map[int64][]*store.Unit{}
	var extra []int64
	for _, u := range e.units {
		if u.LeaderID != nil && !u.IsOffice {
			leads[*u.LeaderID] = append(leads[*u.LeaderID], u)
		}
	}
	for owner := range d.requests {
		if _, ok := leads[owner]; !ok {
			leads[owner] = nil
			extra = append(extra, owner)
		}
	}
	officeIDs := map[int64]bool{}
	if e.office != nil {
		for _, id := range append([]*int64{e.office.LeaderID, e.office.LiaisonID}, ptrs(e.office.MemberIDs)...) {
			if id != nil {
				officeIDs[*id] = true
			}
		}
	}
	if err := e.loadPeople(ctx, extra); err != nil {
		return nil, err
	}
	// Each recipient's subject, to find the last digest he got.
	type recipient struct {
		person  *store.Person
		subject string
		kind    string
		units   []*store.Unit
		office  bool
	}
	var all []recipient
	var subjects []string
	for id, units := range leads {
		if p := e.people[id]; p != nil {
			all = append(all, recipient{p, "digest:" + e.c.Key + ":" + p.Key, "digest", units, false})
		}
	}
	for id := range officeIDs {
		if p := e.people[id]; p != nil {
			all = append(all, recipient{p, "digest-office:" + e.c.Key + ":" + p.Key, "digest-office", e.units, true})
		}
	}
	for _, x := range all {
		subjects = append(subjects, x.subject)
	}
	last, err := run.Store.LastKeysBySubject(ctx, subjects)
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].subject < all[j].subject })
	for _, x := range all {
		prev, _ := parseDigestKey(last[x.subject])
		if prev != nil && !prev.day.Before(e.day) {
			prev = nil // a re-run of today's plan: today's is the one it would send
		}
		id := x.person.ID
		title := "每日摘要"
		if x.office {
			title = "全市每日摘要"
		}
		var c *cards.Card
		var n digestCounts
		var actionable bool
		if x.office {
			c, n, actionable = d.digestCard(title, x.person.Name, x.units, true, nil, prev)
		} else {
			c, n, actionable = d.digestCard(title, x.person.Name, x.units, false, &id, prev)
		}
		if !actionable && !ds.Quiet {
			continue // nothing to act on today
		}
		e.toPerson(&id, digestKey(x.kind, e.c.Key, e.day, n), x.subject, c)
	}
	return e.out, nil
}

func ptrs(ids []int64) []*int64 {
	out := make([]*int64, len(ids))
	for i := range ids {
		out[i] = &ids[i]
	}
	return out
}

// showDigest answers 摘要 and digest.show: the asker's digest now, with
// what changed since the last one he got.
func (h *handler) showDigest(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if r.Campaign == nil {
		return nil, bot.Refuse("尚未配置专项整治活动。")
	}
	if r.Person == nil {
		return nil, bot.Refuse("每日摘要仅向单位领导、联络人、联系企业的领导和市局专项整治办公室提供。")
	}
	d, err := loadDigestData(ctx, r.Store, r.Campaign, r.Now)
	if err != nil {
		return nil, err
	}
	units, err := r.Store.Units(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	// Compared with the last digest the asker got.
	subject := "digest:" + r.Campaign.Key + ":" + r.Person.Key
	if r.Roles.Office {
		subject = "digest-office:" + r.Campaign.Key + ":" + r.Person.Key
	}
	last, err := r.Store.LastKeysBySubject(ctx, []string{subject})
	if err != nil {
		return nil, err
	}
	prev, _ := parseDigestKey(last[subject])
	if r.Roles.Office {
		c, _, _ := d.digestCard("全市每日摘要", r.Person.Name, units, true, nil, prev)
		return bot.CardReply(c), nil
	}
	var mine []*store.Unit
	for _, u := range units {
		if slices.Contains(r.Roles.Leads, u.ID) || slices.Contains(r.Roles.Liaises, u.ID) || slices.Contains(r.Roles.Member, u.ID) {
			mine = append(mine, u)
		}
	}
	id := r.Person.ID
	c, _, _ := d.digestCard("每日摘要", r.Person.Name, mine, false, &id, prev)
	return bot.CardReply(c), nil
}
