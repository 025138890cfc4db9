package store_test

import (
	"context"
	"testing"
	"time"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestRetryAndFailDelivery: RetryDelivery puts a delivery back for a later
// attempt, FailDelivery gives it up with its reason, and a retry without a
// time is refused rather than read as giving up.
func TestRetryAndFailDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.TestStore(ctx, t)
	var id int64
	if err := st.DB().QueryRow(ctx, `INSERT INTO deliveries (platform, payload, state) VALUES ('sim', '{}', 'sending') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	if err := st.RetryDelivery(ctx, id, "429", at); err != nil {
		t.Fatal(err)
	}
	d, err := st.DeliveryByID(ctx, id)
	if err != nil || d.State != store.DeliveryPending || !d.NextAttemptAt.Equal(at) || d.LastError != "429" {
		t.Fatalf("after a retry: %+v, %v", d, err)
	}
	if err := st.RetryDelivery(ctx, id, "x", time.Time{}); err == nil {
		t.Error("a retry without a time was accepted")
	}
	if err := st.FailDelivery(ctx, id, "user left"); err != nil {
		t.Fatal(err)
	}
	if d, err = st.DeliveryByID(ctx, id); err != nil || d.State != store.DeliveryFailed || d.LastError != "user left" {
		t.Fatalf("after giving up: %+v, %v", d, err)
	}
}
