package dingtalk

import (
	"encoding/json"
	"net/http"
	"testing"

	"zhenggai/bot"
	"zhenggai/cards"
)

// formCard is a card with a form and a second section, as a handler sends
// one asking for a progress update.
func formCard() *cards.Card {
	return &cards.Card{Title: "更新进展 · LB-2026-001", Blocks: []cards.Block{
		cards.MD("问题：随意拦车"), cards.DividerBlock(), cards.MD("上次进展：已约谈"),
		cards.ButtonsBlock(cards.Button{Text: "返回台账", Action: "ledger.show"}),
		cards.FormBlock(&cards.Form{Name: "progress", Fields: []cards.FormField{{Name: "text", Label: "整改进展", Kind: cards.KindText, Required: true}},
			Submit: cards.Button{Text: "提交", Action: "item.progress.submit", Params: map[string]string{"item": "11", "v": "3"}}}),
	}}
}

// submitBody is the card callback of a form submit on outTrackID.
func submitBody(t *testing.T, outTrackID, user string, view map[string]string, form map[string]any) []byte {
	t.Helper()
	content, _ := json.Marshal(map[string]any{"cardPrivateData": map[string]any{"actionIds": []string{"form"},
		"params": map[string]any{"action": view["form_action"], "params": view["form_params"], "rev": view["rev"], "form": form}}})
	body, _ := json.Marshal(map[string]any{"type": "actionCallback", "outTrackId": outTrackID, "userId": user, "userIdType": 1,
		"spaceType": "IM_ROBOT", "spaceId": user, "content": string(content)})
	return body
}

