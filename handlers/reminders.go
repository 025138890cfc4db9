package handlers

import (
	"time"

	"zhenggai/bot"
	"zhenggai/store"
)

// registerReminders adds the reminder and digest commands (issue 5).
func (h *handler) registerReminders(rt *bot.Router) {
	rt.Command(h.showDigest, "摘要", "今日摘要")
	rt.Action("digest.show", h.showDigest)
}

// reminderSampleCards returns sample reminder and digest cards for
// CardCatalog.
func reminderSampleCards() []NamedCard {
	day := time.Date(2023, 6, 20, 0, 0, 0, 0, time.UTC)
	leader, liaison := int64(2), int64(3)
	u := &store.Unit{ID: 1, Key: "lingbao", Name: "灵宝市交通运输局", LeaderID: &leader, LiaisonID: &liaison}
	due := time.Date(2023, 6, 23, 0, 0, 0, 0, time.UTC)
	m := &store.Milestone{ID: 1, Key: "selfservice-enabled", Title: "执法案件自助处理系统全部启用", DueOn: time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)}
	resp := int64(4)
	it := &store.DueItem{ID: 42, UnitID: 1, Number: "LB-2023-007", Description: "部分执法人员未按规定佩戴执法记录仪，现场执法过程记录不完整。",
		DueOn: time.Date(2023, 6, 23, 0, 0, 0, 0, time.UTC), Version: 3, ResponsiblePerson: "张伟", ResponsibleID: &resp}
	d := &digestData{
		day: day, now: day.Add(8*time.Hour + 30*time.Minute), next: m, period: "2023-06", due: due,
		missing: map[int64]bool{1: true},
		owed:    map[int64][]reportPeriod{1: {{period: "2023-05", due: time.Date(2023, 5, 23, 0, 0, 0, 0, time.UTC)}}},
		urgency: map[int64]*store.UnitUrgency{1: {UnitID: 1, Overdue: 1, DueSoon: 2, Top: []store.UrgentItem{
			{UnitID: 1, ID: 41, Number: "LB-2023-003", Description: "罚没款未按时上缴", DueOn: day.AddDate(0, 0, -2)},
			{UnitID: 1, ID: 42, Number: it.Number, Description: it.Description, DueOn: it.DueOn},
		}}},
		approvals: map[int64]*store.UnitApprovals{1: {UnitID: 1, Count: 1, Oldest: []store.PendingApproval{
			{UnitID: 1, RequestID: 9, ItemID: 40, ItemNumber: "LB-2023-001", Kind: "close", RequestedAt: day.Add(-20 * time.Hour)}}}},
		requests: map[int64]*store.OwnerRequests{2: {OwnerID: 2, Count: 1, Oldest: []store.WaitingRequest{
			{OwnerID: 2, ID: 5, Number: "SQ-2023-005", Enterprise: "三门峡某运输有限公司", Since: day.Add(-26 * time.Hour)}}}},
	}
	d.notices = map[int64][]*store.SupervisionNotice{1: {{ID: 3, UnitID: 1, Number: "DB-2023-003", Colour: store.NoticeRed,
		State: store.NoticeIssued, ReplyDue: day.AddDate(0, 0, 3)}}}
	d.flagged = []*store.LedgerItem{{ID: 41, UnitID: 1, Number: "LB-2023-003", Description: "罚没款未按时上缴", DueOn: day.AddDate(0, 0, -2)}}
	// The last digest, on Friday: one overdue item fewer, the approval not
	// yet asked for, 5月 not yet owed.
	prev := &lastDigest{day: day.AddDate(0, 0, -4), counts: digestCounts{Period: "2023-06", Missing: 1, Overdue: 0, Soon: 2, Requests: 1, Notices: 1}}
	digest, _, _ := d.digestCard("每日摘要", "灵宝市分管领导", []*store.Unit{u}, false, &leader, prev)
	office, _, _ := d.digestCard("全市每日摘要", "卢旭明", []*store.Unit{u}, true, nil, nil)
	return []NamedCard{
		{Name: "reminder-report", Card: reportReminderCard(u, "李阳", "2023-06", due, day, nil)},
		{Name: "reminder-report-owed", Card: reportReminderCard(u, "李阳", "2023-06", due, day,
			[]reportPeriod{{period: "2023-05", due: due.AddDate(0, -1, 0)}})},
		{Name: "reminder-report-overdue", Card: reportOverdueCard(u, "2023-06", due)},
		{Name: "reminder-report-overdue-office", Card: reportOverdueOfficeCard("2023-06", due, []string{"灵宝市交通运输局", "卢氏县交通运输局"})},
		{Name: "reminder-milestone", Card: milestoneReminderCard(m, u, "李阳", day, nil)},
		{Name: "reminder-milestone-overdue", Card: milestoneOverdueCard(m, u, nil)},
		{Name: "reminder-item-soon", Card: itemReminderCard(it, u, stageSoon, day)},
		{Name: "reminder-item-overdue", Card: itemReminderCard(it, u, stageDue, day.AddDate(0, 0, 4))},
		{Name: "reminder-item-escalation", Card: itemEscalationCard(it, u, day.AddDate(0, 0, 5))},
		{Name: "reminder-item-office", Card: itemOfficeEscalationCard([]*store.DueItem{it}, map[int64]*store.Unit{1: u}, day.AddDate(0, 0, 7))},
		{Name: "digest", Card: digest},
		{Name: "digest-office", Card: office},
	}
}
