package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhenggai/cards"
	"zhenggai/store"
)

// Labels of request states and ratings.
var (
	requestStateLabel = map[string]string{store.RequestOpen: "待答复", store.RequestAnswered: "已答复", store.RequestClosed: "已办结"}
	ratingLabel       = map[string]string{store.RatingSatisfied: "满意", store.RatingBasically: "基本满意", store.RatingUnsatisfied: "不满意"}
)

func reqParams(q *store.EnterpriseRequest) map[string]string {
	return map[string]string{"request": strconv.FormatInt(q.ID, 10)}
}

// stamp renders an instant in the campaign's zone: 11-26 10:05.
func stamp(t time.Time, loc *time.Location) string { return t.In(loc).Format("01-02 15:04") }

// requestCard is what a request's handler sees: who, what, the thread's
// last messages, the clock, and the actions.
func (h *handler) requestCard(ctx context.Context, st *store.Store, camp *store.Campaign, q *store.EnterpriseRequest, headline string) (*cards.Card, error) {
	msgs, err := st.RequestMessages(ctx, q.ID, requestThread)
	if err != nil {
		return nil, err
	}
	c := requestCardFrom(q, msgs, camp, headline)
	ev, n, err := st.RequestEvidence(ctx, q.ID, evidenceShown)
	if err != nil {
		return nil, err
	}
	withEvidence(c, ev, n, camp.Location())
	return c, nil
}

// requestCardFrom builds the request card from loaded data.
func requestCardFrom(q *store.EnterpriseRequest, msgs []*store.RequestMessage, camp *store.Campaign, headline string) *cards.Card {
	loc := camp.Location()
	c := &cards.Card{Title: "企业诉求 " + q.Number, Subtitle: q.EnterpriseName, Tone: cards.ToneWarning}
	state := requestStateLabel[q.State]
	switch q.State {
	case store.RequestAnswered:
		c.Tone = cards.ToneInfo
	case store.RequestClosed:
		c.Tone = cards.ToneSuccess
		if q.Rating != nil {
			state += "（企业评价：" + ratingLabel[*q.Rating] + "）"
		} else {
			state += "（待企业评价）"
		}
	}
	if q.State == store.RequestOpen && q.Rating != nil && *q.Rating == store.RatingUnsatisfied {
		state += "（企业评价不满意，已重新打开）"
		c.Tone = cards.ToneDanger
	}
	if headline != "" {
		c.Blocks = append(c.Blocks, cards.MD(headline))
	}
	contact := q.ContactName
	if q.ContactPhone != "" {
		contact += " " + q.ContactPhone
	}
	fields := []cards.Field{
		{Label: "企业", Value: q.EnterpriseName, Short: true},
		{Label: "联系人", Value: contact, Short: true},
		{Label: "状态", Value: state, Short: true},
		{Label: "承办", Value: q.OwnerName, Short: true},
		{Label: "受理时间", Value: stamp(q.OpenedAt, loc), Short: true},
	}
	if q.State == store.RequestOpen && q.WaitingSince != nil {
		due := addWorkingHours(calendarOf(camp), *q.WaitingSince, answerHours(camp), loc)
		fields = append(fields, cards.Field{Label: "答复时限", Value: stamp(due, loc), Short: true})
	}
	if q.LedgerItemID != nil {
		fields = append(fields, cards.Field{Label: "台账", Value: "已转为台账问题", Short: true})
	}
	c.Blocks = append(c.Blocks, cards.FieldsBlock(fields...))
	if len(msgs) > 0 {
		c.Blocks = append(c.Blocks, cards.MD(threadMarkdown(q, msgs, loc)))
	}
	if q.State != store.RequestClosed {
		buttons := []cards.Button{
			{Text: "回复", Action: "ereq.reply.form", Params: reqParams(q), Style: cards.StylePrimary, Command: "回复 " + q.Number},
			{Text: "转交", Action: "ereq.transfer.form", Params: reqParams(q), Command: "转交 " + q.Number},
			{Text: "办结", Action: "ereq.close", Params: reqParams(q), Confirm: "确认办结该诉求？办结后将请企业评价。", Command: "办结 " + q.Number},
		}
		if q.LedgerItemID == nil {
			buttons = append(buttons, cards.Button{Text: "转为台账问题", Action: "ereq.to_item", Params: reqParams(q), Command: "转为台账问题 " + q.Number})
		}
		buttons = append(buttons, cards.Button{Text: "转为线索", Action: "ereq.to_clue", Params: reqParams(q), Command: "转为线索 " + q.Number})
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(buttons...))
	}
	c.Blocks = append(c.Blocks, cards.NoteBlock("企业诉求仅限联系领导、受转交人和市局专项整治办公室查看，查看和办理均有记录。"))
	return c
}

