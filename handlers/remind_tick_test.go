package handlers

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"zhenggai/bot"
	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestTick is `zhenggai tick --now T`: it plans, delivers, waits and says
// what it did; a second tick at the same instant does nothing.
func TestTick(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	f := newPlanFixture(t, ctx, st, "../deploy/campaigns/sanmenxia-2023.yaml")
	now := at("2023-06-21", "09:05")
	f.h.Clock.Set(now)
	got, err := f.sched.Tick(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	n := len(f.h.Adapter.Sent())
	if n == 0 || !strings.Contains(got, "\n运行结果：已发送 "+strconv.Itoa(n)+" 条消息") || !strings.Contains(got, "6月21日（周三）是工作日") {
		t.Errorf("tick said %q after %d sends", got, n)
	}
	got, err = f.sched.Tick(ctx, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(got, "运行结果：没有到期的提醒或摘要") || len(f.h.Adapter.Sent()) != n {
		t.Errorf("second tick said %q", got)
	}
}

// TestSchedulerLease: one holder at a time, renewals by the holder, and a
// release lets another take over at once.
func TestSchedulerLease(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.TestTx(ctx, t))
	ok := func(holder string) bool {
		t.Helper()
		got, err := st.AcquireLease(ctx, "scheduler", holder, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if !ok("a") || ok("b") || !ok("a") {
		t.Fatal("a should hold the lease alone")
	}
	if err := st.ReleaseLease(ctx, "scheduler", "a"); err != nil {
		t.Fatal(err)
	}
	if !ok("b") || ok("a") {
		t.Fatal("b should take over after a released")
	}
	if _, err := st.DB().Exec(ctx, `UPDATE scheduler_leases SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if !ok("a") {
		t.Fatal("a should take over an expired lease")
	}
}

func TestLatestOccurrence(t *testing.T) {
	t.Parallel()
	cases := []struct{ spec, now, want string }{
		{"0 9 * * *", "2023-06-20 09:00", "2023-06-20 09:00"},
		{"0 9 * * *", "2023-06-20 08:59", "2023-06-19 09:00"},
		{"30 8 * * *", "2023-06-20 23:00", "2023-06-20 08:30"},
		{"0 * * * *", "2023-06-20 10:59", "2023-06-20 10:00"},
	}
	for _, c := range cases {
		got, err := bot.LatestOccurrence(c.spec, shanghai, at(c.now[:10], c.now[11:]))
		if err != nil {
			t.Fatal(err)
		}
		if want := at(c.want[:10], c.want[11:]); !got.Equal(want) {
			t.Errorf("%s at %s: %s, want %s", c.spec, c.now, got.In(shanghai), want)
		}
	}
}
