package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// Reminder cards. Each carries the button that answers it: the ledger's
// actions (report.form, milestone.form, item.progress.form, item.extend.form,
// ledger.show) with everything they act on in their params.

func reportButton(u *store.Unit, period string) cards.Button {
	return cards.Button{Text: "填报月报", Action: "report.form", Style: cards.StylePrimary,
		Params: map[string]string{"unit": u.Key, "period": period}, Command: "月报 " + period}
}

// reportReminderCard asks a unit to submit a period's monthly report.
//
// owed are the earlier periods the unit has not reported: each is offered
// as a 补报 button beside the period's own.
func reportReminderCard(u *store.Unit, liaison, period string, due, day time.Time, owed []reportPeriod) *cards.Card {
	tone := cards.ToneWarning
	if civil(due).Equal(civil(day)) {
		tone = cards.ToneDanger
	}
	who := "请联络人"
	if liaison != "" {
		who = "请" + liaison
	}
	c := &cards.Card{Title: "月报提醒 · " + periodLabel(period), Subtitle: u.Name, Tone: tone, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s** 尚未报送 %s 阶段性工作进展情况及专项整治工作台账。\n截止时间：**%s**，%s。%s按时报送。",
			u.Name, periodLabel(period), dateLabel(due), sentCountdown(due, day), who)),
		cards.ButtonsBlock(reportButton(u, period)),
	}}
	c.Blocks = append(c.Blocks, owedBlocks(u, owed, day)...)
	c.Blocks = append(c.Blocks, cards.NoteBlock("依据三交〔2023〕63号：每月23日前报送阶段性工作进展情况。"))
	return c
}

// reportOverdueCard tells a unit's leader that its report is late.
func reportOverdueCard(u *store.Unit, period string, due time.Time) *cards.Card {
	return &cards.Card{Title: "逾期未报 · " + periodLabel(period), Subtitle: u.Name, Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s** 的 %s 阶段性工作进展情况已过截止时间（%s），至今未报送。请督促联络人尽快报送。",
			u.Name, periodLabel(period), dateLabel(due))),
		cards.ButtonsBlock(reportButton(u, period)),
	}}
}

// reportOverdueOfficeCard lists the units whose report is late.
func reportOverdueOfficeCard(period string, due time.Time, units []string) *cards.Card {
	return &cards.Card{Title: "逾期未报汇总 · " + periodLabel(period), Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("截至 %s，以下 **%d** 个单位未报送 %s 阶段性工作进展情况：\n%s",
			dateLabel(due), len(units), periodLabel(period), joinNames(units, 30))),
	}}
}

func milestoneButton(m *store.Milestone, u *store.Unit) cards.Button {
	if m.IsPackage() {
		return cards.Button{Text: "填写总结材料", Action: "summary.show", Style: cards.StylePrimary,
			Params: map[string]string{"milestone": m.Key, "unit": u.Key}, Command: "总结 " + u.Name}
	}
	return cards.Button{Text: "标记已完成", Action: "milestone.form", Style: cards.StylePrimary,
		Params: map[string]string{"milestone": m.Key, "unit": u.Key}, Command: "标记已完成 " + m.Key + " " + u.Name}
}

// missingPartsText names what a package milestone still lacks.
func missingPartsText(m *store.Milestone, missing []string) string {
	if !m.IsPackage() || len(missing) == 0 {
		return ""
	}
	return "\n**尚缺**：" + strings.Join(missing, "；")
}

// milestoneReminderCard asks a unit to complete a milestone; for a package
// milestone it names the parts still missing.
func milestoneReminderCard(m *store.Milestone, u *store.Unit, liaison string, day time.Time, missing []string) *cards.Card {
	due := civil(m.DueOn)
	who := "请联络人"
	if liaison != "" {
		who = "请" + liaison
	}
	done := "完成后在此标记。"
	if m.IsPackage() {
		done = "逐项报送材料，齐全后提交。"
	}
	return &cards.Card{Title: "节点提醒 · " + dateLabel(due), Subtitle: u.Name, Tone: cards.ToneWarning, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s**\n截止时间：**%s**，%s。%s%s%s", m.Title, dateLabel(due), sentCountdown(due, day), who, done, missingPartsText(m, missing))),
		cards.ButtonsBlock(milestoneButton(m, u)),
	}}
}