// TestSubmittedFormShowsItsResultAndNoInputs sends a form card, submits it
// and checks the card as the fake DingTalk holds it (merging updates by
// key, as the platform does): the clicker's view and everyone's copy show
// the result, the form is gone and disabled, and the old sections and
// buttons are emptied, not kept.
func TestSubmittedFormShowsItsResultAndNoInputs(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, func(o *Options) { o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema" })
	ref, err := b.adapter.Send(ctx, b.adapter.DirectTarget("0420li"), &bot.Message{Card: formCard()})
	if err != nil {
		t.Fatal(err)
	}
	before := b.fake.card(ref.MessageID)
	if before == nil || before.Template != "tpl-form.schema" {
		t.Fatalf("card %+v", before)
	}
	if v := before.view("0420li"); v["form_action"] != "item.progress.submit" || v["form_status"] != "normal" || v["content_2"] == "" && v["content_1"] == "" {
		t.Fatalf("the sent card has no open form: %v", v)
	}
	b.rec.reply = func(ev *bot.Event) (*bot.Reply, error) {
		return &bot.Reply{Toast: "进展已更新", ToastKind: "success", Card: &cards.Card{Title: "LB-2026-001 · 整改中", Tone: cards.ToneSuccess,
			Blocks: []cards.Block{cards.MD("**最新进展**：" + ev.Action.Form.Get("text"))}}}, nil
	}
	w := b.postCard(t, submitBody(t, ref.MessageID, "0420li", before.view("0420li"), map[string]any{"text": "已完成培训"}), testTS, cardSign("card-secret", testTS))
	if w.Code != http.StatusOK {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	var answer map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
		t.Fatal(err)
	}
	b.fake.applyUpdate(ref.MessageID, "0420li", answer)
	b.adapter.Wait()
	after := b.fake.card(ref.MessageID)
	for who, v := range map[string]map[string]string{"the clicker": after.view("0420li"), "everyone": after.view("0420liu")} {
		if v["title"] != "LB-2026-001 · 整改中" || v["content_1"] != "**最新进展**：已完成培训" {
			t.Errorf("%s sees %v", who, v)
		}
		if v["form_action"] != "" || v["form_status"] != "disabled" || v["form"] != `{"fields":[]}` || v["form_btn_text"] != "" {
			t.Errorf("%s still sees a form: %v", who, v)
		}
		if v["btn_1_text"] != "" || v["content_2"] != "" {
			t.Errorf("%s sees the old card's button or section: %v", who, v)
		}
	}
	if got := after.toastShown("0420li"); got != "进展已更新" {
		t.Errorf("the clicker's result line %q", got)
	}
	if got := after.toastShown("0420liu"); got != "" {
		t.Errorf("someone else sees the clicker's result line %q", got)
	}
	// The card is redrawn later (another state change): the old result
	// line no longer shows under the new content.
	if err := b.adapter.UpdateCard(ctx, ref, &cards.Card{Title: "LB-2026-001 · 已销号", Tone: cards.ToneNeutral, Blocks: []cards.Block{cards.MD("已销号")}}); err != nil {
		t.Fatal(err)
	}
	if got := b.fake.card(ref.MessageID).toastShown("0420li"); got != "" {
		t.Errorf("a stale result line under the redrawn card: %q", got)
	}
}

// TestUpdateCardSendsEveryBoundKey redraws a read-only card with fewer
// buttons through UpdateCard: the keys the new card lacks are sent empty,
// and a read-only template card is never sent form keys it does not bind.
func TestUpdateCardSendsEveryBoundKey(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := newTestAdapter(t, f, func(o *Options) { o.CardTemplateID = "tpl-card.schema" })
	old := &cards.Card{Title: "销号审批 · LB-2026-004", Blocks: []cards.Block{cards.MD("待审批"),
		cards.ButtonsBlock(cards.Button{Text: "同意", Action: "approval.approve"}, cards.Button{Text: "驳回", Action: "approval.reject.form"})}}
	ref, err := a.Send(ctx, a.DirectTarget("0420liu"), &bot.Message{Card: old})
	if err != nil {
		t.Fatal(err)
	}
	done := &cards.Card{Title: "销号审批 · LB-2026-004", Tone: cards.ToneSuccess, Blocks: []cards.Block{cards.MD("刘宝山 已同意")}}
	if err := a.UpdateCard(ctx, ref, done); err != nil {
		t.Fatal(err)
	}
	v := f.card(ref.MessageID).view("0420liu")
	if v["btn_1_text"] != "" || v["btn_2_text"] != "" || v["btn_1_action"] != "" || v["content_1"] != "刘宝山 已同意" || v["tone"] != "green" {
		t.Errorf("after the update %v", v)
	}
	put := f.callsTo("/v1.0/card/instances")
	pm := paramMap(put[len(put)-1].Body["cardData"])
	if _, ok := pm["form_status"]; ok {
		t.Errorf("the read-only template was sent form keys: %v", pm)
	}
	if _, ok := pm["btn_6_text"]; !ok {
		t.Errorf("an unused button slot was left out: %v", pm)
	}
}

// clickBody is the card callback of a button click on outTrackID in the
// group chat.
func clickBody(outTrackID, user, chat string, view map[string]string) []byte {
	content, _ := json.Marshal(map[string]any{"cardPrivateData": map[string]any{"actionIds": []string{"btn_1"},
		"params": map[string]any{"action": view["btn_1_action"], "params": view["btn_1_params"], "rev": view["rev"]}}})
	body, _ := json.Marshal(map[string]any{"type": "actionCallback", "outTrackId": outTrackID, "userId": user, "userIdType": 1,
		"spaceType": "IM_GROUP", "spaceId": chat, "content": string(content)})
	return body
}

// TestGroupClickChangesTheClickersViewOnly: in a group, a member opening
// an item from the group's ledger sees the item; the others keep the
// ledger. A form asked from a group card goes to the clicker's 1:1 chat.
func TestGroupClickChangesTheClickersViewOnly(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, func(o *Options) { o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema" })
	ledger := &cards.Card{Title: "专项整治工作台账 · 灵宝市交通运输局", Blocks: []cards.Block{cards.MD("在办 1 项"),
		cards.ButtonsBlock(cards.Button{Text: "办理 LB-2026-001", Action: "item.show", Params: map[string]string{"item": "11"}})}}
	group := bot.Target{Platform: bot.DingTalk, ChatID: "cidGroupLingbao=="}
	ref, err := b.adapter.Send(ctx, group, &bot.Message{Card: ledger})
	if err != nil {
		t.Fatal(err)
	}
	b.rec.reply = func(ev *bot.Event) (*bot.Reply, error) {
		return &bot.Reply{Card: &cards.Card{Title: "LB-2026-001 · 整改中", Blocks: []cards.Block{cards.MD("随意拦车")}}}, nil
	}
	view := b.fake.card(ref.MessageID).view("0420li")
	w := b.postCard(t, clickBody(ref.MessageID, "0420li", group.ChatID, view), testTS, cardSign("card-secret", testTS))
	var answer map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil || w.Code != http.StatusOK {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	b.fake.applyUpdate(ref.MessageID, "0420li", answer)
	b.adapter.Wait()
	c := b.fake.card(ref.MessageID)
	if got := c.view("0420li")["title"]; got != "LB-2026-001 · 整改中" {
		t.Errorf("the clicker sees %q", got)
	}
	if got := c.view("0420liu")["title"]; got != ledger.Title {
		t.Errorf("another member sees %q, not the group's ledger", got)
	}
	if puts := b.fake.callsTo("/v1.0/card/instances"); len(puts) != 0 {
		t.Errorf("everyone's copy was updated: %+v", puts)
	}

	// A button whose answer is a form: the form goes to the clicker 1:1.
	b.rec.reply = func(ev *bot.Event) (*bot.Reply, error) { return bot.CardReply(formCard()), nil }
	w = b.postCard(t, clickBody(ref.MessageID, "0420liu", group.ChatID, c.view("0420liu")), testTS, cardSign("card-secret", testTS))
	answer = nil
	_ = json.Unmarshal(w.Body.Bytes(), &answer)
	b.fake.applyUpdate(ref.MessageID, "0420liu", answer)
	b.adapter.Wait()
	created := b.fake.callsTo("/v1.0/card/instances/createAndDeliver")
	if len(created) != 2 || created[1].Body["openSpaceId"] != "dtv1.card//IM_ROBOT.0420liu" || created[1].Body["cardTemplateId"] != "tpl-form.schema" {
		t.Fatalf("the form went %+v", created)
	}
	if got := b.fake.card(ref.MessageID).toastShown("0420liu"); got != "已在与整改助手的单聊中发送，请在单聊中继续" {
		t.Errorf("the clicker's result line %q", got)
	}
}
