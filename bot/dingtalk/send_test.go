package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/ratelimit"
	"zhenggai/cards"
)

var ctx = context.Background()

func msgParam(t *testing.T, c apiCall) map[string]string {
	t.Helper()
	var p map[string]string
	if err := json.Unmarshal([]byte(c.Body["msgParam"].(string)), &p); err != nil {
		t.Fatalf("msgParam %v: %v", c.Body["msgParam"], err)
	}
	return p
}

func TestSendTextToGroupAndUser(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := newTestAdapter(t, f, nil)
	ref, err := a.Send(ctx, bot.Target{Platform: bot.DingTalk, ChatID: "cidGroupLingbao=="}, &bot.Message{Text: "本月月报请于23日前报送"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref.MessageID, "pqk:") || ref.ChatID != "cidGroupLingbao==" {
		t.Errorf("ref %+v", ref)
	}
	if _, err := a.Send(ctx, a.DirectTarget("0420li"), &bot.Message{Text: "您好"}); err != nil {
		t.Fatal(err)
	}
	g := f.callsTo("/v1.0/robot/groupMessages/send")
	if len(g) != 1 || g[0].Body["openConversationId"] != "cidGroupLingbao==" || g[0].Body["msgKey"] != "sampleText" ||
		g[0].Body["robotCode"] != "dingclient" || msgParam(t, g[0])["content"] != "本月月报请于23日前报送" {
		t.Errorf("group send %+v", g)
	}
	o := f.callsTo("/v1.0/robot/oToMessages/batchSend")
	if len(o) != 1 || o[0].Body["userIds"].([]any)[0] != "0420li" {
		t.Errorf("1:1 send %+v", o)
	}
	// The token was fetched once and sent on every call.
	f.mu.Lock()
	tokens := f.tokens
	f.mu.Unlock()
	if tokens != 1 || g[0].Token != "tok-1" || o[0].Token != "tok-1" {
		t.Errorf("%d token fetches; tokens used %s %s", tokens, g[0].Token, o[0].Token)
	}
}

func TestSendThrottledAndInvalidRecipients(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.set(func(f *fakeDingTalk) { f.throttled, f.invalid = []string{"0420busy"}, []string{"0420gone"} })
	a := newTestAdapter(t, f, nil)
	_, err := a.Send(ctx, a.DirectTarget("0420busy"), &bot.Message{Text: "提醒"})
	var rl *bot.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 || errors.Is(err, bot.ErrPermanent) {
		t.Errorf("throttled recipient: %v, want a retry later", err)
	}
	_, err = a.Send(ctx, a.DirectTarget("0420gone"), &bot.Message{Text: "提醒"})
	if !errors.Is(err, bot.ErrPermanent) || !strings.Contains(err.Error(), "invalidStaffIdList") {
		t.Errorf("invalid recipient: %v, want a permanent failure with the reason", err)
	}
	// A robot that is not in the group is a permanent failure too.
	_, err = a.Send(ctx, bot.Target{Platform: bot.DingTalk, ChatID: "cidGone=="}, &bot.Message{Text: "x"})
	if !errors.Is(err, bot.ErrPermanent) || !strings.Contains(err.Error(), "机器人不在群内") {
		t.Errorf("robot not in group: %v", err)
	}
}

func TestTokenRefreshedOnExpiryAndEarly(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	clock := bot.NewFixedClock(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	a := newTestAdapter(t, f, func(o *Options) { o.Clock = clock })
	to := bot.Target{Platform: bot.DingTalk, ChatID: "cidGroupLingbao=="}
	if _, err := a.Send(ctx, to, &bot.Message{Text: "1"}); err != nil {
		t.Fatal(err)
	}
	// The API refuses the token once: a new one is fetched and the call
	// retried.
	f.set(func(f *fakeDingTalk) { f.expireNext = true })
	if _, err := a.Send(ctx, to, &bot.Message{Text: "2"}); err != nil {
		t.Fatal(err)
	}
	calls := f.callsTo("/v1.0/robot/groupMessages/send")
	if len(calls) != 2 || calls[1].Token != "tok-2" {
		t.Fatalf("calls %+v", calls)
	}
	// Near its expiry (2 h) the token is replaced before it fails.
	clock.Advance(2*time.Hour - 4*time.Minute)
	if _, err := a.Send(ctx, to, &bot.Message{Text: "3"}); err != nil {
		t.Fatal(err)
	}
	if c := f.callsTo("/v1.0/robot/groupMessages/send"); c[2].Token != "tok-3" {
		t.Errorf("token after 1h56m: %s", c[2].Token)
	}
}

func TestSendCardWithTemplates(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := newTestAdapter(t, f, func(o *Options) { o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema" })
	c := &cards.Card{Title: "月报提醒", Tone: cards.ToneWarning, Blocks: []cards.Block{
		cards.MD("灵宝市交通运输局 2026-11 月报未报送"),
		cards.ButtonsBlock(cards.Button{Text: "填报月报", Action: "report.open", Params: map[string]string{"unit": "lingbao", "period": "2026-11"}, Style: cards.StylePrimary}),
	}}
	ref, err := a.Send(ctx, bot.Target{Platform: bot.DingTalk, ChatID: "cidGroupLingbao=="}, &bot.Message{Text: "@李联络 请处理", Card: c})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref.MessageID, "zgc-") {
		t.Errorf("ref %+v", ref)
	}
	calls := f.callsTo("/v1.0/card/instances/createAndDeliver")
	if len(calls) != 1 {
		t.Fatalf("%d card calls", len(calls))
	}
	b := calls[0].Body
	if b["cardTemplateId"] != "tpl-card.schema" || b["outTrackId"] != ref.MessageID || b["callbackType"] != "STREAM" ||
		b["openSpaceId"] != "dtv1.card//IM_GROUP.cidGroupLingbao==" {
		t.Errorf("body %v", b)
	}
	if b["imGroupOpenDeliverModel"].(map[string]any)["robotCode"] != "dingclient" {
		t.Errorf("deliver model %v", b["imGroupOpenDeliverModel"])
	}
	pm := b["cardData"].(map[string]any)["cardParamMap"].(map[string]any)
	if pm["content_1"] != "@李联络 请处理\n\n灵宝市交通运输局 2026-11 月报未报送" || pm["btn_1_action"] != "report.open" ||
		pm["btn_1_params"] != `{"period":"2026-11","unit":"lingbao"}` || pm["tone"] != "orange" {
		t.Errorf("params %v", pm)
	}
	if n := len(f.callsTo("/v1.0/robot/groupMessages/send")); n != 0 {
		t.Errorf("text and card must go as one message, %d extra sends", n)
	}

	// A form card to a user uses the form template and the robot space.
	form := &cards.Card{Title: "更新进展", Blocks: []cards.Block{cards.FormBlock(&cards.Form{Name: "progress",
		Fields: []cards.FormField{{Name: "progress", Label: "整改进展", Kind: cards.KindLongText, Required: true}},
		Submit: cards.Button{Text: "提交", Action: "ledger.progress", Params: map[string]string{"item": "42"}}})}}
	ref, err = a.Send(ctx, a.DirectTarget("0420li"), &bot.Message{Card: form})
	if err != nil {
		t.Fatal(err)
	}
	b = f.callsTo("/v1.0/card/instances/createAndDeliver")[1].Body
	if !strings.HasPrefix(ref.MessageID, "zgf-") || b["cardTemplateId"] != "tpl-form.schema" ||
		b["openSpaceId"] != "dtv1.card//IM_ROBOT.0420li" || b["imRobotOpenDeliverModel"].(map[string]any)["spaceType"] != "IM_ROBOT" {
		t.Errorf("form card %v", b)
	}

	// UpdateCard redraws it for everyone; a robot message cannot be.
	c.Title = "月报已报送"
	if err := a.UpdateCard(ctx, bot.MessageRef{Platform: bot.DingTalk, MessageID: ref.MessageID}, c); err != nil {
		t.Fatal(err)
	}
	if puts := f.callsTo("/v1.0/card/instances"); len(puts) != 1 || puts[0].Body["outTrackId"] != ref.MessageID {
		t.Errorf("update %+v", puts)
	}
	if err := a.UpdateCard(ctx, bot.MessageRef{MessageID: "pqk:abc"}, c); !errors.Is(err, bot.ErrNotSupported) || !errors.Is(err, bot.ErrPermanent) {
		t.Errorf("update of a robot message: %v", err)
	}
}

func TestSendCardInHTTPModeRegistersCallback(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := newTestAdapter(t, f, func(o *Options) {
		o.Mode, o.CardTemplateID, o.PublicBaseURL, o.CardCallbackSecret = ModeHTTP, "tpl-card.schema", "https://zg.example.gov.cn/", "card-secret"
	})
	c := &cards.Card{Title: "提醒", Blocks: []cards.Block{cards.MD("x")}}
	for range 2 {
		if _, err := a.Send(ctx, a.DirectTarget("0420li"), &bot.Message{Card: c}); err != nil {
			t.Fatal(err)
		}
	}
	reg := f.callsTo("/v1.0/card/callbacks/register")
	if len(reg) != 1 || reg[0].Body["callbackUrl"] != "https://zg.example.gov.cn/callback/dingtalk/card" ||
		reg[0].Body["apiSecret"] != "card-secret" || reg[0].Body["callbackRouteKey"] != callbackRouteKey {
		t.Errorf("registrations %+v", reg)
	}
	b := f.callsTo("/v1.0/card/instances/createAndDeliver")[0].Body
	if b["callbackType"] != "HTTP" || b["callbackRouteKey"] != callbackRouteKey {
		t.Errorf("card %v", b)
	}
}

func TestSendCardWithoutTemplatesFallsBackToMarkdown(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := newTestAdapter(t, f, nil)
	if a.Forms(bot.Target{}) {
		t.Error("Forms without a form template")
	}
	c := &cards.Card{Title: "台账条目 #42", Blocks: []cards.Block{
		cards.FieldsBlock(cards.Field{Label: "状态", Value: "整改中"}),
		cards.ButtonsBlock(cards.Button{Text: "更新进展", Action: "ledger.progress"}, cards.Button{Text: "查看文件", URL: "https://example.gov.cn/f"}),
	}}
	// A group with nobody mentioned gets the notice only: a dtmd link there
	// would send a message the robot never hears.
	if _, err := a.Send(ctx, bot.Target{Platform: bot.DingTalk, ChatID: "cidGroupLingbao=="}, &bot.Message{Card: c}); err != nil {
		t.Fatal(err)
	}
	g := f.callsTo("/v1.0/robot/groupMessages/send")
	if len(g) != 1 || g[0].Body["msgKey"] != "sampleActionCard" {
		t.Fatalf("sends %+v", g)
	}
	p := msgParam(t, g[0])
	for _, want := range []string{"台账条目 #42", "**状态**：整改中", "**可发送**：“更新进展”", "在群内发送请先 @整改助手。"} {
		if !strings.Contains(p["text"], want) {
			t.Errorf("markdown %q lacks %q", p["text"], want)
		}
	}
	if strings.Contains(p["text"], "dtmd://") || p["singleTitle"] != "查看文件" || p["singleURL"] != "https://example.gov.cn/f" {
		t.Errorf("group notice %v", p)
	}
	if o := f.callsTo("/v1.0/robot/oToMessages/batchSend"); len(o) != 0 {
		t.Errorf("1:1 sends without mentions: %+v", o)
	}

	// With mentions, the notice says where the actions went, and each
	// mentioned user gets the card 1:1, once, its actions as dtmd links.
	if _, err := a.Send(ctx, bot.Target{Platform: bot.DingTalk, ChatID: "cidGroupLingbao=="},
		&bot.Message{Card: c, Mentions: []string{"0420li", "0420liu", "0420li"}}); err != nil {
		t.Fatal(err)
	}
	g = f.callsTo("/v1.0/robot/groupMessages/send")
	if len(g) != 2 || !strings.Contains(msgParam(t, g[1])["text"], "相关人员已在与整改助手的单聊中收到可点击的操作") {
		t.Fatalf("group notice with mentions %+v", g)
	}
	o := f.callsTo("/v1.0/robot/oToMessages/batchSend")
	if len(o) != 2 {
		t.Fatalf("1:1 sends %+v", o)
	}
	for i, u := range []string{"0420li", "0420liu"} {
		if ids := o[i].Body["userIds"].([]any); len(ids) != 1 || ids[0] != u || o[i].Body["msgKey"] != "sampleMarkdown" {
			t.Errorf("1:1 send %d: %+v", i, o[i].Body)
		}
		text := msgParam(t, o[i])["text"]
		if !strings.Contains(text, "[更新进展](dtmd://dingtalkclient/sendMessage?content=%E6%9B%B4%E6%96%B0%E8%BF%9B%E5%B1%95)") ||
			!strings.Contains(text, "[查看文件](https://example.gov.cn/f)") {
			t.Errorf("1:1 text %q", text)
		}
	}

	// A mentioned userid DingTalk does not know is left out; the others
	// get theirs and the delivery succeeds.
	f.set(func(f *fakeDingTalk) { f.invalid = []string{"0420gone"} })
	if _, err := a.Send(ctx, bot.Target{Platform: bot.DingTalk, ChatID: "cidGroupLingbao=="},
		&bot.Message{Card: c, Mentions: []string{"0420gone", "0420li"}}); err != nil {
		t.Fatalf("a group send with an unknown mention: %v", err)
	}
	if o := f.callsTo("/v1.0/robot/oToMessages/batchSend"); len(o) != 4 || o[3].Body["userIds"].([]any)[0] != "0420li" {
		t.Fatalf("1:1 sends %+v", o)
	}
	if _, err := a.Send(ctx, a.DirectTarget("0420li"), &bot.Message{Card: &cards.Card{Title: "摘要", Blocks: []cards.Block{cards.MD("无")}}}); err != nil {
		t.Fatal(err)
	}
	if o := f.callsTo("/v1.0/robot/oToMessages/batchSend"); len(o) != 5 || o[4].Body["msgKey"] != "sampleMarkdown" {
		t.Errorf("plain card %+v", o)
	}
	if len(f.callsTo("/v1.0/card/instances/createAndDeliver")) != 0 {
		t.Error("no template, yet a card was created")
	}
}

func TestSendFile(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := newTestAdapter(t, f, nil)
	file := &bot.File{Name: "台账-灵宝.xlsx", MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Content: []byte("PK\x03\x04")}
	if _, err := a.Send(ctx, a.DirectTarget("0420lu"), &bot.Message{File: file}); err != nil {
		t.Fatal(err)
	}
	up := f.callsTo("/media/upload")
	if len(up) != 1 || up[0].Token != "tok-1" || up[0].Body["name"] != "台账-灵宝.xlsx" || string(up[0].Raw) != "PK\x03\x04" {
		t.Fatalf("upload %+v", up)
	}
	o := f.callsTo("/v1.0/robot/oToMessages/batchSend")
	if p := msgParam(t, o[0]); o[0].Body["msgKey"] != "sampleFile" || p["mediaId"] != "@lAz-media" || p["fileType"] != "xlsx" {
		t.Errorf("file message %v %v", o[0].Body, p)
	}
}

// TestSendLimits: the adapter declares 20 messages a minute to one chat and
// to one user, which the delivery worker applies; another recipient is not
// held up.
func TestSendLimits(t *testing.T) {
	t.Parallel()
	a := newTestAdapter(t, newFake(t), nil)
	s := ratelimit.New(3 * time.Second)
	s.Declare("dingtalk", a.SendLimits()...)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, to := range []ratelimit.Send{{Platform: "dingtalk", Chat: "cidGroupLingbao=="}, {Platform: "dingtalk", User: "0420li"}} {
		for i := range 20 {
			if w := s.Reserve(to, now); w != 0 {
				t.Fatalf("%+v: send %d waits %v", to, i, w)
			}
		}
		if w := s.Reserve(to, now); w != 3*time.Second {
			t.Errorf("%+v: 21st send in a minute waits %v, want 3s", to, w)
		}
	}
	if w := s.Reserve(ratelimit.Send{Platform: "dingtalk", Chat: "cidOther=="}, now); w != 0 {
		t.Errorf("another chat waits %v", w)
	}
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := newTestAdapter(t, f, func(o *Options) { o.CardTemplateID = "tpl-card.schema" })
	checks := a.Doctor(ctx)
	byName := map[string]bot.Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	if !byName["credentials"].OK || !byName["stream"].OK || !byName["card template"].OK {
		t.Errorf("checks %+v", checks)
	}
	if c := byName["form template"]; !c.OK || !strings.Contains(c.Info, "DINGTALK_FORM_TEMPLATE_ID not set") {
		t.Errorf("form template check %+v", c)
	}
	if c := byName["configuration"]; !strings.Contains(c.Info, "Stream 模式，仅通用卡片模板") {
		t.Errorf("configuration %+v", c)
	}
	for _, tc := range []struct {
		mod  func(o *Options)
		want string
	}{
		{nil, "Stream 模式，无卡片模板：单聊中以链接操作"},
		{func(o *Options) { o.Mode, o.PublicBaseURL = ModeHTTP, "https://zg.example.gov.cn" }, "HTTP 模式，无卡片模板：单聊中以链接操作"},
		{func(o *Options) { o.CardTemplateID, o.FormTemplateID = "tpl-card.schema", "tpl-form.schema" }, "两个卡片模板均已配置"},
	} {
		if got := newTestAdapter(t, f, tc.mod).configuration(); !strings.Contains(got, tc.want) {
			t.Errorf("configuration %q, want %q", got, tc.want)
		}
	}
	f.set(func(f *fakeDingTalk) { f.badCreds = true })
	bad := newTestAdapter(t, f, func(o *Options) { o.ClientSecret = "wrong" })
	for _, c := range bad.Doctor(ctx) {
		if (c.Name == "credentials" || c.Name == "stream") && c.OK {
			t.Errorf("%s passes with wrong credentials: %+v", c.Name, c)
		}
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{ClientID: "a", ClientSecret: "b"},
		{ClientID: "a", ClientSecret: "b", RobotCode: "a", Mode: "webhook"},
		{ClientID: "a", ClientSecret: "b", RobotCode: "a", Mode: ModeHTTP, CardTemplateID: "tpl.schema"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}