// threadMarkdown renders the thread's messages, oldest first.
func threadMarkdown(q *store.EnterpriseRequest, msgs []*store.RequestMessage, loc *time.Location) string {
	var lines []string
	for _, m := range msgs {
		text := strings.ReplaceAll(truncateRunes(m.Text, 300), "\n", " ")
		switch m.Direction {
		case store.MessageIn:
			lines = append(lines, fmt.Sprintf("**%s** %s：%s", q.ContactName, stamp(m.CreatedAt, loc), text))
		case store.MessageOut:
			who := m.PersonName
			if who == "" {
				who = "系统"
			}
			suffix := ""
			if m.Held {
				suffix = "（待企业再次来信后发送）"
			}
			lines = append(lines, fmt.Sprintf("**%s 答复** %s：%s%s", who, stamp(m.CreatedAt, loc), text, suffix))
		default:
			lines = append(lines, fmt.Sprintf("*%s %s*", stamp(m.CreatedAt, loc), text))
		}
	}
	return strings.Join(lines, "\n")
}

// replyFormCard asks for the answer to a request.
func replyFormCard(q *store.EnterpriseRequest) *cards.Card {
	return &cards.Card{Title: "答复诉求 " + q.Number, Subtitle: q.EnterpriseName + " " + q.ContactName, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.FormBlock(&cards.Form{Name: "ereq_reply", Fields: []cards.FormField{
			{Name: "text", Label: "答复内容", Kind: cards.KindLongText, Required: true, MaxLen: requestTextMax, Placeholder: "将发送给企业联系人"},
		}, Submit: cards.Button{Text: "发送答复", Action: "ereq.reply.submit", Params: reqParams(q), Style: cards.StylePrimary}}),
	}}
}

// transferFormCard asks whom to hand a request to, and why.
func transferFormCard(q *store.EnterpriseRequest, options []cards.Option) *cards.Card {
	return &cards.Card{Title: "转交诉求 " + q.Number, Subtitle: q.EnterpriseName, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.FormBlock(&cards.Form{Name: "ereq_transfer", Fields: []cards.FormField{
			{Name: "to", Label: "转交给", Kind: cards.KindSelect, Required: true, Options: options},
			{Name: "note", Label: "转交说明", Kind: cards.KindLongText, Required: true, MaxLen: 500},
		}, Submit: cards.Button{Text: "转交", Action: "ereq.transfer.submit", Params: reqParams(q), Style: cards.StylePrimary}}),
	}}
}

// ratingText is the plain-text part of a rating request, for platforms
// without buttons (微信客服).
func ratingText(q *store.EnterpriseRequest) string {
	return fmt.Sprintf("您的诉求 %s 已办结。请对本次服务评价：直接回复“满意”“基本满意”或“不满意”，也可在后面附上意见（例如：不满意 问题仍未解决）。", q.Number)
}

// ratingCard asks the enterprise to rate a closed request.
func ratingCard(q *store.EnterpriseRequest) *cards.Card {
	btn := func(text, rating string, style cards.ButtonStyle) cards.Button {
		p := reqParams(q)
		p["rating"] = rating
		return cards.Button{Text: text, Action: "ereq.rate", Params: p, Style: style}
	}
	return &cards.Card{Title: "诉求已办结 · 请评价", Subtitle: q.Number, Tone: cards.ToneSuccess, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("您的诉求 **%s** 已由 %s 办结。请对本次服务作出评价，选择“不满意”将重新打开诉求。", q.Number, q.OwnerName)),
		cards.ButtonsBlock(btn("满意", store.RatingSatisfied, cards.StylePrimary), btn("基本满意", store.RatingBasically, cards.StyleDefault),
			btn("不满意", store.RatingUnsatisfied, cards.StyleDanger)),
	}}
}

