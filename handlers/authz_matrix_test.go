package handlers

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/jackc/pgx/v5"

	"zhenggai/bot"
	"zhenggai/bot/bottest"
	"zhenggai/cards"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// The authorization matrix: every command and card action the router knows,
// tried by each of seven askers, each try on a savepoint rolled back after
// it, so that every cell starts from the same world. DESIGN.md §6: "a
// liaison can change only his unit's items; a leader approves only his
// units'; an enterprise reaches only its own paired leader; the campaign
// office sees all".

// Columns of the matrix: who asks. Unit A is 灵宝; the test pairs the
// enterprise 灵宝市通途客运 with 灵宝's leader, so that "leader" is both the
// unit's leader and the contact leader of the enterprise request.
const (
	azLiaison      = iota // li-lb, liaison of 灵宝
	azOtherLiaison        // zhou-ym, liaison of 义马
	azLeader              // liu-lb, leader of 灵宝, contact leader of 灵宝市通途客运
	azOtherLeader         // sun-ym, leader of 义马
	azOffice              // lu-xm, liaison of the office unit (campaign.office_unit)
	azContact             // 马丽, contact of 灵宝市通途客运
	azStranger            // an account bound to nobody
	azRoles
)

var azAccounts = [azRoles]string{"p:li-lb", "p:zhou-ym", "p:liu-lb", "p:sun-ym", "p:lu-xm", "c:lb-keyun:马丽", "p:stranger"}
var azRoleNames = [azRoles]string{"liaison", "other-liaison", "leader", "other-leader", "office", "contact", "stranger"}

// Cells of the matrix, one letter per column in the order above.
const (
	azAllow  = 'Y' // the effect happened (write) or the card shows the mark (read)
	azScoped = 'S' // answered, not refused, but only the asker's own scope: the mark is absent
	azRefuse = 'N' // a Chinese refusal, and nothing changed
	azBind   = 'B' // the stranger is asked to bind, and nothing changed
	azRelay  = 'R' // an enterprise contact's text: no command, a message to its contact leader
)

// azWorld is what the matrix acts on.
type azWorld struct {
	item    *store.LedgerItem // 灵宝, in progress, no request
	pending *store.LedgerItem // 灵宝, 销号 requested
	closed  *store.LedgerItem // 灵宝, 已销号
	other   *store.LedgerItem // 义马, 销号 requested
	gone    *store.LedgerItem // 灵宝, deleted after its card was sent
	req     *store.ItemRequest
	decided *store.ItemRequest // the approved 销号 of closed
	otherRq *store.ItemRequest // the pending 销号 of other
	open    *store.EnterpriseRequest
	unrated *store.EnterpriseRequest // closed, not yet rated
	rated   *store.EnterpriseRequest // closed, rated satisfied
	foreign *store.EnterpriseRequest // another enterprise's, owned by 王建国
	code    string                   // a bind code of 何静
	notice  *store.SupervisionNotice // 灵宝's 督办单 about item, issued
	signed  *store.SupervisionNotice // signed, not answered
	answerd *store.SupervisionNotice // answered, not closed
	flagged *store.LedgerItem        // 灵宝, 挂牌督办
	review  *store.LedgerItem        // 灵宝, 挂牌督办, 销号 approved by the leader, waiting for 复核
	draft   *store.Bulletin          // the office's draft 通报 of 2026-10
	clueNew *store.Clue              // a 线索 not yet assigned
	clueAsg *store.Clue              // assigned to 灵宝, not signed
	clueSgn *store.Clue              // signed by 灵宝
	clueAns *store.Clue              // answered by 灵宝, waiting for the office
	file    int64                    // a photo on item (its progress)
	reqFile int64                    // a file 马丽 sent in open
}

// azRow is one command or action and its expected cells.
type azRow struct {
	name   string // the registered command or action
	text   string // what is typed, for commands
	params func(w *azWorld) map[string]string
	form   cards.Values
	write  bool                    // an allowed cell must change a row and append an audit row
	logged bool                    // an allowed cell shows an enterprise's contact details: an audit row (DESIGN §6)
	mark   func(w *azWorld) string // shown by an allowed cell, hidden from a scoped one
	want   string                  // azRoles letters
	note   string                  // why, where DESIGN.md is silent
}

func azText(s string) func(*azWorld) string { return func(*azWorld) string { return s } }
func azUnit(key string) func(*azWorld) map[string]string {
	return func(*azWorld) map[string]string { return map[string]string{"unit": key, "page": "1"} }
}
func azItem(w *azWorld) map[string]string { return itemRef(w.item) }
func azItemNumber(w *azWorld) string      { return w.item.Number }
func azReq(w *azWorld) map[string]string  { return requestParams(w.req) }
func azOpen(w *azWorld) map[string]string { return params(w.open) }
func azOpenNumber(w *azWorld) string      { return w.open.Number }
func azSum(part string) func(*azWorld) map[string]string {
	return func(*azWorld) map[string]string {
		if part == "" {
			return sumParams("lingbao")
		}
		return sumParams("lingbao", "part", part)
	}
}
func azSumItem(w *azWorld) map[string]string {
	return sumParams("lingbao", "item", strconv.FormatInt(w.item.ID, 10))
}

const azLB = "灵宝市交通运输局"

