package handlers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// The 总结 package (seed 三、(三)3; issue 22). A milestone whose campaign
// file entry has package.parts is not marked done with a note: each unit
// fills a checklist over several messages, 总结报告 (text and/or files), the
// 整改台账 generated from the ledger and confirmed by the unit, the 现阶段成效
// and 长期举措 of its items still 整改中 or 长期推进, at least min_cases 典型案例
// (each a text and at least one file) and the 追责问责和容错免责专题报告. The
// card shows what is there and what is missing; a file sent while a part is
// open attaches to it; 提交 completes the package (and the milestone) only
// when nothing is missing; the office may reopen a complete one. Only the
// unit's liaison and leader fill it; the office sees every unit's.

// summaryPartKeys are the parts a package may have, in the order shown.
var summaryPartKeys = []string{store.PartReport, store.PartLedger, store.PartProgress, store.PartCases, store.PartAccountability}

const summaryCases = store.PartCases

// summaryPartNames are the parts' names as units read them.
var summaryPartNames = map[string]string{
	store.PartReport:         "总结报告",
	store.PartLedger:         "整改台账",
	store.PartProgress:       "现阶段成效和长期举措",
	store.PartCases:          "典型案例",
	store.PartAccountability: "追责问责和容错免责专题报告",
}

// summaryPartHints say what each part holds.
var summaryPartHints = map[string]string{
	store.PartReport:         "工作情况、工作成效、发现的主要问题和有关建议",
	store.PartLedger:         "由台账生成，单位确认",
	store.PartProgress:       "整改中、长期推进问题逐条填写；长期推进问题必须填写现阶段成效",
	store.PartCases:          "每个案例含文字和至少一个附件",
	store.PartAccountability: "追责问责、容错免责情况",
}

// summaryOpenFor is how long files sent after opening a part attach to it.
const summaryOpenFor = 30 * time.Minute

// summaryTextMax is the longest text of a part.
const summaryTextMax = 5000

// registerSummary adds the 总结 commands and actions.
func (h *handler) registerSummary(rt *bot.Router) {
	rt.Command(h.summaryCommand, "总结", "总结材料")
	rt.Action("summary.show", h.summaryShow)
	rt.Action("summary.part.form", h.summaryPartForm)
	rt.Action("summary.part.submit", h.summaryPartSubmit)
	rt.Action("summary.ledger.confirm", h.summaryLedgerConfirm)
	rt.Action("summary.notes", h.summaryNotes)
	rt.Action("summary.note.form", h.summaryNoteForm)
	rt.Action("summary.note.submit", h.summaryNoteSubmit)
	rt.Action("summary.submit", h.summarySubmit)
	rt.Action("summary.reopen", h.summaryReopen)
	rt.Action("summary.overview", h.summaryOverview)
}

// packageStatus is a unit's package of a milestone with what it needs.
type packageStatus struct {
	m      *store.Milestone
	u      *store.Unit
	p      *store.SummaryPackage // nil: not started
	report *store.SummaryPart
	acct   *store.SummaryPart
	cases  []*store.SummaryPart
	ledger store.LedgerSnapshot // the ledger now
	items  []*store.LedgerItem  // the unit's items not closed
	notes  map[int64]*store.SummaryItemNote
}

func (s *packageStatus) complete() bool { return s.p != nil && s.p.State == store.PackageComplete }

// ledgerConfirmed reports whether the unit confirmed its ledger as it is
// now; changed reports a confirmation the ledger has moved on from.
func (s *packageStatus) ledgerConfirmed() (ok, changed bool) {
	if s.p == nil || s.p.LedgerCounts == nil {
		return false, false
	}
	ok = s.p.LedgerCounts.Fingerprint == s.ledger.Fingerprint
	return ok, !ok
}

// longTermMissing are the 长期推进 items without a 现阶段成效 note.
func (s *packageStatus) longTermMissing() []*store.LedgerItem {
	var out []*store.LedgerItem
	for _, it := range s.items {
		if it.Status == store.ItemLongTerm && (s.notes[it.ID] == nil || s.notes[it.ID].Effect == "") {
			out = append(out, it)
		}
	}
	return out
}

// noted counts the open items with a 现阶段成效 note.
func (s *packageStatus) noted() int {
	n := 0
	for _, it := range s.items {
		if s.notes[it.ID] != nil && s.notes[it.ID].Effect != "" {
			n++
		}
	}
	return n
}

// casesDone counts the cases with a text and a file.
func (s *packageStatus) casesDone() int {
	n := 0
	for _, c := range s.cases {
		if c.Body != "" && len(c.FileIDs) > 0 {
			n++
		}
	}
	return n
}

// missing says, part by part, what the package still lacks; empty when it
// may be submitted.
func (s *packageStatus) missing() []string {
	var out []string
	for _, part := range s.m.Parts {
		switch part {
		case store.PartReport:
			if s.report == nil || !s.report.Present() {
				out = append(out, "总结报告")
			}
		case store.PartAccountability:
			if s.acct == nil || !s.acct.Present() {
				out = append(out, "追责问责和容错免责专题报告")
			}
		case store.PartLedger:
			switch ok, changed := s.ledgerConfirmed(); {
			case changed:
				out = append(out, "整改台账（确认后台账有变动，请重新确认）")
			case !ok:
				out = append(out, "整改台账（待确认）")
			}
		case store.PartProgress:
			if lt := s.longTermMissing(); len(lt) > 0 {
				out = append(out, fmt.Sprintf("长期推进问题 %s 的现阶段成效", itemNumbers(lt, 5)))
			}
		case store.PartCases:
			done := s.casesDone()
			for _, c := range s.cases {
				switch {
				case c.Body == "":
					out = append(out, fmt.Sprintf("典型案例%d的文字", c.Seq))
				case len(c.FileIDs) == 0:
					out = append(out, fmt.Sprintf("典型案例%d的附件", c.Seq))
				}
			}
			if done < s.m.MinCases {
				out = append(out, fmt.Sprintf("典型案例（至少 %d 个，已齐 %d 个）", s.m.MinCases, done))
			}
		}
	}
	return out
}