// milestoneOverdueCard tells a unit that a milestone passed undone.
func milestoneOverdueCard(m *store.Milestone, u *store.Unit, missing []string) *cards.Card {
	return &cards.Card{Title: "节点逾期 · " + dateLabel(civil(m.DueOn)), Subtitle: u.Name, Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s**\n已过截止时间（%s），%s 尚未标记完成。%s", m.Title, dateLabel(civil(m.DueOn)), u.Name, missingPartsText(m, missing))),
		cards.ButtonsBlock(milestoneButton(m, u)),
	}}
}

// milestoneOverdueOfficeCard lists the units that missed a milestone.
func milestoneOverdueOfficeCard(m *store.Milestone, units []string) *cards.Card {
	return &cards.Card{Title: "节点逾期汇总 · " + dateLabel(civil(m.DueOn)), Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s**\n以下 **%d** 个单位未按时完成：%s", m.Title, len(units), joinNames(units, 30))),
	}}
}

func itemParams(it *store.DueItem) map[string]string {
	return map[string]string{"item": strconv.FormatInt(it.ID, 10), "v": strconv.Itoa(it.Version)}
}

// itemReminderCard reminds the liaison and 责任人 of an item's deadline.
func itemReminderCard(it *store.DueItem, u *store.Unit, stage string, day time.Time) *cards.Card {
	due := civil(it.DueOn)
	title, tone := "整改时限提醒", cards.ToneWarning
	if stage != stageSoon {
		title, tone = "整改逾期提醒", cards.ToneDanger
	}
	fields := []cards.Field{
		{Label: "单位", Value: u.Name, Short: true},
		{Label: "整改时限", Value: due.Format(time.DateOnly) + "（" + sentCountdown(due, day) + "）", Short: true},
	}
	if it.ResponsiblePerson != "" {
		fields = append(fields, cards.Field{Label: "责任人", Value: it.ResponsiblePerson, Short: true})
	}
	return &cards.Card{Title: title + " · " + it.Number, Tone: tone, Blocks: []cards.Block{
		cards.MD(truncate(it.Description, 200)),
		cards.FieldsBlock(fields...),
		cards.ButtonsBlock(
			cards.Button{Text: "更新进展", Action: "item.progress.form", Style: cards.StylePrimary, Params: itemParams(it), Command: "更新进展 " + it.Number},
			cards.Button{Text: "申请延期", Action: "item.extend.form", Params: itemParams(it), Command: "申请延期 " + it.Number},
		),
	}}
}

// itemEscalationCard tells a unit's leader that an item is overdue.
func itemEscalationCard(it *store.DueItem, u *store.Unit, day time.Time) *cards.Card {
	due := civil(it.DueOn)
	return &cards.Card{Title: "整改逾期 · " + it.Number, Subtitle: u.Name, Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("%s\n整改时限 %s，%s，仍未销号。请督促整改或审批延期。", truncate(it.Description, 200),
			due.Format(time.DateOnly), sentCountdown(due, day))),
		cards.ButtonsBlock(cards.Button{Text: "查看台账", Action: "ledger.show", Params: map[string]string{"unit": u.Key, "page": "1"}, Command: "台账 " + u.Name}),
	}}
}

// itemOfficeEscalationCard lists the items escalated to the office today.
func itemOfficeEscalationCard(items []*store.DueItem, units map[int64]*store.Unit, day time.Time) *cards.Card {
	t := &cards.Table{Columns: []string{"编号", "单位", "整改时限", "逾期"}}
	for i, it := range items {
		if i == 30 {
			t.Rows = append(t.Rows, []string{"…", fmt.Sprintf("共 %d 条", len(items)), "", ""})
			break
		}
		name := ""
		if u := units[it.UnitID]; u != nil {
			name = u.Name
		}
		due := civil(it.DueOn)
		t.Rows = append(t.Rows, []string{it.Number, name, due.Format(time.DateOnly), sentCountdown(due, day)})
	}
	return &cards.Card{Title: "整改逾期升级", Tone: cards.ToneDanger, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("以下 **%d** 条问题逾期已满三个工作日，仍未销号：", len(items))),
		cards.TableBlock(t),
	}}
}