// azMatrix is the expected matrix. Columns: liaison, other liaison, leader,
// other leader, office, contact, stranger. A row's note records a choice
// DESIGN.md leaves open; it is printed when the row fails.
var azMatrix = []azRow{
	// Commands. A stranger may use only 帮助 and 绑定 (DESIGN §7.4); every
	// other word gets how to bind. An enterprise contact's only commands are
	// 帮助, 绑定, 联系人 and 我的诉求: any other text, command words
	// included ("进展：…", "诉求：…"), is a message to its contact leader.
	{name: "帮助", text: "帮助", mark: azText("使用帮助"), want: "YYYYYYY"},
	{name: "绑定", text: "绑定 %code", write: true, mark: azText("绑定成功"), want: "YYYYYYY",
		note: "DESIGN is silent on a bound account using a code: the code is the credential the office issued, so whoever holds it binds (the account moves to the code's owner)"},
	{name: "台账", text: "台账 灵宝", mark: azItemNumber, want: "YNYNYRB"},
	{name: "台账", text: "台账", mark: azText(azLB), want: "YSYSYRB"}, // the office gets the unit picker
	{name: "新增问题", text: "新增问题 灵宝", mark: azText(azLB), want: "YNYNYRB",
		note: "the unit's leader may edit its ledger like its liaison (Roles.CanEdit); DESIGN only bars other units"},
	{name: "进展", text: "进展 %item 已约谈当事执法人员", write: true, mark: azText("已记入"), want: "YNYNYRB"},
	{name: "月报", text: "月报 灵宝", mark: azText(azLB), want: "YNYNYRB"},
	{name: "补报", text: "补报 11月 灵宝", mark: azText(azLB), want: "YNYNYRB"},
	{name: "待审批", text: "待审批", mark: func(w *azWorld) string { return w.pending.Number }, want: "NNYSYRB",
		note: "the office decides too (Roles.CanDecide, deciders() when a unit has no leader); DESIGN names leaders and lets the office see all"},
	{name: "导出台账", text: "导出台账 灵宝", mark: azItemNumber, want: "YNYNYRB"},
	{name: "导出台账", text: "导出台账", mark: azItemNumber, want: "YSYSYRB",
		note: "exports: the office gets every unit, leaders and liaisons their own units (export.go)"},
	{name: "导出月报", text: "导出月报 2026-11", mark: azText(azLB), want: "YSYSYRB"},
	{name: "报送情况", text: "报送情况 2026-11", mark: azText(azLB), want: "NNYSYRB",
		note: "liaisons do not see the status table: it is for those who chase the reports"},
	{name: "摘要", text: "摘要", mark: azText(azLB), want: "YSYSYRB",
		note: "every bureau person gets the digest of his own units and requests; the office the whole city's"},
	{name: "督办", text: "督办 %item", mark: azText("签发督办单"), want: "NNNNYRB",
		note: "only the office issues 督办单 (issue 21)"},
	{name: "督办单", text: "督办单", mark: func(w *azWorld) string { return w.notice.Number }, want: "YSYSYRB",
		note: "a unit's people see their units' 督办单, the office all"},
	{name: "签收", text: "签收 %notice", write: true, mark: azText("已签收"), want: "YNYNNRB"},
	{name: "答复", text: "答复 %signed 已约谈当事执法人员", write: true, mark: azText("已答复"), want: "YNYNNRB"},
	{name: "办结督办单", text: "办结督办单 %answerd", write: true, mark: azText("已办结"), want: "NNNNYRB"},
	{name: "查看督办单", text: "查看督办单 %notice", mark: func(w *azWorld) string { return w.notice.Number }, want: "YNYNYRB"},
	{name: "挂牌督办", text: "挂牌督办 %item", write: true, mark: azText("已挂牌督办"), want: "NNNNYRB"},
	{name: "取消挂牌", text: "取消挂牌 %flagged", write: true, mark: azText("已取消挂牌督办"), want: "NNNNYRB"},
	{name: "复核通过", text: "复核通过 %review", write: true, mark: azText("复核通过"), want: "NNNNYRB"},
	{name: "退回整改", text: "退回整改 %review", mark: azText("<reason>"), want: "NNNNYRB"},
	{name: "通报", text: "通报 2026-11", write: true, mark: azText("关于2026年11月专项整治工作推进情况的通报"), want: "NNNNYRB",
		note: "only the office composes and publishes 通报 (issue 21)"},
	{name: "编辑通报", text: "编辑通报", mark: azText("<text>"), want: "NNNNYRB"},
	{name: "发送通报", text: "发送通报", write: true, mark: azText("通报已发送"), want: "NNNNYRB"},
	{name: "选择通报单位", text: "选择通报单位", mark: azText("<units>"), want: "NNNNYRB"},
	{name: "考评", text: "考评 2026-11 灵宝", mark: azText("考评明细 · 灵宝市交通运输局"), want: "NNNNYRB",
		note: "only the office sees scores, its units' own included (issue 21)"},
	{name: "联系人", text: "联系人", mark: azText("刘宝山"), want: "NNNNNYB",
		note: "联系人 and 我的诉求 are the contact's commands; people are pointed to 诉求"},
	{name: "我的诉求", text: "我的诉求", mark: azOpenNumber, want: "NNNNNYB"},
	{name: "诉求", text: "诉求 %open", logged: true, mark: azOpenNumber, want: "NNYNYRB"},
	{name: "诉求", text: "诉求", logged: true, mark: azOpenNumber, want: "SSYSYRB",
		note: "any person may list the requests he may handle (none for a liaison); the list is audited"},

	// Button labels typed as text (words.go): each runs its button's
	// action, so its cells are the action's, with an enterprise contact's
	// text relayed and a stranger asked to bind.
	{name: "办理", text: "办理 %item", mark: azItemNumber, want: "YNYNYRB"},
	{name: "查看", text: "查看 %item", mark: azItemNumber, want: "YNYNYRB"},
	{name: "查看", text: "查看 %open", logged: true, mark: azOpenNumber, want: "NNYNYRB"},
	{name: "更新进展", text: "更新进展 %item", mark: azText("更新进展"), want: "YNYNYRB"},
	{name: "更新进展", text: "更新进展 %item 已约谈当事执法人员", write: true, mark: azText("已记入"), want: "YNYNYRB"},
	{name: "申请销号", text: "申请销号 %item", mark: azText("申请销号"), want: "YNYNYRB"},
	{name: "申请延期", text: "申请延期 %item", mark: azText("申请延期"), want: "YNYNYRB"},
	{name: "审批", text: "审批 %pending", mark: func(w *azWorld) string { return w.pending.Number }, want: "NNYNYRB"},
	{name: "同意", text: "同意 %pending", write: true, mark: azText("已同意"), want: "NNYNYRB"},
	{name: "驳回", text: "驳回 %pending", mark: azText("<reason>"), want: "NNYNYRB"},
	{name: "回复", text: "回复 %open", mark: func(w *azWorld) string { return "答复诉求 " + w.open.Number }, want: "NNYNYRB"},
	{name: "回复", text: "回复 %open 已协调车管部门", write: true, mark: azText("答复已"), want: "NNYNYRB"},
	{name: "转交", text: "转交 %open", mark: azText("<to><note>"), want: "NNYNYRB"},
	{name: "办结", text: "办结 %open", write: true, mark: azText("已办结"), want: "NNYNYRB"},
	{name: "转为台账问题", text: "转为台账问题 %open", logged: true, mark: azText("转为台账问题"), want: "NNYNYRB"},
	{name: "标记已完成", text: "标记已完成 selfservice-all-cases 灵宝", mark: azText("所有执法案件均通过自助处理系统办理"), want: "YNYNYRB"},
	{name: "佐证", text: "佐证 %item", write: true, mark: azText("个附件记为"), want: "NNNNNRB",
		note: "with no files of his own waiting, nobody attaches anything (TestFilesWithoutCaptionFindTheirItem walks the real case)"},
	{name: "查看佐证", text: "查看佐证 %file", logged: true, mark: azText("已将“现场照片.jpg”发送到"), want: "YNYNYRB",
		note: "an item's files: its unit's liaison and leaders, and the office (CanSeeFile)"},
	{name: "看板", text: "看板", mark: azText("/dash/login?t="), want: "YYYYYRB",
		note: "every person of a unit and the office gets a link to the 看板, which shows him what the chat would (access.go)"},
	{name: "上一页", text: "上一页 灵宝", mark: azItemNumber, want: "YNYNYRB"},
	{name: "下一页", text: "下一页 灵宝 第1页", mark: azItemNumber, want: "YNYNYRB"},

	// Ledger actions.
	{name: "ledger.show", params: azUnit("lingbao"), mark: azItemNumber, want: "YNYNYNB"},
	{name: "item.show", params: azItem, mark: azItemNumber, want: "YNYNYNB"},
	{name: "evidence.attach", params: func(w *azWorld) map[string]string {
		p := itemRef(w.item)
		p["pending"] = "1"
		return p
	}, write: true, mark: azText("个附件记为"), want: "NNNNNNB",
		note: "pending files are their sender's only: a pending id of someone else (here none of the clicker's) is refused to everyone; the attach itself is walked in evidence_pending_test.go"},
	{name: "evidence.open", params: func(w *azWorld) map[string]string { return map[string]string{"file": strconv.FormatInt(w.file, 10)} },
		logged: true, mark: azText("已将“现场照片.jpg”发送到"), want: "YNYNYNB"},
	{name: "evidence.open", params: func(w *azWorld) map[string]string { return map[string]string{"file": strconv.FormatInt(w.reqFile, 10)} },
		logged: true, mark: azText("已将“营运证.pdf”发送到"), want: "NNYNYYB",
		note: "a request's files: its enterprise's contacts, its handler and contact leader, and the office"},
	{name: "item.new.form", params: azUnit("lingbao"), mark: azText(azLB), want: "YNYNYNB"},
	{name: "item.new.submit", params: azUnit("lingbao"), write: true, mark: azText("已登记为"), want: "YNYNYNB",
		form: cards.Values{"source": {"s1"}, "category": {"c2"}, "description": {"执法人员随意拦车检查"}, "measures": {"约谈并整改"}, "due": {"2026-12-20"}}},
	{name: "item.progress.form", params: azItem, mark: azText("更新进展"), want: "YNYNYNB"},
	{name: "item.progress.submit", params: azItem, write: true, mark: azText("进展已更新"), want: "YNYNYNB",
		form: cards.Values{"text": {"已完成约谈"}, "status": {store.ItemInProgress}}},
	{name: "item.close.form", params: azItem, mark: azText("申请销号"), want: "YNYNYNB"},
	{name: "item.close.submit", params: azItem, write: true, mark: azText("已提交销号申请"), want: "YNYNYNB",
		form: cards.Values{"result": {"已整改到位"}}},
	{name: "item.extend.form", params: azItem, mark: azText("申请延期"), want: "YNYNYNB"},
	{name: "item.extend.submit", params: azItem, write: true, mark: azText("已提交延期申请"), want: "YNYNYNB",
		form: cards.Values{"due": {"2027-01-20"}, "reason": {"需协调公路部门"}}},
	{name: "approval.show", params: azReq, mark: func(w *azWorld) string { return w.pending.Number }, want: "NNYNYNB"},
	{name: "approval.approve", params: azReq, write: true, mark: azText("已同意"), want: "NNYNYNB"},
	{name: "approval.reject.form", params: azReq, mark: azText("<reason>"), want: "NNYNYNB"},
	{name: "approval.reject.submit", params: azReq, write: true, mark: azText("已驳回"), want: "NNYNYNB",
		form: cards.Values{"reason": {"佐证材料不全"}}},
	{name: "report.form", params: azReport("lingbao"), mark: azText("2026年11月"), want: "YNYNYNB"},
	{name: "report.submit", params: azReport("lingbao"), write: true, mark: azText("月报已报送"), want: "YNYNYNB",
		form: cards.Values{"summary": {"本月评查案卷 32 卷"}, "confirm": {"confirmed"}}},
	{name: "milestone.form", params: azMilestone("lingbao"), mark: azText("所有执法案件均通过自助处理系统办理"), want: "YNYNYNB"},
	{name: "milestone.submit", params: azMilestone("lingbao"), write: true, mark: azText("已标记完成"), want: "YNYNYNB",
		form: cards.Values{"note": {"系统已全部启用"}}},
	{name: "dashboard.link", params: func(*azWorld) map[string]string { return map[string]string{} }, mark: azText("/dash/login?t="), want: "YYYYYNB"},
	{name: "digest.show", params: func(*azWorld) map[string]string { return map[string]string{} }, mark: azText(azLB), want: "YSYSYNB"},

	// 督办单: the office issues and closes; only the unit's own people
	// sign and answer (the office does not sign for a unit).
	{name: "notice.form", params: func(w *azWorld) map[string]string { return map[string]string{"item": strconv.FormatInt(w.item.ID, 10)} },
		mark: azText("签发督办单"), want: "NNNNYNB"},
	{name: "notice.issue", write: true, mark: azText("已签发"), want: "NNNNYNB",
		params: func(w *azWorld) map[string]string {
			return map[string]string{"unit": "lingbao", "item": strconv.FormatInt(w.item.ID, 10)}
		},
		form: cards.Values{"colour": {store.NoticeRed}, "text": {"请报告整改情况"}, "due": {"2026-12-04"}}},
	{name: "notice.show", params: func(w *azWorld) map[string]string { return noticeParams(w.notice) },
		mark: func(w *azWorld) string { return w.notice.Number }, want: "YNYNYNB"},
	{name: "notice.sign", params: func(w *azWorld) map[string]string { return noticeParams(w.notice) }, write: true,
		mark: azText("已签收"), want: "YNYNNNB"},
	{name: "notice.answer.form", params: func(w *azWorld) map[string]string { return noticeParams(w.signed) },
		mark: azText("<text>"), want: "YNYNNNB"},
	{name: "notice.answer.submit", params: func(w *azWorld) map[string]string { return noticeParams(w.signed) }, write: true,
		form: cards.Values{"text": {"已约谈当事执法人员"}}, mark: azText("已答复"), want: "YNYNNNB"},
	{name: "notice.close", params: func(w *azWorld) map[string]string { return noticeParams(w.answerd) }, write: true,
		mark: azText("已办结"), want: "NNNNYNB"},

	// 线索: the office registers, assigns, closes and reviews; only the
	// assigned unit's people sign, convert and answer; the contact details
	// are shown to the office and that unit, each view audited.
	{name: "线索", text: "线索", mark: func(w *azWorld) string { return w.clueAsg.Number }, want: "YSYSYRB",
		note: "a unit's people see the clues assigned to their units, the office the whole pool"},
	{name: "线索", text: "线索 %clue", logged: true, mark: azText("13800001234"), want: "YNYNYRB"},
	{name: "登记线索", text: "登记线索", mark: azText("<source><content>"), want: "NNNNYRB"},
	{name: "clue.new.submit", params: func(*azWorld) map[string]string { return map[string]string{} }, write: true, mark: azText("已登记"), want: "NNNNYNB",
		form: cards.Values{"source": {"12328"}, "content": {"执法人员随意拦车"}, "contact": {"王女士"}, "phone": {"13800001234"}}},
	{name: "clue.show", params: func(w *azWorld) map[string]string { return clueParams(w.clueAsg) }, logged: true,
		mark: azText("13800001234"), want: "YNYNYNB"},
	{name: "clue.assign.form", params: func(w *azWorld) map[string]string { return clueParams(w.clueNew) },
		mark: azText("<unit><due>"), want: "NNNNYNB"},
	{name: "clue.assign.submit", params: func(w *azWorld) map[string]string { return clueParams(w.clueNew) }, write: true,
		form: cards.Values{"unit": {"lingbao"}, "due": {"2026-12-10"}}, mark: azText("已分办"), want: "NNNNYNB"},
	{name: "clue.close.form", params: func(w *azWorld) map[string]string { return clueParams(w.clueNew) },
		mark: azText("<kind><reason>"), want: "NNNNYNB"},
	{name: "clue.close.submit", params: func(w *azWorld) map[string]string { return clueParams(w.clueNew) }, write: true,
		form: cards.Values{"kind": {"重复"}, "reason": {"与前一线索重复"}}, mark: azText("已办结"), want: "NNNNYNB"},
	{name: "clue.sign", params: func(w *azWorld) map[string]string { return clueParams(w.clueAsg) }, write: true,
		mark: azText("已签收线索"), want: "YNYNNNB", note: "the office does not sign for a unit"},
	{name: "clue.convert.form", params: func(w *azWorld) map[string]string { return clueParams(w.clueSgn) },
		mark: azText("<category><description>"), want: "YNYNNNB"},
	{name: "clue.convert.submit", params: func(w *azWorld) map[string]string { return clueParams(w.clueSgn) }, write: true,
		form: cards.Values{"category": {"逐利执法"}, "description": {"随意拦车"}, "measures": {"约谈"}, "due": {"2026-12-20"}},
		mark: azText("已转为台账问题"), want: "YNYNNNB"},
	{name: "clue.answer.form", params: func(w *azWorld) map[string]string { return clueParams(w.clueSgn) },
		mark: azText("<kind><text>"), want: "YNYNNNB"},
	{name: "clue.answer.submit", params: func(w *azWorld) map[string]string { return clueParams(w.clueSgn) }, write: true,
		form: cards.Values{"kind": {"不属实"}, "text": {"经核查不属实"}}, mark: azText("已答复"), want: "YNYNNNB"},
	{name: "clue.accept", params: func(w *azWorld) map[string]string { return clueParams(w.clueAns) }, write: true,
		mark: azText("已办结"), want: "NNNNYNB"},
	{name: "clue.return.form", params: func(w *azWorld) map[string]string { return clueParams(w.clueAns) },
		mark: azText("<reason>"), want: "NNNNYNB"},
	{name: "clue.return.submit", params: func(w *azWorld) map[string]string { return clueParams(w.clueAns) }, write: true,
		form: cards.Values{"reason": {"请补充材料"}}, mark: azText("已退回"), want: "NNNNYNB"},

	// 线索 from an enterprise's request: the office only.
	{name: "转为线索", text: "转为线索 %open", write: true, mark: azText("已转为线索"), want: "NNNNYRB"},
	{name: "ereq.to_clue", params: azOpen, write: true, mark: azText("已转为线索"), want: "NNNNYNB",
		note: "the office registers clues; a leader answers his enterprise and may ask the office"},

	// 总结 package: the unit's liaison and leader fill and submit it; the
	// office sees every unit's and reopens a submitted one (义马's).
	{name: "总结", text: "总结", mark: azText(azLB), want: "YSYSYRB",
		note: "each unit's people get their own checklist, the office the overview of every unit"},
	{name: "总结材料", text: "总结材料", mark: azText(azLB), want: "YSYSYRB"},
	{name: "总结", text: "总结 情况", mark: azText("总结材料报送情况"), want: "NNNNYRB"},
	{name: "summary.show", params: azSum(""), mark: azText("总结材料 · " + azLB), want: "YNYNYNB"},
	{name: "summary.overview", params: azSum(""), mark: azText("总结材料报送情况"), want: "NNNNYNB"},
	{name: "summary.part.form", params: azSum("report"), mark: azText("<body>"), want: "YNYNNNB",
		note: "the office sees a unit's package but does not write it"},
	{name: "summary.part.submit", params: azSum("accountability"), form: cards.Values{"body": {"专题报告"}}, write: true,
		mark: azText("已保存"), want: "YNYNNNB"},
	{name: "summary.ledger.confirm", params: azSum(""), write: true, mark: azText("已确认整改台账"), want: "YNYNNNB"},
	{name: "summary.notes", params: azSum(""), mark: azText("现阶段成效和长期举措"), want: "YNYNYNB"},
	{name: "summary.note.form", params: azSumItem, mark: azText("<effect><measures>"), want: "YNYNNNB"},
	{name: "summary.note.submit", params: azSumItem, form: cards.Values{"effect": {"阶段成效"}}, write: true,
		mark: azText("已保存"), want: "YNYNNNB"},
	{name: "summary.submit", params: azSum(""), write: true, mark: azText("总结材料已提交"), want: "YNYNNNB"},
	{name: "summary.reopen", params: func(*azWorld) map[string]string { return sumParams("yima") }, write: true,
		mark: azText("已重新打开"), want: "NNNNYNB"},

	// 挂牌督办: the office flags, unflags and reviews.
	{name: "flag.set", params: azItem, write: true, mark: azText("已挂牌督办"), want: "NNNNYNB"},
	{name: "flag.unset", params: func(w *azWorld) map[string]string { return itemRef(w.flagged) }, write: true,
		mark: azText("已取消挂牌督办"), want: "NNNNYNB"},
	{name: "flag.review.approve", params: func(w *azWorld) map[string]string { return itemRef(w.review) }, write: true,
		mark: azText("已销号"), want: "NNNNYNB"},
	{name: "flag.review.reject.form", params: func(w *azWorld) map[string]string { return itemRef(w.review) },
		mark: azText("<reason>"), want: "NNNNYNB"},
	{name: "flag.review.reject.submit", params: func(w *azWorld) map[string]string { return itemRef(w.review) }, write: true,
		form: cards.Values{"reason": {"佐证不足"}}, mark: azText("已退回整改"), want: "NNNNYNB"},

	// 通报: the office only.
	{name: "bulletin.edit.form", params: func(w *azWorld) map[string]string { return bulletinParams(w.draft) }, mark: azText("<text>"), want: "NNNNYNB"},
	{name: "bulletin.edit.submit", params: func(w *azWorld) map[string]string { return bulletinParams(w.draft) }, write: true,
		form: cards.Values{"text": {"关于2026年10月的通报（修改后）"}}, mark: azText("已保存"), want: "NNNNYNB"},
	{name: "bulletin.pick.form", params: func(w *azWorld) map[string]string { return bulletinParams(w.draft) }, mark: azText("<units>"), want: "NNNNYNB"},
	{name: "bulletin.send", write: true, mark: azText("通报已发送"), want: "NNNNYNB",
		params: func(w *azWorld) map[string]string { return withParam(bulletinParams(w.draft), "scope", "all") }},

	// 考评: the office only.
	{name: "score.show", params: func(*azWorld) map[string]string { return map[string]string{"period": "2026-11"} },
		mark: azText("考评 · 2026年11月"), want: "NNNNYNB"},
	{name: "score.unit", params: func(*azWorld) map[string]string { return map[string]string{"period": "2026-11", "unit": "lingbao"} },
		mark: azText("考评明细 · 灵宝市交通运输局"), want: "NNNNYNB"},

	// Enterprise request actions: the paired leader and the office, and
	// the enterprise's own contact for its ratings.
	{name: "ereq.show", params: azOpen, logged: true, mark: azOpenNumber, want: "NNYNYNB"},
	{name: "ereq.reply.form", params: azOpen, mark: func(w *azWorld) string { return "答复诉求 " + w.open.Number }, want: "NNYNYNB"},
	{name: "ereq.reply.submit", params: azOpen, write: true, mark: azText("答复已"), want: "NNYNYNB",
		form: cards.Values{"text": {"已协调车管部门"}}},
	{name: "ereq.transfer.form", params: azOpen, mark: azText("<to><note>"), want: "NNYNYNB"},
	{name: "ereq.transfer.submit", params: azOpen, write: true, mark: azText("已转交"), want: "NNYNYNB",
		form: cards.Values{"to": {officeTarget}, "note": {"请办公室协调"}}},
	{name: "ereq.close", params: azOpen, write: true, mark: azText("已办结"), want: "NNYNYNB"},
	{name: "ereq.to_item", params: azOpen, logged: true, mark: azText("转为台账问题"), want: "NNYNYNB"},
	{name: "ereq.rate", write: true, mark: azText("感谢您的评价"), want: "NNNNNYB",
		params: func(w *azWorld) map[string]string {
			return map[string]string{"request": strconv.FormatInt(w.unrated.ID, 10), "rating": store.RatingSatisfied}
		}},
	{name: "ereq.rate.comment.submit", write: true, mark: azText("意见已提交"), want: "NNNNNYB",
		form: cards.Values{"comment": {"办理及时"}},
		params: func(w *azWorld) map[string]string {
			return map[string]string{"request": strconv.FormatInt(w.rated.ID, 10), "rating": store.RatingSatisfied}
		}},
}