// itemNumbers lists items' numbers, at most n and how many more.
func itemNumbers(items []*store.LedgerItem, n int) string {
	var nums []string
	for i, it := range items {
		if i == n {
			nums = append(nums, fmt.Sprintf("等 %d 条", len(items)))
			break
		}
		nums = append(nums, it.Number)
	}
	return strings.Join(nums, "、")
}

// loadPackageStatuses loads the packages of units for m in a few set-based
// queries (the planner runs it for every unit that owes the milestone).
func loadPackageStatuses(ctx context.Context, st *store.Store, m *store.Milestone, units []*store.Unit) ([]*packageStatus, error) {
	var ids []int64
	for _, u := range units {
		ids = append(ids, u.ID)
	}
	pkgs, err := st.SummaryPackages(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	var pids []int64
	for _, p := range pkgs {
		pids = append(pids, p.ID)
	}
	parts, err := st.SummaryParts(ctx, pids)
	if err != nil {
		return nil, err
	}
	notes, err := st.SummaryItemNotes(ctx, pids)
	if err != nil {
		return nil, err
	}
	snaps, err := st.LedgerSnapshots(ctx, ids)
	if err != nil {
		return nil, err
	}
	items, err := st.OpenItemsOfUnits(ctx, ids)
	if err != nil {
		return nil, err
	}
	byUnit := map[int64][]*store.LedgerItem{}
	for _, it := range items {
		byUnit[it.UnitID] = append(byUnit[it.UnitID], it)
	}
	var out []*packageStatus
	for _, u := range units {
		s := &packageStatus{m: m, u: u, p: pkgs[u.ID], ledger: snaps[u.ID], items: byUnit[u.ID], notes: map[int64]*store.SummaryItemNote{}}
		if s.p != nil {
			if n := notes[s.p.ID]; n != nil {
				s.notes = n
			}
			for _, part := range parts[s.p.ID] {
				switch part.Part {
				case store.RowReport:
					s.report = part
				case store.RowAccountability:
					s.acct = part
				case store.RowCase:
					s.cases = append(s.cases, part)
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// packageStatusOf is loadPackageStatuses for one unit.
func packageStatusOf(ctx context.Context, st *store.Store, m *store.Milestone, u *store.Unit) (*packageStatus, error) {
	s, err := loadPackageStatuses(ctx, st, m, []*store.Unit{u})
	if err != nil {
		return nil, err
	}
	return s[0], nil
}

// summaryMilestone is the campaign's package milestone a typed 总结 is
// about: the first not yet due, else the last.
func summaryMilestone(ctx context.Context, r *bot.Request) (*store.Milestone, error) {
	ms, err := r.Store.Milestones(ctx, r.Campaign.ID)
	if err != nil {
		return nil, err
	}
	var last *store.Milestone
	for _, m := range ms {
		if !m.IsPackage() {
			continue
		}
		if !civil(m.DueOn).Before(today(r)) {
			return m, nil
		}
		last = m
	}
	if last == nil {
		return nil, bot.Refuse("本次专项整治没有需要分项报送材料的节点。")
	}
	return last, nil
}

// canFill reports whether the asker fills u's package: its liaison or
// leader.
func canFill(r *bot.Request, u *store.Unit) bool {
	return slices.Contains(r.Roles.Liaises, u.ID) || slices.Contains(r.Roles.Leads, u.ID)
}

func summaryParams(m *store.Milestone, u *store.Unit) map[string]string {
	return map[string]string{"milestone": m.Key, "unit": u.Key}
}

func summarySubject(m *store.Milestone, u *store.Unit) string {
	return "summary:" + m.Key + ":" + u.Key
}

// summaryCommand answers 总结 [情况 | 单位]: the asker's unit's checklist,
// the office's overview (总结 情况, or 总结 alone), or a named unit's.
func (h *handler) summaryCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needPerson(r); err != nil {
		return nil, err
	}
	m, err := summaryMilestone(ctx, r)
	if err != nil {
		return nil, err
	}
	arg := strings.TrimSpace(r.Args)
	if arg == "情况" || (arg == "" && r.Roles.Office) {
		if !r.Roles.Office {
			return nil, bot.Refuse(msgOfficeOnly, "查看各单位总结材料报送情况")
		}
		return h.summaryOverviewReply(ctx, r, m)
	}
	u, choose, err := askerUnit(ctx, r, arg)
	if err != nil {
		return nil, err
	}
	if choose != nil {
		var btns []cards.Button
		var names []string
		for i, x := range choose {
			names = append(names, x.Name)
			if i < 6 {
				btns = append(btns, cards.Button{Text: x.Name, Action: "summary.show", Params: summaryParams(m, x), Command: "总结 " + x.Name})
			}
		}
		return bot.CardReply(&cards.Card{Title: "总结材料", Tone: cards.ToneInfo, Blocks: []cards.Block{
			cards.MD("请选择单位，或发送“总结 单位名称”：" + strings.Join(names, "、")), cards.ButtonsBlock(btns...)}}), nil
	}
	ok, err := r.Store.MilestoneAddressedTo(ctx, m.ID, u.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bot.Refuse("节点“%s”不是%s的任务。", m.Title, u.Name)
	}
	card, err := h.summaryCard(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Subject: summarySubject(m, u)}, nil
}

// summaryTarget loads the action's milestone (a package) and unit for one
// who may see the unit's package; fill also requires its liaison or leader.
func summaryTarget(ctx context.Context, r *bot.Request, fill bool) (*store.Milestone, *store.Unit, error) {
	m, u, err := milestoneParams(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	if !m.IsPackage() {
		return nil, nil, bot.Refuse("节点“%s”不需要分项报送材料。", m.Title)
	}
	if fill && !canFill(r, u) {
		return nil, nil, bot.Refuse("总结材料由%s的联络人或领导填写报送。", u.Name)
	}
	return m, u, nil
}

// lockPackage locks the unit's package for a change, refusing when it is
// complete.
func lockPackage(ctx context.Context, r *bot.Request, m *store.Milestone, u *store.Unit) (*store.SummaryPackage, error) {
	p, err := r.Store.LockSummaryPackage(ctx, m.ID, u.ID, r.Now)
	if err != nil {
		return nil, err
	}
	if p.State == store.PackageComplete {
		return nil, bot.Refuse("%s的总结材料已于 %s 提交完成，不能再修改。如需修改，请联系市局专项整治办公室重新打开。",
			u.Name, p.CompletedAt.In(r.Campaign.Location()).Format("2006-01-02 15:04"))
	}
	return p, nil
}

// auditPackage appends the audit row of a package change.
func auditPackage(ctx context.Context, r *bot.Request, action string, m *store.Milestone, u *store.Unit, detail map[string]any) error {
	detail["milestone"], detail["unit"] = m.Key, u.Key
	return r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "summary_package", EntityID: m.Key + ":" + u.Key,
		Action: action, New: detail})
}

// summaryCard is the checklist of u's package for the asker.
func (h *handler) summaryCard(ctx context.Context, r *bot.Request, m *store.Milestone, u *store.Unit) (*cards.Card, error) {
	s, err := packageStatusOf(ctx, r.Store, m, u)
	if err != nil {
		return nil, err
	}
	var ids []int64
	if s.p != nil {
		for _, id := range []*int64{s.p.LedgerConfirmedBy, s.p.CompletedBy} {
			if id != nil {
				ids = append(ids, *id)
			}
		}
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return summaryCardFrom(s, people, r.Now, r.Campaign.Location(), canFill(r, u), r.Roles.Office && !canFill(r, u)), nil
}

var summaryNumerals = []string{"一", "二", "三", "四", "五", "六"}

// summaryCardFrom renders the checklist: each part with what it has, what
// is missing, the buttons to add each part (for the unit's liaison and
// leader) and to submit; the office may reopen a complete package.
func summaryCardFrom(s *packageStatus, people map[int64]*store.Person, now time.Time, loc *time.Location, fill, office bool) *cards.Card {
	day := dayOf(now, loc)
	due := civil(s.m.DueOn)
	card := &cards.Card{Title: "总结材料 · " + s.u.Name, Subtitle: "截止 " + due.Format(time.DateOnly), Tone: cards.ToneInfo}
	card.Blocks = append(card.Blocks, cards.MD(fmt.Sprintf("**%s**\n截止时间：%s（%s）", s.m.Title, due.Format(time.DateOnly), countdown(due, day))))
	var lines []string
	for i, part := range s.m.Parts {
		head := fmt.Sprintf("**%s、%s**（%s）：", summaryNumerals[i], summaryPartNames[part], summaryPartHints[part])
		lines = append(lines, head+summaryPartState(s, part, people, loc))
	}
	card.Blocks = append(card.Blocks, cards.MD(strings.Join(lines, "\n")))
	p := summaryParams(s.m, s.u)
	if s.complete() {
		card.Tone = cards.ToneSuccess
		card.Blocks = append(card.Blocks, cards.NoteBlock(fmt.Sprintf("%s 于 %s 提交，材料齐全。", personName(people, s.p.CompletedBy),
			s.p.CompletedAt.In(loc).Format("2006-01-02 15:04"))))
		if office {
			card.Blocks = append(card.Blocks, cards.ButtonsBlock(cards.Button{Text: "重新打开", Action: "summary.reopen", Params: p,
				Confirm: "重新打开后该单位可修改材料，须重新提交。确认？"}))
		}
		return card
	}
	missing := s.missing()
	if len(missing) > 0 {
		card.Blocks = append(card.Blocks, cards.MD("**尚缺**："+strings.Join(missing, "；")))
		if day.After(due) {
			card.Tone = cards.ToneDanger
		}
	} else {
		card.Blocks = append(card.Blocks, cards.MD("各部分材料已齐全，请点“提交总结材料”。"))
	}
	if !fill {
		card.Blocks = append(card.Blocks, cards.NoteBlock("总结材料由该单位联络人或领导填写报送。"))
		return card
	}
	var btns []cards.Button
	for _, part := range s.m.Parts {
		switch part {
		case store.PartReport, store.PartAccountability:
			btns = append(btns, cards.Button{Text: summaryPartNames[part], Action: "summary.part.form", Params: paramsWith(p, "part", part)})
		case store.PartLedger:
			btns = append(btns, cards.Button{Text: "确认整改台账", Action: "summary.ledger.confirm", Params: p,
				Confirm: "将按当前台账生成整改台账并记为本单位确认的版本，文件将发送给您。确认？"})
		case store.PartProgress:
			btns = append(btns, cards.Button{Text: "填写现阶段成效", Action: "summary.notes", Params: p})
		case store.PartCases:
			btns = append(btns, cards.Button{Text: "添加典型案例", Action: "summary.part.form", Params: paramsWith(p, "part", store.RowCase)})
		}
	}
	for len(btns) > 0 {
		n := min(len(btns), 3)
		card.Blocks = append(card.Blocks, cards.ButtonsBlock(btns[:n]...))
		btns = btns[n:]
	}
	submit := cards.Button{Text: "提交总结材料", Action: "summary.submit", Params: p, Style: cards.StylePrimary}
	if len(missing) == 0 {
		submit.Confirm = "提交后不能再修改。确认提交？"
	}
	card.Blocks = append(card.Blocks, cards.ButtonsBlock(submit))
	note := "点各部分按钮填写文字；附件可随表单发送，也可在打开某部分后 30 分钟内直接发送，将记入该部分。"
	if s.p != nil && s.p.OpenPart != "" && s.p.OpenPartAt != nil && now.Sub(*s.p.OpenPartAt) < summaryOpenFor {
		note = fmt.Sprintf("现在发送的附件将记入“%s”（%s 前）。", openPartName(s.p.OpenPart), s.p.OpenPartAt.Add(summaryOpenFor).In(loc).Format("15:04"))
	}
	card.Blocks = append(card.Blocks, cards.NoteBlock(note))
	return card
}

// summaryPartState is one part's line: what it has.
func summaryPartState(s *packageStatus, part string, people map[int64]*store.Person, loc *time.Location) string {
	switch part {
	case store.PartReport:
		return textPartState(s.report)
	case store.PartAccountability:
		return textPartState(s.acct)
	case store.PartLedger:
		l := s.ledger
		counts := fmt.Sprintf("共 %d 条：已销号 %d、整改中 %d、长期推进 %d、申请销号 %d", l.Total, l.Closed, l.InProgress, l.LongTerm, l.Requested)
		switch ok, changed := s.ledgerConfirmed(); {
		case ok:
			return fmt.Sprintf("已确认（%s，%s %s 确认）", counts, personName(people, s.p.LedgerConfirmedBy), s.p.LedgerConfirmedAt.In(loc).Format("01-02 15:04"))
		case changed:
			return "确认后台账有变动，请重新确认（" + counts + "）"
		}
		return "待确认（" + counts + "）"
	case store.PartProgress:
		if len(s.items) == 0 {
			return "无整改中、长期推进的问题"
		}
		line := fmt.Sprintf("已填 %d/%d 条", s.noted(), len(s.items))
		if lt := s.longTermMissing(); len(lt) > 0 {
			line += fmt.Sprintf("，长期推进问题 %s 未填现阶段成效", itemNumbers(lt, 5))
		}
		return line
	case store.PartCases:
		if len(s.cases) == 0 {
			return fmt.Sprintf("未报送（至少 %d 个）", s.m.MinCases)
		}
		var cs []string
		for _, c := range s.cases {
			st := fmt.Sprintf("附件 %d 个", len(c.FileIDs))
			if len(c.FileIDs) == 0 {
				st = "缺附件"
			}
			cs = append(cs, fmt.Sprintf("案例%d“%s”（%s）", c.Seq, shorten(c.Title, 16), st))
		}
		return fmt.Sprintf("已齐 %d 个，至少 %d 个：%s", s.casesDone(), s.m.MinCases, strings.Join(cs, "、"))
	}
	return ""
}

func textPartState(p *store.SummaryPart) string {
	if p == nil || !p.Present() {
		return "未报送"
	}
	var has []string
	if p.Body != "" {
		has = append(has, fmt.Sprintf("文字 %d 字", cards.RuneLen(p.Body)))
	}
	if len(p.FileIDs) > 0 {
		has = append(has, fmt.Sprintf("附件 %d 个（%s）", len(p.FileIDs), shorten(strings.Join(p.Names, "、"), 30)))
	}
	return "已报送，" + strings.Join(has, "，")
}

// openPartName names an open part: 总结报告, 典型案例2, ….
func openPartName(open string) string {
	part, seq, _ := strings.Cut(open, ":")
	if part == store.RowCase {
		return "典型案例" + seq
	}
	return summaryPartNames[part]
}

// paramsWith is a copy of p with k set to v.
func paramsWith(p map[string]string, k, v string) map[string]string {
	out := maps.Clone(p)
	out[k] = v
	return out
}

// summaryShow answers summary.show {milestone, unit}.
func (h *handler) summaryShow(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := summaryTarget(ctx, r, false)
	if err != nil {
		return nil, err
	}
	card, err := h.summaryCard(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Subject: summarySubject(m, u)}, nil
}

// summaryPartFormCard asks for a part's text: the 总结报告 or the 专题报告
// (prefilled with what it has), or a 典型案例 (numbered seq).
func summaryPartFormCard(m *store.Milestone, u *store.Unit, row string, seq int, cur *store.SummaryPart) *cards.Card {
	p := paramsWith(paramsWith(summaryParams(m, u), "part", row), "seq", strconv.Itoa(seq))
	body := ""
	if cur != nil {
		body = cur.Body
	}
	var fields []cards.FormField
	title := summaryPartNames[row]
	intro := summaryPartHints[row]
	if row == store.RowCase {
		title = fmt.Sprintf("典型案例%d", seq)
		intro = "写明案例经过、整改措施和成效；至少附一个附件（照片、文书等），可随表单发送，或提交后直接发送。"
		fields = append(fields, cards.FormField{Name: "title", Label: "案例名称", Kind: cards.KindText, Required: true, MaxLen: 60})
	}
	fields = append(fields, cards.FormField{Name: "body", Label: "内容", Kind: cards.KindLongText, Required: row == store.RowCase,
		MaxLen: summaryTextMax, Default: body})
	return &cards.Card{Title: title + " · " + u.Name, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(intro),
		cards.FormBlock(&cards.Form{Name: "summary_part", Fields: fields,
			Submit: cards.Button{Text: "保存", Action: "summary.part.submit", Style: cards.StylePrimary, Params: p}}),
		cards.NoteBlock("文字和附件至少有一项；附件可随表单发送，或保存后 30 分钟内直接发送。"),
	}}
}

// partRow reads the action's part ("report", "accountability", "case")
// and, for a case, its number: the next one when absent.
func partRow(r *bot.Request, m *store.Milestone, s *packageStatus) (string, int, *store.SummaryPart, error) {
	row := actionParam(r, "part")
	switch {
	case row == store.RowReport && m.HasPart(store.PartReport):
		return row, 0, s.report, nil
	case row == store.RowAccountability && m.HasPart(store.PartAccountability):
		return row, 0, s.acct, nil
	case row == store.RowCase && m.HasPart(store.PartCases):
		next := len(s.cases) + 1
		seq, err := strconv.Atoi(actionParam(r, "seq"))
		if err != nil || seq <= 0 {
			return row, next, nil, nil
		}
		if seq > next {
			return "", 0, nil, bot.Refuse("卡片参数有误，请重新打开卡片。")
		}
		for _, c := range s.cases {
			if c.Seq == seq {
				return row, seq, c, nil
			}
		}
		return row, seq, nil, nil
	}
	return "", 0, nil, bot.Refuse("卡片参数有误，请重新打开卡片。")
}

// summaryPartForm answers summary.part.form {milestone, unit, part[, seq]}:
// the part's form; the part is opened for files.
func (h *handler) summaryPartForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, p, row, seq, cur, err := lockedPart(ctx, r)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(summaryPartFormCard(m, u, row, seq, cur)), h.openPart(ctx, r, p, row, seq)
}

// lockedPart loads what a part action acts on: the milestone, the unit, its
// package (locked), and the part named by the action's params with its
// current content (nil when empty).
func lockedPart(ctx context.Context, r *bot.Request) (m *store.Milestone, u *store.Unit, p *store.SummaryPackage,
	row string, seq int, cur *store.SummaryPart, err error) {
	if m, u, err = summaryTarget(ctx, r, true); err != nil {
		return
	}
	if p, err = lockPackage(ctx, r, m, u); err != nil {
		return
	}
	s, err := packageStatusOf(ctx, r.Store, m, u)
	if err != nil {
		return
	}
	row, seq, cur, err = partRow(r, m, s)
	return
}

// openPart makes files the asker sends next attach to the part.
func (h *handler) openPart(ctx context.Context, r *bot.Request, p *store.SummaryPackage, row string, seq int) error {
	open := row
	if row == store.RowCase {
		open = row + ":" + strconv.Itoa(seq)
	}
	now := r.Now
	p.OpenPart, p.OpenPartBy, p.OpenPartAt = open, &r.Person.ID, &now
	return r.Store.UpdateSummaryPackage(ctx, p, p.Version)
}

// eventFiles stores the event's files (their size and type were admitted
// by the bot) and returns their ids and names.
func eventFiles(ctx context.Context, r *bot.Request) ([]int64, []string, error) {
	files, err := saveEventFiles(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	var ids []int64
	var names []string
	for _, f := range files {
		ids, names = append(ids, f.ID), append(names, f.Name)
	}
	return ids, names, nil
}

// summaryPartSubmit answers summary.part.submit {milestone, unit, part,
// seq}: the part's text (and the files sent with it) saved; the part stays
// open for more files.
func (h *handler) summaryPartSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, p, row, seq, cur, err := lockedPart(ctx, r)
	if err != nil {
		return nil, err
	}
	v, err := formCheck(r, summaryPartFormCard(m, u, row, seq, cur).Form())
	if err != nil {
		return nil, err
	}
	ids, names, err := eventFiles(ctx, r)
	if err != nil {
		return nil, err
	}
	body := strings.TrimSpace(v.Get("body"))
	if body == "" && len(ids) == 0 && (cur == nil || len(cur.FileIDs) == 0) {
		return nil, bot.Refuse("填写有误，未作修改：%s需要文字或附件，请填写内容或随表单发送附件。", summaryPartNames[row])
	}
	part := &store.SummaryPart{PackageID: p.ID, Part: row, Seq: seq, Title: strings.TrimSpace(v.Get("title")), Body: body,
		FileIDs: ids, Names: names, UpdatedBy: &r.Person.ID, UpdatedAt: r.Now}
	if err := r.Store.SaveSummaryPart(ctx, part); err != nil {
		return nil, err
	}
	if err := h.openPart(ctx, r, p, row, seq); err != nil {
		return nil, err
	}
	name := openPartName(p.OpenPart)
	if err := auditPackage(ctx, r, "part", m, u, map[string]any{"part": name, "title": part.Title, "text_len": cards.RuneLen(body),
		"files": part.Names}); err != nil {
		return nil, err
	}
	card, err := h.summaryCard(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	toast, kind := fmt.Sprintf("已保存“%s”", name), "success"
	if row == store.RowCase && len(part.FileIDs) == 0 {
		toast, kind = fmt.Sprintf("已保存“%s”，但还没有附件：请在 30 分钟内发送案例的附件（照片、文书等），否则该案例不计入", name), "warning"
	}
	return &bot.Reply{Card: card, Toast: toast, ToastKind: kind, Subject: summarySubject(m, u)}, nil
}

// summaryFiles attaches files sent without a caption to the part the
// sender opened in the last half hour. handled is false when he has none
// open.
func (h *handler) summaryFiles(ctx context.Context, r *bot.Request) (*bot.Reply, bool, error) {
	p, err := r.Store.OpenPartOf(ctx, r.Person.ID, r.Now.Add(-summaryOpenFor))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	u, err := r.Store.UnitByID(ctx, p.UnitID)
	if err != nil {
		return nil, true, err
	}
	if !canFill(r, u) {
		return nil, false, nil
	}
	ms, err := r.Store.Milestones(ctx, r.Campaign.ID)
	if err != nil {
		return nil, true, err
	}
	var m *store.Milestone
	for _, x := range ms {
		if x.ID == p.MilestoneID {
			m = x
		}
	}
	if m == nil {
		return nil, false, nil
	}
	ids, names, err := eventFiles(ctx, r)
	if err != nil {
		return nil, true, err
	}
	row, seqText, _ := strings.Cut(p.OpenPart, ":")
	seq, _ := strconv.Atoi(seqText)
	part := &store.SummaryPart{PackageID: p.ID, Part: row, Seq: seq, UpdatedBy: &r.Person.ID, UpdatedAt: r.Now}
	parts, err := r.Store.SummaryParts(ctx, []int64{p.ID})
	if err != nil {
		return nil, true, err
	}
	for _, x := range parts[p.ID] {
		if x.Part == row && x.Seq == seq {
			part.Title, part.Body = x.Title, x.Body
		}
	}
	part.FileIDs, part.Names = ids, names
	if err := r.Store.SaveSummaryPart(ctx, part); err != nil {
		return nil, true, err
	}
	name := openPartName(p.OpenPart)
	if err := auditPackage(ctx, r, "files", m, u, map[string]any{"part": name, "files": names}); err != nil {
		return nil, true, err
	}
	card, err := h.summaryCard(ctx, r, m, u)
	if err != nil {
		return nil, true, err
	}
	return &bot.Reply{Text: fmt.Sprintf("已将 %d 个附件（%s）记入%s的“%s”。", len(ids), strings.Join(names, "、"), u.Name, name), Card: card,
		Subject: summarySubject(m, u)}, true, nil
}

// summaryLedgerConfirm answers summary.ledger.confirm {milestone, unit}:
// the unit's ledger as it is now is generated, kept as the package's 整改台账
// and sent to the asker; the unit has confirmed it.
func (h *handler) summaryLedgerConfirm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := summaryTarget(ctx, r, true)
	if err != nil {
		return nil, err
	}
	if !m.HasPart(store.PartLedger) {
		return nil, bot.Refuse("卡片参数有误，请重新打开卡片。")
	}
	p, err := lockPackage(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	fileID, snap, data, err := packageLedger(ctx, r, u)
	if err != nil {
		return nil, err
	}
	now := r.Now
	p.LedgerFileID, p.LedgerCounts, p.LedgerConfirmedBy, p.LedgerConfirmedAt = &fileID, &snap, &r.Person.ID, &now
	if err := r.Store.UpdateSummaryPackage(ctx, p, p.Version); err != nil {
		return nil, err
	}
	if err := auditPackage(ctx, r, "ledger", m, u, map[string]any{"ledger": snap}); err != nil {
		return nil, err
	}
	if err := sendFile(ctx, r, summaryLedgerName(u), data, "summary-ledger:"+m.Key+":"+u.Key); err != nil {
		return nil, err
	}
	card, err := h.summaryCard(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Toast: fmt.Sprintf("已确认整改台账（共 %d 条），文件已发送到您的单聊", snap.Total), ToastKind: "success",
		Subject: summarySubject(m, u)}, nil
}

func summaryLedgerName(u *store.Unit) string { return "整改台账-" + u.Name + ".xlsx" }

// packageLedger generates u's ledger as it is now and stores it.
func packageLedger(ctx context.Context, r *bot.Request, u *store.Unit) (int64, store.LedgerSnapshot, []byte, error) {
	snaps, err := r.Store.LedgerSnapshots(ctx, []int64{u.ID})
	if err != nil {
		return 0, store.LedgerSnapshot{}, nil, err
	}
	f, _, err := ledgerWorkbook(ctx, r.Store, r.Campaign, []int64{u.ID}, r.Now)
	if err != nil {
		return 0, store.LedgerSnapshot{}, nil, err
	}
	data, err := workbookBytes(f)
	if err != nil {
		return 0, store.LedgerSnapshot{}, nil, err
	}
	sf := &store.StoredFile{Name: summaryLedgerName(u), MIME: XLSXMIME, Content: data, Platform: string(r.Event.Platform), Sender: r.Event.Sender.ID}
	if err := r.Store.SaveFile(ctx, sf); err != nil {
		return 0, store.LedgerSnapshot{}, nil, err
	}
	return sf.ID, snaps[u.ID], data, nil
}

// summaryNotesCard lists the unit's items still 整改中 or 长期推进 with
// their notes: the 长期推进 ones missing a 现阶段成效 first, a button to each
// of the first eight.
func summaryNotesCard(s *packageStatus, fill bool) *cards.Card {
	card := &cards.Card{Title: "现阶段成效和长期举措 · " + s.u.Name, Subtitle: fmt.Sprintf("已填 %d/%d 条", s.noted(), len(s.items)), Tone: cards.ToneInfo}
	if len(s.items) == 0 {
		card.Blocks = append(card.Blocks, cards.MD("本单位没有整改中、长期推进的问题，此部分无需填写。"))
	}
	items := slices.Clone(s.items)
	slices.SortStableFunc(items, func(a, b *store.LedgerItem) int { return noteRank(s, a) - noteRank(s, b) })
	var lines []string
	var btns []cards.Button
	for i, it := range items {
		n := s.notes[it.ID]
		state := "未填"
		if n != nil && n.Effect != "" {
			state = "已填：" + shorten(n.Effect, 20)
		}
		mark := ""
		if it.Status == store.ItemLongTerm && (n == nil || n.Effect == "") {
			mark = "（必填）"
		}
		if i < 15 {
			lines = append(lines, fmt.Sprintf("**%s** %s · %s · %s%s", it.Number, shorten(it.Description, 16), statusName(it.Status), state, mark))
		}
		if fill && i < 8 {
			btns = append(btns, cards.Button{Text: it.Number, Action: "summary.note.form",
				Params: paramsWith(summaryParams(s.m, s.u), "item", strconv.FormatInt(it.ID, 10))})
		}
	}
	if len(items) > 15 {
		lines = append(lines, fmt.Sprintf("… 另有 %d 条", len(items)-15))
	}
	if len(lines) > 0 {
		card.Blocks = append(card.Blocks, cards.MD(strings.Join(lines, "\n")))
	}
	for len(btns) > 0 {
		n := min(len(btns), 4)
		card.Blocks = append(card.Blocks, cards.ButtonsBlock(btns[:n]...))
		btns = btns[n:]
	}
	card.Blocks = append(card.Blocks, cards.ButtonsBlock(cards.Button{Text: "返回总结材料", Action: "summary.show", Params: summaryParams(s.m, s.u)}))
	return card
}

// noteRank orders items for the notes card: 长期推进 without a 现阶段成效
// first, then the others without one, then the noted.
func noteRank(s *packageStatus, it *store.LedgerItem) int {
	n := s.notes[it.ID]
	switch {
	case n != nil && n.Effect != "":
		return 2
	case it.Status == store.ItemLongTerm:
		return 0
	}
	return 1
}

// summaryNotes answers summary.notes {milestone, unit}.
func (h *handler) summaryNotes(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := summaryTarget(ctx, r, false)
	if err != nil {
		return nil, err
	}
	s, err := packageStatusOf(ctx, r.Store, m, u)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(summaryNotesCard(s, canFill(r, u) && !s.complete())), nil
}

func summaryNoteFormCard(m *store.Milestone, u *store.Unit, it *store.LedgerItem, n *store.SummaryItemNote) *cards.Card {
	effect, measures := it.Effect, ""
	if n != nil {
		effect, measures = n.Effect, n.Measures
	}
	effectLabel := "现阶段成效"
	if it.Status == store.ItemLongTerm {
		effectLabel = "现阶段成效（长期推进问题必填）"
	}
	return &cards.Card{Title: "现阶段成效 · " + it.Number, Subtitle: u.Name, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**问题**：%s\n**状态**：%s；**整改措施**：%s", truncate(it.Description, 200), statusName(it.Status), truncate(it.Measures, 200))),
		cards.FormBlock(&cards.Form{Name: "summary_note", Fields: []cards.FormField{
			{Name: "effect", Label: effectLabel, Kind: cards.KindLongText, Required: true, MaxLen: 1000, Default: effect},
			{Name: "measures", Label: "长期举措", Kind: cards.KindLongText, MaxLen: 1000, Default: measures},
		}, Submit: cards.Button{Text: "保存", Action: "summary.note.submit", Style: cards.StylePrimary,
			Params: paramsWith(summaryParams(m, u), "item", strconv.FormatInt(it.ID, 10))}}),
	}}
}

// noteItem loads the action's item: one of u's items not closed.
func noteItem(ctx context.Context, r *bot.Request, u *store.Unit) (*store.LedgerItem, error) {
	id, err := actionID(r, "item")
	if err != nil {
		return nil, err
	}
	it, err := r.Store.LedgerItemByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && it.UnitID != u.ID) {
		return nil, bot.Refuse("该问题不是%s的台账问题。", u.Name)
	}
	if err != nil {
		return nil, err
	}
	if it.Status == store.ItemClosed {
		return nil, bot.Refuse("问题 %s 已销号，无需填写现阶段成效。", it.Number)
	}
	return it, nil
}

// summaryNoteForm answers summary.note.form {milestone, unit, item}.
func (h *handler) summaryNoteForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := summaryTarget(ctx, r, true)
	if err != nil {
		return nil, err
	}
	p, err := lockPackage(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	it, err := noteItem(ctx, r, u)
	if err != nil {
		return nil, err
	}
	notes, err := r.Store.SummaryItemNotes(ctx, []int64{p.ID})
	if err != nil {
		return nil, err
	}
	return bot.CardReply(summaryNoteFormCard(m, u, it, notes[p.ID][it.ID])), nil
}

// summaryNoteSubmit answers summary.note.submit {milestone, unit, item}.
func (h *handler) summaryNoteSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := summaryTarget(ctx, r, true)
	if err != nil {
		return nil, err
	}
	p, err := lockPackage(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	it, err := noteItem(ctx, r, u)
	if err != nil {
		return nil, err
	}
	v, err := formCheck(r, summaryNoteFormCard(m, u, it, nil).Form())
	if err != nil {
		return nil, err
	}
	n := &store.SummaryItemNote{PackageID: p.ID, ItemID: it.ID, Effect: strings.TrimSpace(v.Get("effect")),
		Measures: strings.TrimSpace(v.Get("measures")), UpdatedBy: &r.Person.ID, UpdatedAt: r.Now}
	if n.Effect == "" {
		return nil, bot.Refuse("填写有误，未作修改：请填写问题 %s 的现阶段成效。", it.Number)
	}
	if err := r.Store.SaveSummaryItemNote(ctx, n); err != nil {
		return nil, err
	}
	if err := auditPackage(ctx, r, "note", m, u, map[string]any{"item": it.Number, "effect": n.Effect, "measures": n.Measures}); err != nil {
		return nil, err
	}
	s, err := packageStatusOf(ctx, r.Store, m, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: summaryNotesCard(s, true), Toast: "已保存 " + it.Number + " 的现阶段成效", ToastKind: "success"}, nil
}

// summarySubmit answers summary.submit {milestone, unit}: the package is
// complete when nothing is missing, and the milestone is done; otherwise
// the refusal names what is missing. A complete package is not submitted
// twice.
func (h *handler) summarySubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := summaryTarget(ctx, r, true)
	if err != nil {
		return nil, err
	}
	p, err := r.Store.LockSummaryPackage(ctx, m.ID, u.ID, r.Now)
	if err != nil {
		return nil, err
	}
	if p.State == store.PackageComplete {
		return nil, bot.Refuse("%s的总结材料已于 %s 提交完成，无需重复提交。如需修改，请联系市局专项整治办公室重新打开。",
			u.Name, p.CompletedAt.In(r.Campaign.Location()).Format("2006-01-02 15:04"))
	}
	s, err := packageStatusOf(ctx, r.Store, m, u)
	if err != nil {
		return nil, err
	}
	if missing := s.missing(); len(missing) > 0 {
		return nil, bot.Refuse("总结材料尚未齐全，未提交。尚缺：%s。", strings.Join(missing, "；"))
	}
	if m.HasPart(store.PartLedger) {
		// The ledger part is the ledger at the moment of submission, which
		// the unit confirmed (the fingerprint is unchanged).
		fileID, snap, _, err := packageLedger(ctx, r, u)
		if err != nil {
			return nil, err
		}
		p.LedgerFileID, p.LedgerCounts = &fileID, &snap
	}
	now := r.Now
	p.State, p.CompletedBy, p.CompletedAt, p.OpenPart, p.OpenPartBy, p.OpenPartAt = store.PackageComplete, &r.Person.ID, &now, "", nil, nil
	if err := r.Store.UpdateSummaryPackage(ctx, p, p.Version); err != nil {
		return nil, err
	}
	sub := &store.MilestoneSubmission{MilestoneID: m.ID, UnitID: u.ID, Note: "总结材料齐全，已提交", PersonID: &r.Person.ID, SubmittedAt: r.Now}
	if err := r.Store.SubmitMilestoneAt(ctx, sub); err != nil {
		return nil, conflictRefusal(err, "该节点已标记完成。")
	}
	if err := MilestoneRemindersDone(ctx, r, m, u); err != nil {
		return nil, err
	}
	if err := auditPackage(ctx, r, "submit", m, u, map[string]any{"cases": s.casesDone(), "ledger": p.LedgerCounts}); err != nil {
		return nil, err
	}
	card, err := h.summaryCard(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	if err := h.tellOffice(ctx, r, r.Campaign, bot.Message{Text: fmt.Sprintf("%s已提交总结材料（%s）。", u.Name, m.Title)},
		"summary:"+m.Key+":"+u.Key+":submitted:"+strconv.FormatInt(now.Unix(), 10), ""); err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Toast: "总结材料已提交", ToastKind: "success", Subject: summarySubject(m, u)}, nil
}

// summaryReopen answers summary.reopen {milestone, unit}: the office
// reopens a complete package; the milestone is undone; the unit is told.
func (h *handler) summaryReopen(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "重新打开总结材料"); err != nil {
		return nil, err
	}
	m, u, err := summaryTarget(ctx, r, false)
	if err != nil {
		return nil, err
	}
	p, err := r.Store.LockSummaryPackage(ctx, m.ID, u.ID, r.Now)
	if err != nil {
		return nil, err
	}
	if p.State != store.PackageComplete {
		return nil, bot.Refuse("%s的总结材料尚未提交，无需重新打开。", u.Name)
	}
	p.State, p.CompletedBy, p.CompletedAt = store.PackageOpen, nil, nil
	if err := r.Store.UpdateSummaryPackage(ctx, p, p.Version); err != nil {
		return nil, err
	}
	if err := r.Store.DeleteMilestoneSubmission(ctx, m.ID, u.ID); err != nil {
		return nil, err
	}
	if err := auditPackage(ctx, r, "reopen", m, u, map[string]any{}); err != nil {
		return nil, err
	}
	for _, id := range unitRecipients(u) {
		key := fmt.Sprintf("summary:%s:%s:reopen:%d:p:%d", m.Key, u.Key, p.Version, id)
		if _, err := r.SendToPerson(ctx, id, bot.Message{Text: fmt.Sprintf("市局专项整治办公室已重新打开%s的总结材料，请修改后重新提交（发送“总结”查看）。", u.Name)}, key, ""); err != nil {
			return nil, err
		}
	}
	card, err := h.summaryCard(ctx, r, m, u)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Toast: "已重新打开", ToastKind: "success", Subject: summarySubject(m, u)}, nil
}

