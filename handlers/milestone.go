package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// Milestones (节点): a unit marks a dated duty of the calendar done with a
// note, e.g. 实施方案已报送. Reminder cards carry {milestone, unit}.

// registerMilestones adds the milestone form.
func (h *handler) registerMilestones(rt *bot.Router) {
	rt.Action("milestone.form", h.milestoneForm)
	rt.Action("milestone.submit", h.milestoneSubmit)
}

// milestoneParams loads the action's milestone and unit and checks that the
// milestone is the unit's and the asker may act for the unit.
func milestoneParams(ctx context.Context, r *bot.Request) (*store.Milestone, *store.Unit, error) {
	u, err := paramUnit(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	key := actionParam(r, "milestone")
	m, err := r.Store.MilestoneByKey(ctx, r.Campaign.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, bot.Refuse("未找到节点“%s”，请重新打开卡片。", key)
	}
	if err != nil {
		return nil, nil, err
	}
	ok, err := r.Store.MilestoneAddressedTo(ctx, m.ID, u.ID)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, bot.Refuse("节点“%s”不是%s的任务。", m.Title, u.Name)
	}
	return m, u, nil
}

func milestoneFormCard(m *store.Milestone, u *store.Unit, day time.Time) *cards.Card {
	due := civil(m.DueOn)
	return &cards.Card{Title: "节点完成 · " + dateLabel(due), Subtitle: u.Name, Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s**\n截止时间：%s（%s）", m.Title, due.Format(time.DateOnly), countdown(due, day))),
		cards.FormBlock(&cards.Form{Name: "milestone_done", Fields: []cards.FormField{
			{Name: "note", Label: "完成情况", Kind: cards.KindLongText, Required: true, MaxLen: 1000, Placeholder: "如：实施方案已报送"},
		}, Submit: cards.Button{Text: "标记已完成", Action: "milestone.submit", Style: cards.StylePrimary,
			Params: map[string]string{"milestone": m.Key, "unit": u.Key}}}),
	}}
}

func milestoneDoneCard(m *store.Milestone, u *store.Unit, s *store.MilestoneSubmission, who string, loc *time.Location) *cards.Card {
	due := civil(m.DueOn)
	late := ""
	if dayOf(s.SubmittedAt, loc).After(due) {
		late = "（逾期完成）"
	}
	return &cards.Card{Title: "节点已完成 · " + dateLabel(due), Subtitle: u.Name, Tone: cards.ToneSuccess, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("**%s**\n%s", m.Title, truncate(s.Note, 300))),
		cards.NoteBlock(fmt.Sprintf("%s 于 %s 标记完成%s", who, s.SubmittedAt.In(loc).Format("2006-01-02 15:04"), late)),
	}}
}

func (h *handler) milestoneDone(ctx context.Context, r *bot.Request, m *store.Milestone, u *store.Unit, s *store.MilestoneSubmission) (*cards.Card, error) {
	var ids []int64
	if s.PersonID != nil {
		ids = append(ids, *s.PersonID)
	}
	people, err := r.Store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return milestoneDoneCard(m, u, s, personName(people, s.PersonID), r.Campaign.Location()), nil
}

// milestoneForm answers milestone.form {milestone, unit}: a package
// milestone opens the unit's checklist instead (summary.go).
func (h *handler) milestoneForm(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := milestoneParams(ctx, r)
	if err != nil {
		return nil, err
	}
	if m.IsPackage() {
		card, err := h.summaryCard(ctx, r, m, u)
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Card: card, Subject: summarySubject(m, u)}, nil
	}
	s, err := r.Store.MilestoneSubmissionOf(ctx, m.ID, u.ID)
	if err == nil {
		c, err := h.milestoneDone(ctx, r, m, u, s)
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Card: c, Toast: "该节点已标记完成", ToastKind: "info"}, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return bot.CardReply(milestoneFormCard(m, u, today(r))), nil
}

// milestoneSubmit answers milestone.submit {milestone, unit}.
func (h *handler) milestoneSubmit(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	m, u, err := milestoneParams(ctx, r)
	if err != nil {
		return nil, err
	}
	if m.IsPackage() {
		return nil, bot.Refuse("节点“%s”需逐项报送材料，请发送“总结”填写，材料齐全后提交。", m.Title)
	}
	if s, err := r.Store.MilestoneSubmissionOf(ctx, m.ID, u.ID); err == nil {
		c, err := h.milestoneDone(ctx, r, m, u, s)
		if err != nil {
			return nil, err
		}
		return &bot.Reply{Card: c, Toast: "该节点已标记完成，无需重复提交", ToastKind: "warning"}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	v, err := formCheck(r, milestoneFormCard(m, u, today(r)).Form())
	if err != nil {
		return nil, err
	}
	s := &store.MilestoneSubmission{MilestoneID: m.ID, UnitID: u.ID, Note: v.Get("note"), PersonID: &r.Person.ID, SubmittedAt: r.Now}
	if err := r.Store.SubmitMilestoneAt(ctx, s); err != nil {
		return nil, conflictRefusal(err, "该节点已标记完成。")
	}
	if err := MilestoneRemindersDone(ctx, r, m, u); err != nil {
		return nil, err
	}
	if err := r.Store.AppendAudit(ctx, store.AuditParams{Actor: r.Actor(), Entity: "milestone_submission", EntityID: strconv.FormatInt(s.ID, 10),
		Action: "submit", New: map[string]any{"milestone": m.Key, "unit": u.Key, "note": s.Note}}); err != nil {
		return nil, err
	}
	c := milestoneDoneCard(m, u, s, r.Person.Name, r.Campaign.Location())
	return &bot.Reply{Card: c, Toast: "已标记完成", ToastKind: "success"}, nil
}
