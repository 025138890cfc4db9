package handlers

import (
	"time"

	"zhenggai/store"
)

// supervisionSampleCards returns one sample of every card the supervision
// tools build, from fixed data, for CardCatalog.
func supervisionSampleCards() []NamedCard {
	loc := time.FixedZone("CST", 8*3600)
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, loc)
	lb := &store.Unit{ID: 2, Key: "lingbao", Name: "灵宝市交通运输局", Code: "LB"}
	officeID, liaisonID := int64(1), int64(6)
	people := map[int64]*store.Person{officeID: {ID: officeID, Name: "卢旭明"}, liaisonID: {ID: liaisonID, Name: "李晓燕"}}
	it := &store.LedgerItem{ID: 11, UnitID: lb.ID, Number: "LB-2026-001", Description: "路政执法人员在G310线随意拦车检查，群众通过12328热线投诉。",
		DueOn: day.AddDate(0, 0, -6), Status: store.ItemInProgress, Version: 3}
	itemID := it.ID
	issued := &store.SupervisionNotice{ID: 7, Number: "DB-2026-007", UnitID: lb.ID, ItemID: &itemID, Colour: store.NoticeRed,
		Text: "LB-2026-001 已逾期 6 天。请于答复期限前报告整改情况及下一步措施。", ReplyDue: day.AddDate(0, 0, 5),
		State: store.NoticeIssued, IssuedBy: &officeID, IssuedAt: now.Add(-time.Hour), Version: 1}
	signedAt, answeredAt := now.Add(-30*time.Minute), now
	answered := *issued
	answered.State, answered.SignedBy, answered.SignedAt = store.NoticeAnswered, &liaisonID, &signedAt
	answered.Answer, answered.AnsweredBy, answered.AnsweredAt = "已约谈当事执法人员，G310线检查点已撤除，整改报告附后。", &liaisonID, &answeredAt
	report := &store.SupervisionNotice{ID: 8, Number: "DB-2026-008", UnitID: lb.ID, Period: "2026-11", Colour: store.NoticeBlue,
		Text: "2026年11月月报尚未报送，请按时报送。", ReplyDue: day.AddDate(0, 0, 2), State: store.NoticeSigned,
		IssuedBy: &officeID, IssuedAt: now, SignedBy: &liaisonID, SignedAt: &signedAt, Version: 2}
	about := noticeAbout{unit: lb, item: it}
	bulletin := &store.Bulletin{ID: 3, Period: "2026-10", State: store.BulletinDraft, Version: 1,
		Text: "关于2026年10月专项整治工作推进情况的通报\n\n一、月报报送情况：截止 10月23日（周五），按时报送 3 个单位；逾期报送 1 个单位：义马市交通运输局；未报送 0 个单位：无。\n二、逾期未整改问题：截至 11月26日（周四），灵宝市交通运输局 1 项。\n三、督办单未答复：灵宝市交通运输局（DB-2026-007）。\n\n请相关单位高度重视，对照问题清单逐项整改，按时报送进展。\n市局专项整治办公室"}
	sentB := *bulletin
	sentB.State, sentB.SentAt = store.BulletinSent, &now
	units := map[int64]*store.Unit{lb.ID: lb}
	return []NamedCard{
		{"notice-form", noticeFormCardFrom(about, LightReason{Light: LightRed, Reason: "已逾期 6 天"}, day, nil)},
		{"notice-issued", noticeCardFrom(issued, about, people, day, loc, false)},
		{"notice-issued-office", noticeCardFrom(issued, about, people, day, loc, true)},
		{"notice-answered-office", noticeCardFrom(&answered, about, people, day, loc, true)},
		{"notice-report-signed", noticeCardFrom(report, noticeAbout{unit: lb, period: "2026-11"}, people, day, loc, false)},
		{"notice-answer-form", noticeAnswerFormCard(report)},
		{"notice-list", noticeListCard([]*store.SupervisionNotice{issued, report}, units, day)},
		{"flag-review", reviewCardFrom(it, lb, &store.ItemRequest{ID: 9, ItemID: it.ID, Kind: store.RequestKindClose,
			Result: "G310线检查点已撤除，执法人员已约谈。", Reason: "整改报告.pdf", State: store.ItemRequestApproved, DecidedAt: &answeredAt}, "刘宝山", loc)},
		{"flag-review-reject-form", reviewRejectFormCard(it)},
		{"flag-weekly", flagWeeklyCard(it, lb, day.AddDate(0, 0, -9), day)},
		{"bulletin-draft", bulletinCard(bulletin, loc, nil)},
		{"bulletin-sent", bulletinCard(&sentB, loc, []string{"灵宝市交通运输局", "义马市交通运输局"})},
		{"bulletin-edit-form", bulletinEditFormCard(bulletin)},
		{"bulletin-pick-form", bulletinPickFormCard(bulletin, []*store.Unit{lb, {ID: 3, Key: "yima", Name: "义马市交通运输局"}})},
		{"notice-escalation", noticeReminderCard(issued, lb, "sign", stageOffice, 4, day.AddDate(0, 0, 4))},
	}
}

// scoreSampleCards returns the 考评 cards for CardCatalog: November 2026
// scored on 12-02, 灵宝 with a late report and overdue items.
func scoreSampleCards() []NamedCard {
	lb := &store.Unit{ID: 2, Key: "lingbao", Name: "灵宝市交通运输局"}
	ym := &store.Unit{ID: 3, Key: "yima", Name: "义马市交通运输局"}
	ls := &store.Unit{ID: 4, Key: "lushi", Name: "卢氏县交通运输局"}
	m := &monthScores{period: reportPeriod{period: "2026-11", due: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		from: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		asOf: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), weights: defaultScore}
	m.units = []*unitScore{
		{unit: ym, score: 100, rank: 1, lines: []scoreLine{{label: "月报按时报送（11月20日）"}}},
		{unit: lb, score: 84, rank: 2, lines: []scoreLine{{label: "月报逾期 2 天（11月25日报送）", short: "月报逾期 2 天", points: -5},
			{label: "逾期问题 3 条", refs: []string{"LB-2026-001", "LB-2026-004", "LB-2026-007"}, points: -6},
			{label: "督办单未按期答复 1 份", refs: []string{"DB-2026-007"}, points: -3},
			{label: "督办单未按时签收 1 份", refs: []string{"DB-2026-007"}, points: -2}}},
		{unit: ls, score: 89, rank: 3, lines: []scoreLine{{label: "月报未报送", points: -10}, {label: "企业诉求超时答复 1 件", refs: []string{"Q-2026-0012"}, points: -1}}},
	}
	m.units[1], m.units[2] = m.units[2], m.units[1]
	m.units[1].rank, m.units[2].rank = 2, 3
	return []NamedCard{
		{Name: "score-rank", Card: scoreRankCard(m)},
		{Name: "score-unit", Card: scoreUnitCard(m, m.units[2])},
	}
}