// answerNextText says what happens after a leader's answer.
func answerNextText(days int) string {
	return fmt.Sprintf("问题已解决请回复“满意”或“基本满意”；仍未解决请回复“仍未解决”或直接说明，联系领导将继续办理。%d 天内未评价的，诉求将自动办结。", days)
}

// answerCard follows a leader's answer to the enterprise: what happens
// next, and the three choices.
func answerCard(q *store.EnterpriseRequest, days int) *cards.Card {
	btn := func(text, rating string, style cards.ButtonStyle) cards.Button {
		p := reqParams(q)
		p["rating"] = rating
		return cards.Button{Text: text, Action: "ereq.rate", Params: p, Style: style}
	}
	return &cards.Card{Title: "诉求 " + q.Number + " 已答复", Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("问题解决了吗？请选择：已解决请点“已解决（满意）”；仍有问题请点“仍未解决”或直接回复说明，联系领导将继续办理。\n%d 天内未评价的，诉求将自动办结。", days)),
		cards.ButtonsBlock(btn("已解决（满意）", store.RatingSatisfied, cards.StylePrimary), btn("基本满意", store.RatingBasically, cards.StyleDefault),
			btn("仍未解决", store.RatingUnsatisfied, cards.StyleDanger)),
	}}
}

// unresolvedCard answers 仍未解决: the request goes on.
func unresolvedCard(q *store.EnterpriseRequest) *cards.Card {
	return &cards.Card{Title: "诉求 " + q.Number + " 继续办理", Tone: cards.ToneWarning, Blocks: []cards.Block{
		cards.MD("已转告联系领导，诉求将继续办理。您可以直接回复补充说明仍未解决的情况。"),
	}}
}

// rateThanksCard thanks for a rating and offers an optional comment.
func rateThanksCard(q *store.EnterpriseRequest, rating string) *cards.Card {
	p := reqParams(q)
	p["rating"] = rating
	msg := fmt.Sprintf("感谢您的评价：**%s**。", ratingLabel[rating])
	if rating == store.RatingUnsatisfied {
		msg += "诉求已重新打开，联系领导和市局专项整治办公室已收到通知。"
	}
	return &cards.Card{Title: "感谢评价 · " + q.Number, Tone: cards.ToneSuccess, Blocks: []cards.Block{
		cards.MD(msg),
		cards.FormBlock(&cards.Form{Name: "ereq_rate_comment", Fields: []cards.FormField{
			{Name: "comment", Label: "意见建议（选填）", Kind: cards.KindLongText, MaxLen: 500},
		}, Submit: cards.Button{Text: "提交意见", Action: "ereq.rate.comment.submit", Params: p}}),
	}}
}

// contactInfoCard answers 联系人.
func contactInfoCard(ent *store.Enterprise, leader, office *store.Person) *cards.Card {
	c := &cards.Card{Title: "联系领导（联百企驻百站）", Subtitle: ent.Name, Tone: cards.ToneInfo}
	if leader == nil {
		c.Blocks = append(c.Blocks, cards.MD("贵企业暂未配置联系领导，您发送的诉求将由市局专项整治办公室办理。"))
	} else {
		fields := []cards.Field{{Label: "姓名", Value: leader.Name, Short: true}, {Label: "职务", Value: leader.Title, Short: true}}
		if leader.Phone != "" {
			fields = append(fields, cards.Field{Label: "电话", Value: leader.Phone, Short: true})
		}
		c.Blocks = append(c.Blocks, cards.FieldsBlock(fields...), cards.MD("直接在此发送文字即可联系，一对一、直通车。"))
	}
	if office != nil && office.Phone != "" {
		c.Blocks = append(c.Blocks, cards.NoteBlock(fmt.Sprintf("市局专项整治办公室：%s %s", office.Name, office.Phone)))
	}
	return c
}

