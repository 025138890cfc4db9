package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Clues from the channels that can hear back (issue 22): a 社会义务监督员
// (a person the campaign file marks supervisor: true; on any platform,
// plain WeChat through 微信客服 included) sends 线索：… and gets a number;
// the office turns an enterprise's request into a clue from the request's
// card. When the clue ends the supervisor is told in his chat and the
// enterprise in its request's thread.

// clueNumberRe is a typed clue number: XS-2026-003.
var clueNumberRe = regexp.MustCompile(`(?i)^XS-\d{4}-\d+$`)

// clueContentMax is the longest clue a supervisor may send.
const clueContentMax = 2000

// supervisorClue answers 线索：… from a 监督员: the clue is numbered,
// recorded with him as its reporter (and a file sent with it), audited, and
// the office gets its card.
func (h *handler) supervisorClue(ctx context.Context, r *bot.Request, text string) (*bot.Reply, error) {
	if n := cards.RuneLen(text); n > clueContentMax {
		return nil, bot.Refuse("线索内容过长（%d 字），请精简到 %d 字以内后重新发送，未作登记。", n, clueContentMax)
	}
	c := &store.Clue{CampaignID: r.Campaign.ID, Source: "监督员", Content: text, ContactName: r.Person.Name,
		ContactPhone: r.Person.Phone, ReporterID: &r.Person.ID, CreatedBy: &r.Person.ID, CreatedAt: r.Now}
	var err error
	if c.FileID, _, err = saveEvidenceFile(ctx, r); err != nil {
		return nil, err
	}
	if err := r.Store.CreateClue(ctx, c, r.Now.In(r.Campaign.Location()).Year()); err != nil {
		return nil, err
	}
	if err := auditClue(ctx, r, "create", nil, c); err != nil {
		return nil, err
	}
	office, err := h.clueCardFor(ctx, r, c, clueViewOffice)
	if err != nil {
		return nil, err
	}
	msg := bot.Message{Text: fmt.Sprintf("社会义务监督员 %s 反映线索 %s，请分办。", r.Person.Name, c.Number), Card: office}
	if err := h.tellOffice(ctx, r, r.Campaign, msg, fmt.Sprintf("clue:%d:new:office", c.ID), clueSubject(c)); err != nil {
		return nil, err
	}
	own, err := h.clueCardFor(ctx, r, c, clueViewReporter)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("已收到您反映的线索，编号 %s。市局专项整治办公室将分办核查，办理结果将通知您；发送“线索”可查看您反映的线索。", c.Number),
		Card: own}, nil
}

// requestToClue answers ereq.to_clue {request}: the office turns an
// enterprise's request into a clue (来源 企业, the enterprise's words, its
// contact), linked to the request; the request's thread notes it.
func (h *handler) requestToClue(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := needOffice(r, "将企业诉求转为线索"); err != nil {
		return nil, err
	}
	q, err := handlerRequest(ctx, r, true)
	if err != nil {
		return nil, err
	}
	if prev, err := r.Store.ClueOfRequest(ctx, q.ID); err == nil {
		return nil, bot.Refuse("诉求 %s 已转为线索 %s。", q.Number, prev.Number)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	msgs, err := r.Store.RequestMessages(ctx, q.ID, 50)
	if err != nil {
		return nil, err
	}
	var said []string
	for _, m := range msgs {
		if m.Direction == store.MessageIn && m.FileID == nil && strings.TrimSpace(m.Text) != "" {
			said = append(said, strings.TrimSpace(m.Text))
		}
	}
	if len(said) == 0 {
		return nil, bot.Refuse("诉求 %s 还没有文字内容，无法转为线索。", q.Number)
	}
	content := truncateRunes(q.EnterpriseName+"反映（诉求 "+q.Number+"）："+strings.Join(said, "\n"), clueContentMax)
	c := &store.Clue{CampaignID: r.Campaign.ID, Source: "企业", Content: content, ContactName: q.EnterpriseName + " " + q.ContactName,
		ContactPhone: q.ContactPhone, RequestID: &q.ID, CreatedBy: &r.Person.ID, CreatedAt: r.Now}
	if err := r.Store.CreateClue(ctx, c, r.Now.In(r.Campaign.Location()).Year()); err != nil {
		return nil, err
	}
	if err := auditClue(ctx, r, "create", nil, c); err != nil {
		return nil, err
	}
	note := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageNote, PersonID: &r.Person.ID, CreatedAt: r.Now,
		Text: fmt.Sprintf("已转为线索 %s，由市局专项整治办公室分办核查", c.Number)}
	if err := r.Store.AddRequestMessage(ctx, note); err != nil {
		return nil, err
	}
	if err := auditView(ctx, r, q, "to_clue"); err != nil {
		return nil, err
	}
	card, err := h.clueCard(ctx, r, c)
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Card: card, Toast: fmt.Sprintf("诉求 %s 已转为线索 %s，请分办", q.Number, c.Number), ToastKind: "success"}, nil
}

// tellClueEnterprise tells the enterprise whose request became the clue
// how it ended, in the request's thread (held for its 微信客服 window like
// any answer).
func (h *handler) tellClueEnterprise(ctx context.Context, r *bot.Request, c *store.Clue) error {
	q, err := r.Store.EnterpriseRequestByID(ctx, *c.RequestID)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("【诉求 %s】您反映的问题已作为线索 %s 核查办结：%s。", q.Number, c.Number, clueOutcomeText(c))
	m := &store.RequestMessage{RequestID: q.ID, Direction: store.MessageOut, CreatedAt: r.Now, Text: text}
	if err := r.Store.AddRequestMessage(ctx, m); err != nil {
		return err
	}
	_, out, err := routeToContact(ctx, r.Bot(), r.Store, q, m, func(bot.Target) bot.Message { return bot.Message{Text: text} }, r.Now)
	if err != nil || out == nil {
		return err
	}
	r.Send(*out)
	return nil
}

// clueOutcomeText is how a clue ended, as its source is told: the outcome,
// the ledger item it became, the reason.
func clueOutcomeText(c *store.Clue) string {
	out := c.Outcome
	if c.CloseReason != "" {
		out += "（" + truncate(c.CloseReason, 200) + "）"
	}
	return out
}