// azAliases are command names that are another row's command.
var azAliases = map[string]string{"help": "帮助", "菜单": "帮助", "?": "帮助", "？": "帮助", "今日摘要": "摘要"}

func azReport(unit string) func(*azWorld) map[string]string {
	return func(*azWorld) map[string]string { return map[string]string{"unit": unit, "period": "2026-11"} }
}

func azMilestone(unit string) func(*azWorld) map[string]string {
	return func(*azWorld) map[string]string {
		return map[string]string{"unit": unit, "milestone": "selfservice-all-cases"}
	}
}

// azFixture is the bot on one rolled-back transaction, the world, and the
// means to try a cell and undo it.
type azFixture struct {
	ctx context.Context
	tx  pgx.Tx
	f   *lgFixture
	w   *azWorld
}

func newAzFixture(t *testing.T) *azFixture {
	t.Helper()
	ctx := context.Background()
	tx := storetest.TestTx(ctx, t)
	st := store.New(tx)
	camp, _ := applyCampaignFile(t, ctx, st, demoFile, func(f *CampaignFile) {
		for i := range f.Enterprises {
			if f.Enterprises[i].Key == "lb-keyun" {
				f.Enterprises[i].Leader.Key = "liu-lb"
			}
		}
	})
	h := newDemoHarness(t, st)
	f := &lgFixture{ctx: ctx, st: st, h: h, camp: camp}
	a := &azFixture{ctx: ctx, tx: tx, f: f, w: &azWorld{}}
	a.build(t)
	return a
}

