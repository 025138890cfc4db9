package wecom

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestKFSyncAcrossRestart pulls 微信客服 messages through the callback and
// sync_msg, restarts the adapter on the same database, and checks that every
// message is dispatched exactly once, also after a crash that lost the
// cursor's last move.
func TestKFSyncAcrossRestart(t *testing.T) {
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	st := store.New(pool)
	applyDemo(ctx, t, st)
	if _, err := st.DB().Exec(ctx, `INSERT INTO accounts (platform, external_id, contact_id) SELECT 'wecom_kf', 'wmUser1', min(id) FROM contacts`); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, st, false)
	for i := range 3 {
		e.fake.addKF(fmt.Sprintf("kf-%d", i), "wmUser1", fmt.Sprintf("你好 %d", i), testNow.Unix())
	}
	// The callback only kicks the sync loop; run it.
	w := e.post(fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType>"+
		"<Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token>"+
		"<OpenKfId><![CDATA[wkKF1]]></OpenKfId></xml>", vecCorpID, testNow.Unix()), false)
	if w.Code != 200 {
		t.Fatalf("kf callback: %d", w.Code)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.a.KF().Run(runCtx, e.b) }()
	waitFor(t, func() bool { return len(e.rec.got()) == 3 && cursorOf(ctx, st, "wkKF1") == "3" })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	syncs := e.fake.callsTo("/cgi-bin/kf/sync_msg")
	if len(syncs) != 2 || syncs[0].Body["token"] != "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR" || syncs[0].Body["open_kfid"] != "wkKF1" || syncs[1].Body["cursor"] != "2" {
		t.Fatalf("sync calls %+v", syncs)
	}
	ev := e.rec.got()[0]
	if ev.Platform != bot.WeComKF || ev.Sender.ID != "wmUser1" || ev.Text != "你好 0" || ev.ID != "kf-0" {
		t.Fatalf("%+v", ev)
	}

	// Restart: a new adapter on the same database continues from the stored
	// cursor.
	e.fake.addKF("kf-3", "wmUser1", "第四条", testNow.Unix()+60)
	a2 := e.newAdapter()
	n, err := a2.KF().Sync(ctx, e.b, "wkKF1", "")
	if err != nil || n != 1 {
		t.Fatalf("after restart: read %d, %v", n, err)
	}
	if got := e.rec.got(); len(got) != 4 || got[3].Text != "第四条" {
		t.Fatalf("%d events", len(got))
	}
	if last := e.fake.callsTo("/cgi-bin/kf/sync_msg"); last[len(last)-1].Body["cursor"] != "3" {
		t.Fatalf("restart read from cursor %v", last[len(last)-1].Body["cursor"])
	}

	// A crash after dispatching but before saving the cursor: the page is
	// read again and nothing is applied twice.
	if err := st.SetKFCursor(ctx, "wkKF1", "1", testNow); err != nil {
		t.Fatal(err)
	}
	if _, err := a2.KF().Sync(ctx, e.b, "wkKF1", ""); err != nil {
		t.Fatal(err)
	}
	if got := e.rec.got(); len(got) != 4 {
		t.Fatalf("re-read messages applied again: %d events", len(got))
	}
	// Run catches up known accounts on start.
	e.fake.addKF("kf-4", "wmUser1", "第五条", testNow.Unix()+120)
	runCtx, cancel = context.WithCancel(ctx)
	go func() { done <- a2.KF().Run(runCtx, e.b) }()
	waitFor(t, func() bool { return len(e.rec.got()) == 5 })
	cancel()
	<-done
}

