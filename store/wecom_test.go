package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

func TestReserveWeComSends(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	limits := []store.SendLimit{{Per: time.Minute, Max: 3}, {Per: time.Hour, Max: 5}}
	take := func(users []string, n int, at time.Time) time.Duration {
		t.Helper()
		wait, err := st.ReserveWeComSends(ctx, users, n, at, limits)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	for i := range 3 {
		if w := take([]string{"a"}, 1, now.Add(time.Duration(i)*10*time.Second)); w != 0 {
			t.Fatalf("send %d waits %s", i, w)
		}
	}
	if w := take([]string{"a"}, 1, now.Add(30*time.Second)); w != 30*time.Second {
		t.Fatalf("4th in the minute waits %s, want 30s", w)
	}
	// All or nothing: b is free but a is not, so b takes nothing.
	if w := take([]string{"b", "a"}, 1, now.Add(30*time.Second)); w == 0 {
		t.Fatal("a over its limit")
	}
	if w := take([]string{"b"}, 3, now.Add(30*time.Second)); w != 0 {
		t.Fatalf("b took a slot before: waits %s", w)
	}
	// Two slots need the two oldest to leave the minute.
	if w := take([]string{"a"}, 2, now.Add(61*time.Second)); w != 9*time.Second {
		t.Fatalf("2 slots wait %s, want 9s", w)
	}
	// The hourly limit: 5 an hour.
	if w := take([]string{"a"}, 2, now.Add(2*time.Minute)); w != 0 {
		t.Fatalf("waits %s", w)
	}
	if w := take([]string{"a"}, 1, now.Add(3*time.Minute)); w != time.Hour-3*time.Minute {
		t.Fatalf("6th in the hour waits %s", w)
	}
	if _, err := st.ReserveWeComSends(ctx, []string{"c"}, 4, now, limits); err == nil {
		t.Fatal("4 sends fit a limit of 3")
	}
}

// TestReserveWeComSendsReplicas has several connections race for one
// member's 30 slots: exactly 30 win.
func TestReserveWeComSendsReplicas(t *testing.T) {
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	now := time.Now()
	limits := []store.SendLimit{{Per: time.Minute, Max: 30}}
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := store.New(pool)
			for range 6 {
				wait, err := st.ReserveWeComSends(ctx, []string{"libin"}, 1, now, limits)
				if err != nil {
					t.Error(err)
					return
				}
				if wait == 0 {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if granted != 30 {
		t.Fatalf("%d sends granted, want 30", granted)
	}
}

func TestKFWindowAndCursor(t *testing.T) {
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if _, err := st.LockKFWindow(ctx, "wm1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no window: %v", err)
	}
	if err := st.NoteKFInbound(ctx, "kf1", "wm1", at); err != nil {
		t.Fatal(err)
	}
	_ = st.AddKFReply(ctx, "wm1")
	_ = st.AddKFReply(ctx, "wm1")
	// An older message (re-read page) does not reset the count.
	if err := st.NoteKFInbound(ctx, "kf1", "wm1", at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	w, err := st.LockKFWindow(ctx, "wm1")
	if err != nil || w.Replies != 2 || !w.LastInboundAt.Equal(at) || w.OpenKFID != "kf1" {
		t.Fatalf("%+v %v", w, err)
	}
	if err := st.NoteKFInbound(ctx, "kf2", "wm1", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if w, _ = st.LockKFWindow(ctx, "wm1"); w.Replies != 0 || w.OpenKFID != "kf2" {
		t.Fatalf("newer message did not reopen: %+v", w)
	}

	if c, err := st.LockKFCursor(ctx, "kf1"); err != nil || c != "" {
		t.Fatalf("%q %v", c, err)
	}
	if err := st.SetKFCursor(ctx, "kf1", "CURSOR2", at); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.LockKFCursor(ctx, "kf1"); c != "CURSOR2" {
		t.Fatalf("cursor %q", c)
	}
	if ids, _ := st.KFAccounts(ctx); len(ids) != 1 || ids[0] != "kf1" {
		t.Fatalf("%v", ids)
	}
}