// requestListCard lists requests; with buttons for those who handle them.
func requestListCard(title, subtitle string, qs []*store.EnterpriseRequest, loc *time.Location, handler bool) *cards.Card {
	c := &cards.Card{Title: title, Subtitle: subtitle, Tone: cards.ToneInfo}
	if len(qs) == 0 {
		c.Blocks = append(c.Blocks, cards.MD("暂无未办结的诉求。"))
		return c
	}
	t := &cards.Table{Columns: []string{"编号", "企业", "状态", "受理时间", "承办"}}
	var buttons []cards.Button
	for _, q := range qs {
		t.Rows = append(t.Rows, []string{q.Number, q.EnterpriseName, requestStateLabel[q.State], stamp(q.OpenedAt, loc), q.OwnerName})
		if handler && len(buttons) < 5 {
			buttons = append(buttons, cards.Button{Text: "查看 " + q.Number, Action: "ereq.show", Params: reqParams(q)})
		}
	}
	c.Blocks = append(c.Blocks, cards.TableBlock(t))
	if len(buttons) > 0 {
		c.Blocks = append(c.Blocks, cards.ButtonsBlock(buttons...))
	}
	return c
}

// requestLateCard reminds the owner (or tells the office) that a request
// waits past its answer clock.
func requestLateCard(q *store.EnterpriseRequest, due time.Time, hours int, loc *time.Location, office bool) *cards.Card {
	c := &cards.Card{Title: "企业诉求超时未答复 · " + q.Number, Subtitle: q.EnterpriseName, Tone: cards.ToneWarning}
	since := stamp(*q.WaitingSince, loc)
	if office {
		c.Tone = cards.ToneDanger
		c.Blocks = append(c.Blocks, cards.MD(fmt.Sprintf("**%s** 的诉求 %s 自 %s 起等待答复，已超过答复时限（%d 个工作小时）的两倍，承办人：**%s**。请督促办理。",
			q.EnterpriseName, q.Number, since, hours, q.OwnerName)))
	} else {
		c.Blocks = append(c.Blocks, cards.MD(fmt.Sprintf("**%s %s** 的诉求自 %s 起等待您的答复，答复时限 %s 已到（%d 个工作小时）。超过两倍时限将通报市局专项整治办公室。",
			q.EnterpriseName, q.ContactName, since, stamp(due, loc), hours)))
	}
	c.Blocks = append(c.Blocks, cards.ButtonsBlock(
		cards.Button{Text: "查看并答复", Action: "ereq.show", Params: reqParams(q), Style: cards.StylePrimary, Command: "诉求 " + q.Number}))
	return c
}

// undeliveredCard tells a leader that his reply did not reach the
// enterprise, and why.
func undeliveredCard(number, enterprise, text, why string, held bool) *cards.Card {
	c := &cards.Card{Title: "答复未能送达 · " + number, Subtitle: enterprise, Tone: cards.ToneDanger}
	msg := fmt.Sprintf("您对 **%s** 的答复“%s”未能送达：%s。", enterprise, truncateRunes(text, 60), why)
	if held {
		c.Tone = cards.ToneWarning
		c.Title = "答复待发送 · " + number
		msg += "答复已保存，企业再次来信时将自动发出；如较急，请电话联系企业。"
	} else {
		msg += "请电话联系企业，或稍后重新答复。"
	}
	c.Blocks = append(c.Blocks, cards.MD(msg))
	return c
}

