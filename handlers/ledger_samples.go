package handlers

import (
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// ledgerSampleCards returns one sample of every card the ledger builds, from
// fixed data, for CardCatalog.
func ledgerSampleCards() []NamedCard {
	loc := time.FixedZone("CST", 8*3600)
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, loc)
	lb := &store.Unit{ID: 2, Key: "lingbao", Name: "灵宝市交通运输局", Code: "LB"}
	ym := &store.Unit{ID: 3, Key: "yima", Name: "义马市交通运输局", Code: "YM"}
	ls := &store.Unit{ID: 4, Key: "lushi", Name: "卢氏县交通运输局", Code: "LS"}
	liaisonID, leaderID := int64(6), int64(5)
	people := map[int64]*store.Person{liaisonID: {ID: liaisonID, Name: "李晓燕"}, leaderID: {ID: leaderID, Name: "刘宝山"}}
	item := func(id int64, n string, due time.Time, status, desc string) *store.LedgerItem {
		return &store.LedgerItem{ID: id, UnitID: lb.ID, Number: n, Source: "12328热线", Category: "执法不规范", Description: desc,
			Measures: "约谈执法人员，开展案卷评查，建立执法全过程记录制度。", ResponsibleLeader: "刘宝山", ResponsibleUnit: lb.Name,
			ResponsiblePerson: "李晓燕", DueOn: due, Status: status, Version: 3}
	}
	d := func(days int) time.Time { return day.AddDate(0, 0, days) }
	items := []*store.LedgerItem{
		item(11, "LB-2026-001", d(-6), store.ItemInProgress, "路政执法人员在G310线随意拦车检查，群众通过12328热线投诉。"),
		item(12, "LB-2026-002", d(3), store.ItemInProgress, "超限检测站对同一车辆一次性下达多份违法告知书。"),
		item(13, "LB-2026-003", d(20), store.ItemLongTerm, "非现场执法设施预告标牌设置不规范。"),
		item(14, "LB-2026-004", d(40), store.ItemCloseRequested, "执法案卷中自由裁量说理不充分。"),
		item(15, "LB-2026-005", d(60), store.ItemInProgress, "轻微违法行为未落实首违不罚清单。"),
	}
	items[2].Effect = "已完成 12 处标牌整改，其余纳入明年计划。"
	progressed := now.Add(-26 * time.Hour)
	ups := []*store.ProgressUpdate{
		{ID: 1, ItemID: 11, Text: "已约谈涉事执法人员 2 名，责令书面检查。", Status: store.ItemInProgress, PersonID: &liaisonID, CreatedAt: progressed},
		{ID: 2, ItemID: 11, Text: "调取执法记录仪视频，核实拦车经过。", Status: store.ItemInProgress, Evidence: "执法记录仪截图.jpg", PersonID: &liaisonID, CreatedAt: progressed.Add(-48 * time.Hour)},
	}
	closed := *items[0]
	closedAt := now.Add(-time.Hour)
	closed.Status, closed.ClosedAt = store.ItemClosed, &closedAt
	newDue := d(30)
	closeReq := &store.ItemRequest{ID: 7, ItemID: 14, Kind: store.RequestKindClose, Result: "已对 2023 年以来 86 卷案卷补充裁量说理，并组织专题培训。",
		Reason: "评查报告.pdf", State: store.ItemRequestPending, RequestedBy: &liaisonID, RequestedAt: now.Add(-3 * time.Hour)}
	extendReq := &store.ItemRequest{ID: 8, ItemID: 12, Kind: store.RequestKindExtend, NewDueOn: &newDue, Reason: "需协调公路部门统一更换标牌。",
		State: store.ItemRequestPending, RequestedBy: &liaisonID, RequestedAt: now.Add(-2 * time.Hour)}
	decidedAt := now.Add(-time.Hour)
	extendOK := *extendReq
	extendOK.State, extendOK.DecidedBy, extendOK.DecidedAt = store.ItemRequestApproved, &leaderID, &decidedAt
	closeNo := *closeReq
	closeNo.State, closeNo.DecidedBy, closeNo.DecidedAt, closeNo.DecisionReason = store.ItemRequestRejected, &leaderID, &decidedAt, "佐证材料不全，请补充评查报告。"
	report := &store.MonthlyReport{UnitID: lb.ID, Period: "2026-11", Summary: "本月开展执法案卷评查 32 卷，发现问题 5 个，已整改 3 个。", OnTime: true,
		PersonID: &liaisonID, SubmittedAt: now}
	due := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	ms := &store.Milestone{ID: 1, Key: "selfservice-all-cases", Title: "所有执法案件均通过自助处理系统办理", DueOn: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	sub := &store.MilestoneSubmission{MilestoneID: 1, UnitID: lb.ID, Note: "11月起所有案件均已通过自助处理系统办理。", PersonID: &liaisonID, SubmittedAt: now}
	reports := map[int64]*store.MonthlyReport{lb.ID: report, ym.ID: {UnitID: ym.ID, Period: "2026-11", OnTime: false, SubmittedAt: now.Add(-time.Hour)}}

	withFiles := itemCardFrom(items[0], lb, ups, nil, people, day, loc, lightRuleOf(nil))
	withEvidence(withFiles, []store.Evidence{
		{FileID: 41, Name: "整改现场照片.jpg", Size: 245 << 10, Sender: "李晓燕", At: now.Add(-time.Hour)},
		{FileID: 40, Name: "案卷评查报告.pdf", Size: 3300 << 10, Sender: "李晓燕", At: now.Add(-26 * time.Hour)},
		{FileID: 39, Name: "约谈记录.docx", Size: 38 << 10, Sender: "刘宝山", At: now.Add(-50 * time.Hour)},
	}, 5, loc)

	out := []NamedCard{
		{"ledger", ledgerCardFrom(lb, items, 1, day, lightRuleOf(nil), loc)},
		{"ledger-page-2", ledgerCardFrom(lb, items, 2, day, lightRuleOf(nil), loc)},
		{"ledger-empty", ledgerCardFrom(lb, nil, 1, day, lightRuleOf(nil), loc)},
		{"ledger-unit-picker", unitPickerCard("专项整治工作台账", "台账", []*store.Unit{lb, ym, ls}, "ledger.show")},
		{"item", itemCardFrom(items[0], lb, ups, nil, people, day, loc, lightRuleOf(nil))},
		{"item-long-term", itemCardFrom(items[2], lb, nil, nil, people, day, loc, lightRuleOf(nil))},
		{"item-pending", itemCardFrom(items[3], lb, nil, closeReq, people, day, loc, lightRuleOf(nil))},
		{"item-closed", itemCardFrom(&closed, lb, ups, nil, people, day, loc, lightRuleOf(nil))},
		{"item-evidence", withFiles},
		{"item-new-form", newItemFormCard(lb, "刘宝山", "李晓燕", d(30))},
		{"item-progress-form", progressFormCard(items[0])},
		{"item-close-form", closeFormCard(items[3])},
		{"item-extend-form", extendFormCard(items[1], d(30))},
		{"approval-close", approvalCardFrom(items[3], lb, closeReq, people, loc)},
		{"approval-extend", approvalCardFrom(items[1], lb, extendReq, people, loc)},
		{"approval-approved", approvalCardFrom(items[1], lb, &extendOK, people, loc)},
		{"approval-rejected", approvalCardFrom(items[3], lb, &closeNo, people, loc)},
		{"approval-reject-form", rejectFormCard(items[3], closeReq)},
		{"approvals-pending", pendingCardFrom([]*store.ItemRequest{closeReq, extendReq},
			map[int64]*store.LedgerItem{14: items[3], 12: items[1]}, loc)},
		{"report-form", reportFormCardFrom(lb, "2026-11", due, day.AddDate(0, 0, -5), items[:3])},
		{"report-form-late", reportFormCardFrom(lb, "2026-11", due, day, nil)},
		{"report-done", reportDoneCard(lb, report, due, loc)},
		{"report-status", reportStatusCard("2026-11", due, day, []*store.Unit{lb, ym, ls}, reports,
			map[int64][]reportPeriod{ls.ID: {{period: "2026-09", due: due.AddDate(0, -2, 0)}, {period: "2026-10", due: due.AddDate(0, -1, 0)}}}, loc)},
		{"report-owed", func() *cards.Card {
			c := reportFormCardFrom(lb, "2026-12", time.Date(2026, 12, 23, 0, 0, 0, 0, time.UTC), day, nil)
			c.Blocks = append(c.Blocks, owedBlocks(lb, []reportPeriod{{period: "2026-10", due: due.AddDate(0, -1, 0)}, {period: "2026-11", due: due}}, day)...)
			return c
		}()},
		{"milestone-form", milestoneFormCard(ms, lb, day)},
		{"milestone-done", milestoneDoneCard(ms, lb, sub, "李晓燕", loc)},
	}
	return out
}