// build makes the world through the bot, as people would.
func (a *azFixture) build(t *testing.T) {
	t.Helper()
	f, w := a.f, a.w
	liaison, leader, contact := azAccounts[azLiaison], azAccounts[azLeader], azAccounts[azContact]
	w.item = f.addItem(t, "lingbao", "执法记录仪未全程开启", "2026-12-20")
	w.pending = f.addItem(t, "lingbao", "罚款未开具票据", "2026-12-20")
	f.click(t, liaison, "item.close.submit", itemRef(w.pending), cards.Values{"result": {"已补开票据"}})
	w.closed = f.addItem(t, "lingbao", "执法文书填写不规范", "2026-12-20")
	f.click(t, liaison, "item.close.submit", itemRef(w.closed), cards.Values{"result": {"已规范"}})
	closedReq := a.pendingOf(t, w.closed)
	f.click(t, leader, "approval.approve", requestParams(closedReq), nil)
	w.other = f.addItem(t, "yima", "义马的问题", "2026-12-20")
	f.click(t, azAccounts[azOtherLiaison], "item.close.submit", itemRef(w.other), cards.Values{"result": {"已整改"}})
	w.gone = f.addItem(t, "lingbao", "误登记的问题", "2026-12-20")
	if _, err := a.tx.Exec(a.ctx, `DELETE FROM ledger_items WHERE id = $1`, w.gone.ID); err != nil {
		t.Fatal(err)
	}
	w.req, w.otherRq = a.pendingOf(t, w.pending), a.pendingOf(t, w.other)
	w.decided = closedReq
	for _, it := range []**store.LedgerItem{&w.item, &w.pending, &w.closed, &w.other} {
		*it = f.item(t, (*it).Number)
	}

	// 马丽's first request is closed and rated, the second closed and not
	// rated, the third open; 张伟's is another enterprise's.
	a.say(t, contact, "货车年审材料反复提交")
	w.rated = a.openOf(t, contact)
	f.click(t, leader, "ereq.close", params(w.rated), nil)
	f.click(t, contact, "ereq.rate", map[string]string{"request": strconv.FormatInt(w.rated.ID, 10), "rating": store.RatingSatisfied}, nil)
	a.say(t, contact, "停车场收费不明")
	w.unrated = a.openOf(t, contact)
	f.click(t, leader, "ereq.close", params(w.unrated), nil)
	a.say(t, contact, "路政检查过于频繁")
	w.open = a.openOf(t, contact)
	a.say(t, "c:smx-yunshu:张伟", "罚款标准不一")
	w.foreign = a.openOf(t, "c:smx-yunshu:张伟")

	// A photo of item, and a file in 马丽's open request.
	photo := &store.StoredFile{Name: "现场照片.jpg", Content: []byte("\xff\xd8\xff\xe0 az photo")}
	doc := &store.StoredFile{Name: "营运证.pdf", Content: []byte("%PDF-1.4 az")}
	for _, sf := range []*store.StoredFile{photo, doc} {
		if err := f.st.SaveFile(a.ctx, sf); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.AddProgress(a.ctx, &store.ProgressUpdate{ItemID: w.item.ID, Text: "补充佐证", Status: w.item.Status, FileID: &photo.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddRequestMessage(a.ctx, &store.RequestMessage{RequestID: w.open.ID, Direction: store.MessageIn, ContactID: &w.open.ContactID,
		FileID: &doc.ID, Text: "[附件] 营运证.pdf", CreatedAt: f.h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	w.file, w.reqFile = photo.ID, doc.ID

	code, _, err := IssueBindCode(a.ctx, f.st, "he-zd", "", "", f.h.Clock.Now().AddDate(0, 0, 7))
	if err != nil {
		t.Fatal(err)
	}
	w.code = code.Code

	// Three 督办单 about item: issued, signed, answered.
	office := azAccounts[azOffice]
	issue := func() *store.SupervisionNotice {
		r := f.click(t, office, "notice.issue", map[string]string{"unit": "lingbao", "item": strconv.FormatInt(w.item.ID, 10)},
			cards.Values{"colour": {store.NoticeYellow}, "text": {"请报告整改情况"}, "due": {"2026-12-04"}})
		n, err := f.st.SupervisionNoticeByNumber(a.ctx, f.camp.ID, strings.Fields(r.Toast)[1])
		if err != nil {
			t.Fatalf("notice: %v (%s)", err, r.Toast)
		}
		return n
	}
	reload := func(n *store.SupervisionNotice) *store.SupervisionNotice {
		x, err := f.st.SupervisionNoticeByID(a.ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	w.notice, w.signed, w.answerd = issue(), issue(), issue()
	f.click(t, liaison, "notice.sign", noticeParams(w.signed), nil)
	f.click(t, liaison, "notice.sign", noticeParams(w.answerd), nil)
	f.click(t, liaison, "notice.answer.submit", noticeParams(reload(w.answerd)), cards.Values{"text": {"已整改"}})
	w.signed, w.answerd = reload(w.signed), reload(w.answerd)

	// Two flagged items, one waiting for the office's 复核.
	w.flagged = f.addItem(t, "lingbao", "挂牌督办的问题", "2026-12-21")
	w.review = f.addItem(t, "lingbao", "挂牌督办、待复核的问题", "2026-12-21")
	for _, it := range []*store.LedgerItem{w.flagged, w.review} {
		f.click(t, office, "flag.set", itemRef(it), nil)
	}
	f.click(t, liaison, "item.close.submit", itemRef(f.item(t, w.review.Number)), cards.Values{"result": {"已整改"}})
	f.click(t, leader, "approval.approve", requestParams(a.pendingOf(t, w.review)), nil)
	w.flagged, w.review = f.item(t, w.flagged.Number), f.item(t, w.review.Number)

	a.say(t, office, "通报 2026-10")
	d, err := f.st.LatestDraftBulletin(a.ctx, f.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.draft = d

	// Four 线索: new, assigned to 灵宝, signed, answered.
	clue := func(state string) *store.Clue {
		r := f.click(t, office, "clue.new.submit", nil, cards.Values{"source": {"12328"}, "content": {"执法人员随意拦车罚款"},
			"contact": {"王女士"}, "phone": {"13800001234"}})
		c, err := f.st.ClueByNumber(a.ctx, f.camp.ID, strings.Fields(r.Toast)[1])
		if err != nil {
			t.Fatalf("clue: %v (%s)", err, r.Toast)
		}
		steps := []func(){
			func() {
				f.click(t, office, "clue.assign.submit", clueParams(c), cards.Values{"unit": {"lingbao"}, "due": {"2026-12-10"}})
			},
			func() { f.click(t, liaison, "clue.sign", clueParams(c), nil) },
			func() {
				f.click(t, liaison, "clue.answer.submit", clueParams(c), cards.Values{"kind": {"已处理"}, "text": {"已退还罚款"}})
			},
		}
		n := map[string]int{store.ClueNew: 0, store.ClueAssigned: 1, store.ClueSigned: 2, store.ClueAnswered: 3}[state]
		for _, step := range steps[:n] {
			step()
			if c, err = f.st.ClueByID(a.ctx, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	w.clueNew, w.clueAsg, w.clueSgn, w.clueAns = clue(store.ClueNew), clue(store.ClueAssigned), clue(store.ClueSigned), clue(store.ClueAnswered)

	// 灵宝's 总结 package is complete but not submitted; 义马's submitted.
	f.fillPackage(t, liaison, "lingbao")
	f.fillPackage(t, azAccounts[azOtherLiaison], "yima")
	if r := f.click(t, azAccounts[azOtherLiaison], "summary.submit", sumParams("yima"), nil); r.ToastKind != "success" {
		t.Fatalf("义马 submit: %s", r.Toast)
	}
}

// say sends text 1:1 without delivering: the matrix reads what the bot
// queued from the deliveries table.
func (a *azFixture) say(t *testing.T, user, text string) {
	t.Helper()
	if _, err := a.f.h.Text(user, "", text); err != nil {
		t.Fatalf("%s %q: %v", user, text, err)
	}
}

// queuedTo returns the messages queued to user, or to chat, after delivery
// id after.
func (a *azFixture) queuedTo(t *testing.T, user, chat string, after int64) []bot.Message {
	t.Helper()
	rows, err := a.tx.Query(a.ctx, `SELECT payload FROM deliveries WHERE id > $1 AND (user_id = $2 OR chat_id = $3) ORDER BY id`, after, user, chat)
	if err != nil {
		t.Fatal(err)
	}
	payloads, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bot.Message, len(payloads))
	for i, p := range payloads {
		if err := json.Unmarshal(p, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (a *azFixture) lastDelivery(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := a.tx.QueryRow(a.ctx, `SELECT coalesce(max(id), 0) FROM deliveries`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (a *azFixture) pendingOf(t *testing.T, it *store.LedgerItem) *store.ItemRequest {
	t.Helper()
	q, err := a.f.st.PendingRequestOfItem(a.ctx, it.ID)
	if err != nil {
		t.Fatalf("pending request of %s: %v", it.Number, err)
	}
	return q
}

// openOf returns the open request of a contact's sim account.
func (a *azFixture) openOf(t *testing.T, account string) *store.EnterpriseRequest {
	t.Helper()
	acc, err := a.f.st.AccountByExternal(a.ctx, string(bot.Sim), account)
	if err != nil || acc.ContactID == nil {
		t.Fatalf("account %s: %+v %v", account, acc, err)
	}
	q, err := a.f.st.OpenRequestOfContact(a.ctx, *acc.ContactID)
	if err != nil {
		t.Fatalf("open request of %s: %v", account, err)
	}
	return q
}

// azTables are what a refused try must leave as it was. Not listed:
// inbound_events (the dedupe row stays on a refusal, by design) and the
// scheduler's and platforms' bookkeeping. Deliveries to the asker (the
// refusal itself) are left out of deliveries.
var azTables = []string{"accounts", "audit_log", "audit_head", "bind_codes", "chats", "contacts", "counters", "dialogs",
	"enterprise_requests", "enterprises", "files", "item_requests", "ledger_items", "milestone_submissions",
	"monthly_reports", "pairings", "people", "progress_updates", "request_messages", "request_ratings", "supervision_notices", "flagged_items", "bulletins", "clues", "unit_members", "units",
	"summary_packages", "summary_parts", "summary_item_notes", "campaign_supervisors"}

// state is a digest of every row of azTables and of the deliveries not to
// the asker.
func (a *azFixture) state(t *testing.T, asker, chat string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tab := range append(slices.Clone(azTables), "deliveries") {
		where := ""
		if tab == "deliveries" {
			where = " WHERE x.user_id <> $1 AND x.chat_id <> $2"
		}
		q := `SELECT count(*)::text || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM ` + tab + ` x` + where
		var args []any
		if where != "" {
			args = append(args, asker, chat)
		}
		var s string
		if err := a.tx.QueryRow(a.ctx, q, args...).Scan(&s); err != nil {
			t.Fatalf("state of %s: %v", tab, err)
		}
		out[tab] = s
	}
	return out
}

func isAuditTable(name string) bool { return name == "audit_log" || name == "audit_head" }

func changedTables(before, after map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if before[k] != after[k] {
			out = append(out, k)
		}
	}
	return out
}

// azTry is one try: who, what, and what came back.
type azTry struct {
	user   string
	chat   string // a group chat's id; "" for the 1:1 chat
	text   string // a typed command, or
	action string // a card action
	params map[string]string
	form   cards.Values
}

// azResult is what the asker saw and what changed.
type azResult struct {
	reply   *bot.Reply    // a card action's inline answer
	sent    []bot.Message // messages queued to the asker
	changed []string      // tables whose rows changed
	output  string        // everything the asker saw, as text
}

// refused reports whether the asker got a refusal: an error toast, or a
// single plain text message, in Chinese.
func (r *azResult) refused() bool {
	if r.reply != nil {
		return r.reply.ToastKind == "error" && hasHan(r.reply.Toast) && r.reply.Card == nil
	}
	return len(r.sent) == 1 && r.sent[0].Card == nil && r.sent[0].File == nil && hasHan(r.sent[0].Text)
}

// answered reports whether the asker got an answer that is no refusal: a
// card action's answer without an error toast, or a card or a file, or, for
// a change, the change with its audit row.
func (r *azResult) answered(write bool) bool {
	if r.reply != nil {
		return r.reply.ToastKind != "error" && !r.askedToBind()
	}
	for _, m := range r.sent {
		if m.Card != nil || m.File != nil {
			return true
		}
	}
	return write && slices.Contains(r.changed, "audit_log")
}

// askedToBind reports whether the asker was told to bind his account.
func (r *azResult) askedToBind() bool {
	if r.reply != nil {
		return r.reply.ToastKind == "warning" && strings.Contains(r.reply.Toast, "绑定")
	}
	return len(r.sent) == 1 && strings.Contains(r.sent[0].Text, "绑定 绑定码")
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// try runs one try on a savepoint and rolls it back.
func (a *azFixture) try(t *testing.T, x azTry) *azResult {
	t.Helper()
	if _, err := a.tx.Exec(a.ctx, "SAVEPOINT authz_cell"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := a.tx.Exec(a.ctx, "ROLLBACK TO SAVEPOINT authz_cell"); err != nil {
			t.Fatal(err)
		}
	}()
	chat := x.chat
	if chat == "" {
		chat = "d:" + x.user
	}
	before, last := a.state(t, x.user, chat), a.lastDelivery(t)
	res := &azResult{}
	var err error
	if x.action != "" {
		res.reply, err = a.f.h.Click(x.user, x.chat, x.action, x.params, x.form)
	} else {
		_, err = a.f.h.Text(x.user, x.chat, x.text)
	}
	if err != nil {
		t.Fatalf("%s %s%s: %v", x.user, x.action, x.text, err)
	}
	res.changed = changedTables(before, a.state(t, x.user, chat))
	res.sent = a.queuedTo(t, x.user, chat, last)
	var b strings.Builder
	if res.reply != nil {
		b.WriteString(res.reply.Toast + "\n" + res.reply.Text + "\n" + cardText(res.reply.Card))
	}
	for _, m := range res.sent {
		b.WriteString(sentText(bottest.Sent{Message: m}) + "\n")
		if m.File != nil && strings.HasSuffix(m.File.Name, ".xlsx") {
			for _, row := range sheetRows(t, m.File.Content) {
				b.WriteString(strings.Join(row, "|") + "\n")
			}
		}
	}
	res.output = b.String()
	return res
}

func cloneValues(v cards.Values) cards.Values {
	if v == nil {
		return nil
	}
	out := cards.Values{}
	for k, vals := range v {
		out[k] = slices.Clone(vals)
	}
	return out
}

// expand fills %item, %open and %code in a typed command.
func (w *azWorld) expand(text string) string {
	r := []string{"%item", w.item.Number, "%pending", w.pending.Number, "%open", w.open.Number, "%code", w.code,
		"%file", strconv.FormatInt(w.file, 10)}
	if w.notice != nil {
		r = append(r, "%notice", w.notice.Number, "%signed", w.signed.Number, "%answerd", w.answerd.Number,
			"%flagged", w.flagged.Number, "%review", w.review.Number)
	}
	if w.clueAsg != nil {
		r = append(r, "%clue", w.clueAsg.Number)
	}
	return strings.NewReplacer(r...).Replace(text)
}

func TestAuthorizationMatrix(t *testing.T) {
	a := newAzFixture(t)

	// Every registered command and action has a row.
	rt := bot.NewRouter()
	Register(rt, Deps{})
	if _, err := bot.New(bot.Config{Store: a.f.st, Router: rt}); err != nil { // adds the builtins (绑定)
		t.Fatal(err)
	}
	commands, actions := rt.Names()
	rows := map[string]bool{}
	for _, r := range azMatrix {
		rows[r.name] = true
		if len(r.want) != azRoles {
			t.Fatalf("%s: %d cells, want %d", r.name, len(r.want), azRoles)
		}
	}
	for _, n := range slices.Concat(commands, actions) {
		if alias, ok := azAliases[n]; ok {
			n = alias
		}
		if _, ok := rows[n]; !ok {
			t.Errorf("%q is registered but has no row in the authorization matrix", n)
		}
		rows[n] = false
	}
	for n, unseen := range rows {
		if unseen {
			t.Errorf("the matrix has a row for %q, which is not registered", n)
		}
	}

	for _, row := range azMatrix {
		label := row.name
		if row.text != "" {
			label = row.text
		}
		for role := range azRoles {
			t.Run(label+"/"+azRoleNames[role], func(t *testing.T) {
				if row.note != "" {
					defer func() {
						if t.Failed() {
							t.Log("matrix note: " + row.note)
						}
					}()
				}
				x := azTry{user: azAccounts[role], form: cloneValues(row.form)}
				if row.text != "" {
					x.text = a.w.expand(row.text)
				} else {
					x.action, x.params = row.name, row.params(a.w)
				}
				res := a.try(t, x)
				mark := row.mark(a.w)
				switch want := row.want[role]; want {
				case azAllow, azScoped:
					if !res.answered(row.write) {
						t.Fatalf("want %c, got a refusal:\n%s", want, res.output)
					}
					if got := strings.Contains(res.output, mark); got != (want == azAllow) {
						t.Errorf("want %c: mark %q shown = %v in:\n%s", want, mark, got, res.output)
					}
					audited := slices.Contains(res.changed, "audit_log")
					if want == azAllow && row.write && (!audited || len(slices.DeleteFunc(slices.Clone(res.changed), isAuditTable)) == 0) {
						t.Errorf("allowed change left no row and audit row: changed %v\n%s", res.changed, res.output)
					}
					if row.logged && !audited {
						t.Errorf("the view was not audited: changed %v", res.changed)
					}
				case azRefuse:
					if !res.refused() {
						t.Errorf("want a refusal, got:\n%s", res.output)
					}
					if len(res.changed) > 0 {
						t.Errorf("refused, yet changed %v", res.changed)
					}
				case azRelay:
					if !slices.Contains(res.changed, "request_messages") || slices.Contains(res.changed, "ledger_items") {
						t.Errorf("want the text relayed to the contact leader, changed %v:\n%s", res.changed, res.output)
					}
				case azBind:
					if !res.askedToBind() {
						t.Errorf("want to be asked to bind, got:\n%s", res.output)
					}
					if len(res.changed) > 0 {
						t.Errorf("stranger changed %v", res.changed)
					}
				default:
					t.Fatalf("bad cell %q", want)
				}
			})
		}
	}
}

// TestAuthorizationForgedAndStale: card payloads naming what the asker may
// not touch (another unit's item or request, another enterprise's
// request), and cards gone stale (an older version, a closed or deleted
// item, a decided request, a closed enterprise request). Each is refused or
// answered with the fresh card, and changes nothing.
func TestAuthorizationForgedAndStale(t *testing.T) {
	a := newAzFixture(t)
	w := a.w
	liaison, leader, contact := azAccounts[azLiaison], azAccounts[azLeader], azAccounts[azContact]
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	progress := cards.Values{"text": {"越权"}, "status": {store.ItemInProgress}}
	newItem := cards.Values{"source": {"s1"}, "category": {"c2"}, "description": {"伪造的关联"}, "measures": {"无"}, "due": {"2026-12-20"}}
	cases := []struct {
		name  string
		try   azTry
		want  string // in the refusal, or in the stale answer
		stale bool   // answered with the current card and a warning
	}{
		// Another unit's ids in a card of one's own unit.
		{"other unit's item: show", azTry{user: liaison, action: "item.show", params: itemRef(w.other)}, "义马市交通运输局", false},
		{"other unit's item: progress form", azTry{user: liaison, action: "item.progress.form", params: itemRef(w.other)}, "义马市交通运输局", false},
		{"other unit's item: progress", azTry{user: liaison, action: "item.progress.submit", params: itemRef(w.other), form: progress}, "义马市交通运输局", false},
		{"other unit's item: close", azTry{user: liaison, action: "item.close.submit", params: itemRef(w.other), form: cards.Values{"result": {"越权"}}}, "义马市交通运输局", false},
		{"other unit's item: extend", azTry{user: liaison, action: "item.extend.submit", params: itemRef(w.other), form: cards.Values{"due": {"2027-01-20"}, "reason": {"越权"}}}, "义马市交通运输局", false},
		{"other unit's item: typed progress", azTry{user: liaison, text: "进展 " + w.other.Number + " 越权"}, "义马市交通运输局", false},
		{"other unit: ledger", azTry{user: liaison, action: "ledger.show", params: map[string]string{"unit": "yima", "page": "1"}}, "义马市交通运输局", false},
		{"other unit: new item", azTry{user: liaison, action: "item.new.submit", params: map[string]string{"unit": "yima"}, form: newItem}, "义马市交通运输局", false},
		{"other unit: report", azTry{user: liaison, action: "report.submit", params: map[string]string{"unit": "yima", "period": "2026-11"}, form: cards.Values{"summary": {"越权"}, "confirm": {"confirmed"}}}, "义马市交通运输局", false},
		{"other unit: milestone", azTry{user: liaison, action: "milestone.submit", params: map[string]string{"unit": "yima", "milestone": "selfservice-all-cases"}, form: cards.Values{"note": {"越权"}}}, "义马市交通运输局", false},
		{"other unit's request: approve", azTry{user: leader, action: "approval.approve", params: requestParams(w.otherRq)}, "义马市交通运输局", false},
		{"other unit's request: reject", azTry{user: leader, action: "approval.reject.submit", params: requestParams(w.otherRq), form: cards.Values{"reason": {"越权"}}}, "义马市交通运输局", false},
		{"bad item id", azTry{user: liaison, action: "item.progress.submit", params: map[string]string{"item": "abc", "v": "1"}, form: progress}, "卡片参数有误", false},

		// Another enterprise's request.
		{"other enterprise's request: show", azTry{user: leader, action: "ereq.show", params: params(w.foreign)}, "仅限", false},
		{"other enterprise's request: reply", azTry{user: leader, action: "ereq.reply.submit", params: params(w.foreign), form: cards.Values{"text": {"越权"}}}, "仅限", false},
		{"other enterprise's request: close", azTry{user: leader, action: "ereq.close", params: params(w.foreign)}, "仅限", false},
		{"other enterprise's request: to item", azTry{user: leader, action: "ereq.to_item", params: params(w.foreign)}, "仅限", false},
		{"other enterprise's request: typed", azTry{user: leader, text: "诉求 " + w.foreign.Number}, "仅限", false},
		{"request transferred to one the form does not offer", azTry{user: leader, action: "ereq.transfer.submit", params: params(w.open), form: cards.Values{"to": {"zhou-ym"}, "note": {"越权"}}}, "转交给", false},
		{"other enterprise's request: rated by a contact", azTry{user: contact, action: "ereq.rate", params: map[string]string{"request": id(w.foreign.ID), "rating": store.RatingUnsatisfied}}, "不属于贵企业", false},
		{"other enterprise's request: commented by a contact", azTry{user: "c:smx-yunshu:张伟", action: "ereq.rate.comment.submit", params: map[string]string{"request": id(w.rated.ID), "rating": store.RatingSatisfied}, form: cards.Values{"comment": {"越权"}}}, "不属于贵企业", false},
		// item.new.submit's "request" param links the new item to an
		// enterprise request: only one who may handle the request may.
		{"request linked by a liaison", azTry{user: liaison, action: "item.new.submit", params: map[string]string{"unit": "lingbao", "request": id(w.open.ID)}, form: newItem}, "仅限", false},
		{"other enterprise's request linked by a leader", azTry{user: leader, action: "item.new.submit", params: map[string]string{"unit": "lingbao", "request": id(w.foreign.ID)}, form: newItem}, "仅限", false},

		// Stale cards.
		{"older version: progress", azTry{user: liaison, action: "item.progress.submit", params: map[string]string{"item": id(w.item.ID), "v": "0"}, form: progress}, msgStale, true},
		{"older version: close", azTry{user: liaison, action: "item.close.submit", params: map[string]string{"item": id(w.item.ID), "v": "0"}, form: cards.Values{"result": {"x"}}}, msgStale, true},
		{"closed item: progress form", azTry{user: liaison, action: "item.progress.form", params: itemRef(w.closed)}, "已销号", false},
		{"closed item: extend", azTry{user: liaison, action: "item.extend.submit", params: itemRef(w.closed), form: cards.Values{"due": {"2027-01-20"}, "reason": {"x"}}}, "已销号", false},
		{"closed item: typed progress", azTry{user: liaison, text: "进展 " + w.closed.Number + " 补充"}, "已销号", false},
		{"deleted item: show", azTry{user: liaison, action: "item.show", params: itemRef(w.gone)}, "不存在或已被删除", false},
		{"deleted item: progress", azTry{user: liaison, action: "item.progress.submit", params: itemRef(w.gone), form: progress}, "不存在或已被删除", false},
		{"decided request: approve", azTry{user: leader, action: "approval.approve", params: requestParams(w.decided)}, "已处理", true},
		{"decided request: reject", azTry{user: leader, action: "approval.reject.submit", params: requestParams(w.decided), form: cards.Values{"reason": {"x"}}}, "已处理", true},
		{"closed enterprise request: reply", azTry{user: leader, action: "ereq.reply.submit", params: params(w.unrated), form: cards.Values{"text": {"x"}}}, "已办结", false},
		{"closed enterprise request: reply form", azTry{user: leader, action: "ereq.reply.form", params: params(w.unrated)}, "已办结，无法再答复", false},
		{"closed enterprise request: transfer form", azTry{user: azAccounts[azOffice], action: "ereq.transfer.form", params: params(w.unrated)}, "已办结，无法转交", false},
		{"closed enterprise request: transfer", azTry{user: leader, action: "ereq.transfer.submit", params: params(w.unrated), form: cards.Values{"to": {officeTarget}, "note": {"x"}}}, "已办结，无法转交", false},
		{"closed enterprise request: close", azTry{user: leader, action: "ereq.close", params: params(w.unrated)}, "已办结", false},
		{"open request: rated", azTry{user: contact, action: "ereq.rate", params: map[string]string{"request": id(w.open.ID), "rating": store.RatingSatisfied}}, "正在办理", false},
		{"rated request: rated again", azTry{user: contact, action: "ereq.rate", params: map[string]string{"request": id(w.rated.ID), "rating": store.RatingUnsatisfied}}, "已评价", false},

		// 督办单: stale cards and forged ids.
		{"answered notice: signed again", azTry{user: liaison, action: "notice.sign", params: noticeParams(w.answerd)}, "已答复", true},
		{"older notice card: sign", azTry{user: liaison, action: "notice.sign", params: map[string]string{"notice": id(w.notice.ID), "v": "0"}}, msgNoticeStale, true},
		{"issued notice: closed", azTry{user: azAccounts[azOffice], action: "notice.close", params: noticeParams(w.notice)}, "待签收", true},
		{"bad notice id", azTry{user: liaison, action: "notice.sign", params: map[string]string{"notice": "abc"}}, "卡片参数有误", false},
		{"missing notice", azTry{user: liaison, action: "notice.show", params: map[string]string{"notice": "999999"}}, msgNoticeGone, false},
		{"other unit's notice: answered", azTry{user: azAccounts[azOtherLeader], action: "notice.answer.submit", params: noticeParams(w.signed), form: cards.Values{"text": {"越权"}}}, "灵宝市交通运输局", false},

		// Anyone unknown: asked to bind, whatever he sends.
		{"stranger: free text", azTry{user: azAccounts[azStranger], text: "你好，我要反映问题"}, "绑定 绑定码", false},
		{"stranger: in a unit's group", azTry{user: azAccounts[azStranger], chat: lgGroup, text: "台账"}, "绑定 绑定码", false},

		// In another unit's group chat, its unit is not the asker's.
		{"other unit's group: ledger", azTry{user: azAccounts[azOtherLiaison], chat: lgGroup, text: "台账"}, "灵宝市交通运输局", false},
		{"other unit's group: new item", azTry{user: azAccounts[azOtherLeader], chat: lgGroup, text: "新增问题"}, "灵宝市交通运输局", false},
		{"other unit's group: report", azTry{user: azAccounts[azOtherLiaison], chat: lgGroup, text: "月报"}, "灵宝市交通运输局", false},
		{"contact in a unit's group", azTry{user: contact, chat: lgGroup, text: "台账"}, "抱歉", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := a.try(t, c.try)
			if len(res.changed) > 0 {
				t.Errorf("changed %v", res.changed)
			}
			switch {
			case c.stale:
				if res.reply == nil || res.reply.ToastKind != "warning" || res.reply.Card == nil {
					t.Errorf("want the current card and a warning, got:\n%s", res.output)
				}
			case strings.Contains(c.want, "绑定"):
				if !res.askedToBind() {
					t.Errorf("want to be asked to bind, got:\n%s", res.output)
				}
			case !res.refused():
				t.Errorf("want a refusal, got:\n%s", res.output)
			}
			if !strings.Contains(res.output, c.want) {
				t.Errorf("%q not in:\n%s", c.want, res.output)
			}
		})
	}

	// The leader who handles the request links it; the item records it.
	res := a.try(t, azTry{user: leader, action: "item.new.submit", params: map[string]string{"unit": "lingbao", "request": id(w.open.ID)}, form: newItem})
	if !res.answered(true) || !strings.Contains(res.output, "已登记为") || !slices.Contains(res.changed, "ledger_items") {
		t.Errorf("leader's link refused: %v\n%s", res.changed, res.output)
	}
}