// enterpriseSampleCards returns sample enterprise cards for CardCatalog.
func enterpriseSampleCards() []NamedCard {
	loc := time.FixedZone("CST", 8*3600)
	camp := &store.Campaign{Key: "demo", Timezone: "Asia/Shanghai", Settings: store.CampaignSettings{RequestAnswerHours: 24}}
	at := time.Date(2026, 11, 26, 10, 5, 0, 0, loc)
	leader := int64(3)
	q := &store.EnterpriseRequest{ID: 12, Number: "QY-2026-0012", EnterpriseID: 1, ContactID: 1, OwnerID: 3, State: store.RequestOpen,
		OpenedAt: at, WaitingSince: &at, EnterpriseName: "三门峡顺达运输有限公司", EnterpriseLeaderID: &leader,
		ContactName: "张伟", ContactPhone: "13900000001", OwnerKey: "wang-jg", OwnerName: "王建国"}
	msgs := []*store.RequestMessage{
		{Direction: store.MessageIn, Text: "我公司两辆货车年审时被要求重复提交材料，希望简化流程。", CreatedAt: at},
		{Direction: store.MessageIn, Text: "[附件] 年审材料清单.pdf", CreatedAt: at.Add(time.Minute)},
	}
	answered := *q
	answered.State = store.RequestAnswered
	answered.WaitingSince = nil
	later := at.Add(2 * time.Hour)
	answered.FirstAnswerAt = &later
	closed := answered
	closed.State = store.RequestClosed
	sat := store.RatingSatisfied
	closed.Rating = &sat
	thread := append(msgs[:2:2], &store.RequestMessage{Direction: store.MessageOut, PersonName: "王建国",
		Text: "已协调车管部门，材料只需提交一次，明天可直接办理。", CreatedAt: later})
	ent := &store.Enterprise{Name: "三门峡顺达运输有限公司"}
	office := &store.Person{Name: "卢旭明", Phone: "2817988"}
	lead := &store.Person{Name: "王建国", Title: "市交通运输局副局长", Phone: "13800000002"}
	withFiles := requestCardFrom(q, msgs, camp, "**三门峡顺达运输有限公司 张伟** 提出新诉求")
	withEvidence(withFiles, []store.Evidence{{FileID: 52, Name: "年审材料清单.pdf", Size: 182 << 10, Sender: "张伟", At: at.Add(time.Minute)}}, 1, loc)
	return []NamedCard{
		{Name: "enterprise-request", Card: requestCardFrom(q, msgs, camp, "**三门峡顺达运输有限公司 张伟** 提出新诉求")},
		{Name: "enterprise-request-evidence", Card: withFiles},
		{Name: "enterprise-request-answered", Card: requestCardFrom(&answered, thread, camp, "")},
		{Name: "enterprise-request-closed", Card: requestCardFrom(&closed, thread, camp, "")},
		{Name: "enterprise-reply-form", Card: replyFormCard(q)},
		{Name: "enterprise-transfer-form", Card: transferFormCard(q, []cards.Option{
			{Value: officeTarget, Label: "市局专项整治办公室"}, {Value: "chen-hm", Label: "陈红梅（市交通运输局副局长）"}})},
		{Name: "enterprise-rating", Card: ratingCard(&closed)},
		{Name: "enterprise-answer", Card: answerCard(&answered, 7)},
		{Name: "enterprise-unresolved", Card: unresolvedCard(&answered)},
		{Name: "enterprise-rating-thanks", Card: rateThanksCard(&closed, store.RatingUnsatisfied)},
		{Name: "enterprise-contact", Card: contactInfoCard(ent, lead, office)},
		{Name: "enterprise-my-requests", Card: requestListCard("我的诉求", ent.Name, []*store.EnterpriseRequest{q}, loc, false)},
		{Name: "enterprise-leader-requests", Card: requestListCard("企业诉求", "王建国", []*store.EnterpriseRequest{q, &answered}, loc, true)},
		{Name: "enterprise-late", Card: requestLateCard(q, at.Add(72*time.Hour), 24, loc, false)},
		{Name: "enterprise-late-office", Card: requestLateCard(q, at.Add(144*time.Hour), 24, loc, true)},
		{Name: "enterprise-to-item", Card: requestItemFormCard(q, &store.Unit{Key: "city-office", Name: "市局专项整治办公室"}, "赵立新", "卢旭明",
			"执法人员对同一违法行为重复罚款。", "", at.AddDate(0, 1, 0))},
		{Name: "enterprise-undelivered", Card: undeliveredCard(q.Number, q.EnterpriseName, "已协调车管部门，材料只需提交一次。", "企业通过微信客服来信已超过48小时", true)},
	}
}