// summaryOverview answers summary.overview {milestone}.
func (h *handler) summaryOverview(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "查看各单位总结材料报送情况"); err != nil {
		return nil, err
	}
	m, err := r.Store.MilestoneByKey(ctx, r.Campaign.ID, actionParam(r, "milestone"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !m.IsPackage()) {
		return nil, bot.Refuse("卡片参数有误，请重新打开卡片。")
	}
	if err != nil {
		return nil, err
	}
	return h.summaryOverviewReply(ctx, r, m)
}

// summaryOverviewReply is the office's overview of every unit's package.
func (h *handler) summaryOverviewReply(ctx context.Context, r *bot.Request, m *store.Milestone) (*bot.Reply, error) {
	units, err := milestoneUnits(ctx, r.Store, m)
	if err != nil {
		return nil, err
	}
	ss, err := loadPackageStatuses(ctx, r.Store, m, units)
	if err != nil {
		return nil, err
	}
	return bot.CardReply(summaryOverviewCard(m, ss, r.Now, r.Campaign.Location())), nil
}

// milestoneUnits are the units m is addressed to.
func milestoneUnits(ctx context.Context, st *store.Store, m *store.Milestone) ([]*store.Unit, error) {
	ids, err := st.MilestoneUnitIDs(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	all, err := st.Units(ctx, m.CampaignID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(u *store.Unit) bool { return !slices.Contains(ids, u.ID) }), nil
}

// summaryOverviewCard lists each unit's completeness: submitted, complete
// but not submitted, or what it lacks.
func summaryOverviewCard(m *store.Milestone, ss []*packageStatus, now time.Time, loc *time.Location) *cards.Card {
	day := dayOf(now, loc)
	due := civil(m.DueOn)
	done := 0
	var lines []string
	var btns []cards.Button
	for _, s := range ss {
		var line string
		switch missing := s.missing(); {
		case s.complete():
			done++
			line = fmt.Sprintf("**%s**：已提交（%s）", s.u.Name, s.p.CompletedAt.In(loc).Format("01-02 15:04"))
		case len(missing) == 0:
			line = fmt.Sprintf("**%s**：材料已齐，待提交", s.u.Name)
		default:
			line = fmt.Sprintf("**%s**：尚缺 %s", s.u.Name, strings.Join(missing, "；"))
		}
		lines = append(lines, line)
		if len(btns) < 6 {
			btns = append(btns, cards.Button{Text: s.u.Name, Action: "summary.show", Params: summaryParams(m, s.u), Command: "总结 " + s.u.Name})
		}
	}
	card := &cards.Card{Title: "总结材料报送情况", Subtitle: fmt.Sprintf("已提交 %d/%d 个单位", done, len(ss)), Tone: cards.ToneInfo,
		Blocks: []cards.Block{cards.MD(fmt.Sprintf("**%s**\n截止时间：%s（%s）", m.Title, due.Format(time.DateOnly), countdown(due, day)))}}
	if done == len(ss) {
		card.Tone = cards.ToneSuccess
	} else if day.After(due) {
		card.Tone = cards.ToneDanger
	}
	card.Blocks = append(card.Blocks, cards.MD(strings.Join(lines, "\n")))
	for len(btns) > 0 {
		n := min(len(btns), 3)
		card.Blocks = append(card.Blocks, cards.ButtonsBlock(btns[:n]...))
		btns = btns[n:]
	}
	card.Blocks = append(card.Blocks, cards.NoteBlock("各单位材料可用 zhenggai milestone export --key "+m.Key+" -o 目录 导出。"))
	return card
}
