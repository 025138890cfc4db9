package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"zhenggai/cards"
	"zhenggai/store"
)

// The dialog engine fills a form field by field where a platform's cards
// cannot hold inputs (WeCom, DingTalk without templates): a row in Postgres
// says which field the user's next text answers. "取消" cancels, "跳过"
// leaves an optional field empty, and when the last field is answered the
// form's submit action runs as if the form had been submitted on a card.

// Words the dialog engine understands.
const (
	DialogCancel = "取消"
	DialogSkip   = "跳过"
)

type dialogState struct {
	form    cards.Form
	params  map[string]string
	answers cards.Values
}

// startDialog opens a dialog for the form of reply's card in the event's
// chat and returns the first question.
func (b *Bot) startDialog(ctx context.Context, r *Request, reply *Reply) (*Reply, error) {
	f := reply.Card.Form()
	if f == nil || len(f.Fields) == 0 {
		return reply, nil
	}
	st := dialogState{form: *f, params: f.Submit.Params, answers: cards.Values{}}
	for _, ff := range f.Fields {
		if ff.Default != "" {
			st.answers[ff.Name] = strings.Split(ff.Default, ",")
		}
	}
	d := &store.Dialog{
		Platform:  string(r.Event.Platform),
		ChatID:    dialogChat(r.Event),
		UserID:    r.Event.Sender.ID,
		ExpiresAt: r.Now.Add(b.dialogTTL),
	}
	if err := st.encode(d); err != nil {
		return nil, err
	}
	if err := r.Store.SaveDialog(ctx, d); err != nil {
		return nil, err
	}
	intro := fmt.Sprintf("【%s】请依次回复以下 %d 项，回复“%s”可随时退出。\n\n%s", reply.Card.Title, len(f.Fields), DialogCancel, question(&f.Fields[0], 1, len(f.Fields)))
	out := &Reply{Text: intro, Toast: reply.Toast}
	if out.Toast == "" && r.Event.Kind == KindCardAction {
		out.Toast = "请在对话中逐项回复"
	}
	return out, nil
}

// dialogChat is the chat a dialog lives in: the event's chat, or the
// sender's 1:1 chat when the platform gives none.
func dialogChat(ev *Event) string {
	if ev.Chat.ID != "" {
		return ev.Chat.ID
	}
	return "direct:" + ev.Sender.ID
}

// continueDialog answers the open dialog with the message, if there is one.
func (b *Bot) continueDialog(ctx context.Context, r *Request) (*Reply, bool, error) {
	ev := r.Event
	d, err := r.Store.OpenDialog(ctx, string(ev.Platform), dialogChat(ev), ev.Sender.ID, r.Now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	text := strings.TrimSpace(ev.Text)
	if text == DialogCancel {
		return &Reply{Text: "已取消填写，未作任何修改。"}, true, r.Store.DeleteDialog(ctx, d.ID)
	}
	var st dialogState
	if err := st.decode(d); err != nil {
		return nil, true, err
	}
	if d.Step >= len(st.form.Fields) {
		return nil, true, r.Store.DeleteDialog(ctx, d.ID)
	}
	ff := &st.form.Fields[d.Step]
	if text == "" && len(ev.Files) > 0 {
		// Files during a dialog are not its answer: handlers file them
		// under what the form is about, and the question stands.
		r.Dialog = &OpenDialog{Action: st.form.Submit.Action, Params: maps.Clone(st.params),
			Question: question(ff, d.Step+1, len(st.form.Fields)), d: d, state: st}
		if r.Dialog.Params == nil {
			r.Dialog.Params = map[string]string{}
		}
		return nil, false, nil
	}
	vals, msg := parseAnswer(ff, text)
	if msg != "" {
		return &Reply{Text: msg + "\n\n" + question(ff, d.Step+1, len(st.form.Fields))}, true, nil
	}
	st.answers[ff.Name] = vals
	d.Step++
	if d.Step < len(st.form.Fields) {
		d.ExpiresAt = r.Now.Add(b.dialogTTL)
		if err := st.encode(d); err != nil {
			return nil, true, err
		}
		if err := r.Store.SaveDialog(ctx, d); err != nil {
			return nil, true, err
		}
		return &Reply{Text: question(&st.form.Fields[d.Step], d.Step+1, len(st.form.Fields))}, true, nil
	}
	if err := r.Store.DeleteDialog(ctx, d.ID); err != nil {
		return nil, true, err
	}
	if errs := st.form.Check(st.answers); len(errs) > 0 {
		return &Reply{Text: "填写有误，未作修改：" + errs[0].Message + "。请重新打开卡片填写。"}, true, nil
	}
	submit := *ev
	submit.Kind = KindCardAction
	submit.Action = &Action{Name: st.form.Submit.Action, Params: st.params, Form: st.answers}
	h, _, _ := b.router.route(&submit, false) // a card action: no command words
	if h == nil {
		return &Reply{Text: "该表单已失效。"}, true, nil
	}
	saved := r.Event
	r.Event = &submit
	reply, err := h(ctx, r)
	r.Event = saved
	if err != nil {
		return nil, true, err
	}
	if reply == nil {
		return &Reply{Text: "已提交。"}, true, nil
	}
	out := &Reply{Text: reply.Text, Card: reply.Card}
	if out.Text == "" && reply.Toast != "" {
		out.Text = reply.Toast
	}
	return out, true, nil
}

// question is how a field is asked in a dialog.
func question(ff *cards.FormField, n, total int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "（%d/%d）请回复“%s”", n, total, ff.Label)
	if !ff.Required {
		fmt.Fprintf(&sb, "（选填，回复“%s”留空）", DialogSkip)
	}
	switch ff.Kind {
	case cards.KindSelect, cards.KindPerson, cards.KindMultiSelect:
		if ff.Kind == cards.KindMultiSelect {
			sb.WriteString("，可多选，序号之间用空格或逗号分隔")
		} else {
			sb.WriteString("，回复序号")
		}
		sb.WriteString("：")
		for i, o := range ff.Options {
			fmt.Fprintf(&sb, "\n%d. %s", i+1, o.Label)
		}
	case cards.KindDate:
		sb.WriteString("，格式如 2023-06-30")
	default:
		if ff.Placeholder != "" {
			sb.WriteString("（" + ff.Placeholder + "）")
		}
	}
	return sb.String()
}