func cursorOf(ctx context.Context, st *store.Store, id string) string {
	var c string
	_ = st.DB().QueryRow(ctx, `SELECT cursor FROM wecom_kf_cursors WHERE open_kfid = $1`, id).Scan(&c)
	return c
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKFWindow sends up to 5 replies within 48 h of the user's last message
// and refuses more, and anything after 48 h, with a Chinese reason.
func TestKFWindow(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	e := newEnv(t, st, false)
	kf := e.a.KF()
	to := kf.DirectTarget("wmUser1")
	if _, err := kf.Send(ctx, to, &bot.Message{Text: "您好"}); !errors.Is(err, ErrKFWindow) || !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("never wrote: %v", err)
	}
	e.fake.addKF("kf-0", "wmUser1", "请问整改要求", testNow.Unix())
	if _, err := kf.Sync(ctx, e.b, "wkKF1", ""); err != nil {
		t.Fatal(err)
	}
	for i := range KFMaxReplies {
		ref, err := kf.Send(ctx, to, &bot.Message{Text: fmt.Sprintf("答复 %d", i)})
		if err != nil || ref.MessageID == "" {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	_, err := kf.Send(ctx, to, &bot.Message{Text: "第六条"})
	if !errors.Is(err, ErrKFWindow) || !strings.Contains(err.Error(), "已回复5条") {
		t.Fatalf("6th reply: %v", err)
	}
	sends := e.fake.callsTo("/cgi-bin/kf/send_msg")
	if len(sends) != KFMaxReplies || sends[0].Body["open_kfid"] != "wkKF1" || sends[0].Body["touser"] != "wmUser1" || sends[0].Body["msgtype"] != "text" {
		t.Fatalf("%+v", sends)
	}
	// The user writes again: the window reopens; 48 h later it closes.
	e.clock.Advance(time.Hour)
	e.fake.addKF("kf-1", "wmUser1", "收到", e.clock.Now().Unix())
	if _, err := kf.Sync(ctx, e.b, "wkKF1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := kf.Send(ctx, to, &bot.Message{Text: "好的"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(KFWindow + time.Minute)
	if _, err := kf.Send(ctx, to, &bot.Message{Text: "迟到的答复"}); !errors.Is(err, ErrKFWindow) || !strings.Contains(err.Error(), "48小时") {
		t.Fatalf("after 48 h: %v", err)
	}
}

// TestMediaArrives: what members and WeChat users send (photos of the
// rectified site) reaches the bot as a reference, downloaded after the
// callback and dispatched with its file; media WeCom no longer has is
// answered to the sender instead of stalling the kf cursor.
func TestMediaArrives(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	applyDemo(ctx, t, st)
	if _, err := st.DB().Exec(ctx, `INSERT INTO accounts (platform, external_id, contact_id) SELECT 'wecom_kf', 'wmUser1', min(id) FROM contacts`); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, st, false)
	img := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[libin]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://p.qpic.cn/x]]></PicUrl><MediaId><![CDATA[MEDIA_A]]></MediaId>"+
		"<MsgId>555</MsgId><AgentID>1000002</AgentID></xml>", vecCorpID, testNow.Unix())
	if w := e.post(img, false); w.Code != 200 {
		t.Fatalf("image: %d", w.Code)
	}
	if got := e.rec.got(); len(got) != 0 || len(e.fake.callsTo("/cgi-bin/media/get")) != 0 {
		t.Fatalf("handled during the callback: %+v", got)
	}
	e.deliver()
	got := e.rec.got()
	if len(got) != 1 || len(got[0].Files) != 1 || got[0].Files[0].Name != "site.jpg" || got[0].Files[0].MIME != "image/jpeg" ||
		!strings.HasSuffix(string(got[0].Files[0].Content), "MEDIA_A") || got[0].Text != "" {
		t.Fatalf("%+v", got)
	}
	e.fake.addKFMedia("kf-m1", "wmUser1", "MEDIA_B", testNow.Unix())
	e.fake.addKFMedia("kf-m2", "wmUser1", "expired", testNow.Unix())
	if _, err := e.a.KF().Sync(ctx, e.b, "wkKF1", ""); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	got = e.rec.got()
	if len(got) != 2 || len(got[1].Files) != 1 || !strings.HasSuffix(string(got[1].Files[0].Content), "MEDIA_B") {
		t.Fatalf("%+v", got[1:])
	}
	sent := e.fake.callsTo("/cgi-bin/kf/send_msg")
	if len(sent) != 1 || !strings.Contains(fmt.Sprint(sent[0].Body["text"]), "已无法从平台下载") {
		t.Fatalf("the lost media is not answered: %+v", sent)
	}
}

// TestKFWelcome greets a WeChat user entering the chat with the event's
// single-use welcome_code, and skips codes too old to be valid.
func TestKFWelcome(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.TestStore(ctx, t), false)
	e.fake.addKFEnter("ev-old", "wmUser2", "WELCOME_OLD", testNow.Add(-time.Minute).Unix())
	e.fake.addKFEnter("ev-1", "wmUser2", "WELCOME_1", testNow.Unix())
	n, err := e.a.KF().Sync(ctx, e.b, "wkKF1", "")
	if err != nil || n != 0 {
		t.Fatalf("%d %v", n, err)
	}
	calls := e.fake.callsTo("/cgi-bin/kf/send_msg_on_event")
	if len(calls) != 1 || calls[0].Body["code"] != "WELCOME_1" || !strings.Contains(fmt.Sprint(calls[0].Body["text"]), "整改通") {
		t.Fatalf("%+v", calls)
	}
	if len(e.rec.got()) != 0 {
		t.Fatal("an event was dispatched as a message")
	}
}

// TestKFSessionState answers only sessions the API may answer (/94669): a
// new session is taken by the assistant first; one a human agent serves, or
// one queued for an agent, is refused before send_msg with the reason the
// leader will read.
func TestKFSessionState(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	e := newEnv(t, st, false)
	kf := e.a.KF()
	to := kf.DirectTarget("wmUser1")
	e.fake.addKF("kf-0", "wmUser1", "请问整改要求", testNow.Unix())
	if _, err := kf.Sync(ctx, e.b, "wkKF1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := kf.Send(ctx, to, &bot.Message{Text: "您好"}); err != nil {
		t.Fatal(err)
	}
	trans := e.fake.callsTo("/cgi-bin/kf/service_state/trans")
	if len(trans) != 1 || trans[0].Body["service_state"] != float64(1) || trans[0].Body["open_kfid"] != "wkKF1" {
		t.Fatalf("a new session is not taken by the assistant: %+v", trans)
	}
	// Taken: the next reply goes without another transfer.
	if _, err := kf.Send(ctx, to, &bot.Message{Text: "补充"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.callsTo("/cgi-bin/kf/service_state/trans")); n != 1 {
		t.Fatalf("%d transfers, want 1", n)
	}

	for state, want := range map[int]string{3: "正由人工客服（接待人员 zhangsan）接待", 2: "待接入池排队", 4: "已结束"} {
		e.fake.mu.Lock()
		e.fake.kfState["wmUser1"], e.fake.kfAgent = state, "zhangsan"
		e.fake.mu.Unlock()
		before := len(e.fake.callsTo("/cgi-bin/kf/send_msg"))
		_, err := kf.Send(ctx, to, &bot.Message{Text: "领导答复"})
		if !errors.Is(err, ErrKFSessionHeld) || !errors.Is(err, bot.ErrPermanent) || !strings.Contains(err.Error(), want) {
			t.Fatalf("state %d: %v", state, err)
		}
		if n := len(e.fake.callsTo("/cgi-bin/kf/send_msg")); n != before {
			t.Fatalf("state %d: send_msg called", state)
		}
	}
	w, err := st.LockKFWindow(ctx, "wmUser1")
	if err != nil || w.Replies != 2 {
		t.Fatalf("refused sends counted in the window: %+v %v", w, err)
	}
}