// parseAnswer reads one answer; a non-empty message explains what is wrong.
func parseAnswer(ff *cards.FormField, text string) ([]string, string) {
	if text == DialogSkip || text == "" {
		if ff.Required {
			return nil, fmt.Sprintf("“%s”为必填项。", ff.Label)
		}
		return nil, ""
	}
	switch ff.Kind {
	case cards.KindSelect, cards.KindPerson, cards.KindMultiSelect:
		parts := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })
		if ff.Kind != cards.KindMultiSelect && len(parts) > 1 {
			return nil, "只能选一项。"
		}
		var vals []string
		for _, p := range parts {
			v, ok := pickOption(ff.Options, p)
			if !ok {
				return nil, fmt.Sprintf("“%s”不是有效的选项。", p)
			}
			vals = append(vals, v)
		}
		return vals, ""
	case cards.KindDate:
		t, err := cards.ParseDate(text)
		if err != nil {
			return nil, "日期格式不对。"
		}
		return []string{t.Format(cards.DateLayout)}, ""
	default:
		if ff.MaxLen > 0 && cards.RuneLen(text) > ff.MaxLen {
			return nil, fmt.Sprintf("不能超过 %d 字。", ff.MaxLen)
		}
		return []string{text}, ""
	}
}

func pickOption(opts []cards.Option, p string) (string, bool) {
	if n, err := strconv.Atoi(p); err == nil && n >= 1 && n <= len(opts) {
		return opts[n-1].Value, true
	}
	for _, o := range opts {
		if o.Label == p || o.Value == p {
			return o.Value, true
		}
	}
	return "", false
}

func (st *dialogState) encode(d *store.Dialog) error {
	var err error
	if d.Form, err = json.Marshal(st.form); err != nil {
		return fmt.Errorf("bot: encode dialog: %w", err)
	}
	if d.Params, err = json.Marshal(st.params); err != nil {
		return fmt.Errorf("bot: encode dialog: %w", err)
	}
	if d.Answers, err = json.Marshal(st.answers); err != nil {
		return fmt.Errorf("bot: encode dialog: %w", err)
	}
	return nil
}

func (st *dialogState) decode(d *store.Dialog) error {
	if err := json.Unmarshal(d.Form, &st.form); err != nil {
		return fmt.Errorf("bot: decode dialog: %w", err)
	}
	if err := json.Unmarshal(d.Params, &st.params); err != nil {
		return fmt.Errorf("bot: decode dialog: %w", err)
	}
	st.answers = cards.Values{}
	if err := json.Unmarshal(d.Answers, &st.answers); err != nil {
		return fmt.Errorf("bot: decode dialog: %w", err)
	}
	return nil
}
