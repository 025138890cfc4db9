package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

// TestEnterpriseRequestNumbersConcurrent opens requests from many
// connections at once, some rolled back: the numbers that commit are
// consecutive from 0001, with no gap and no repeat.
func TestEnterpriseRequestNumbersConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	st := store.New(pool)
	var campID, entID, leaderID int64
	if err := pool.QueryRow(ctx, `INSERT INTO campaigns (key, name, office_unit_key) VALUES ('c', 'c', 'office') RETURNING id`).Scan(&campID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO people (key, name) VALUES ('lead', '王') RETURNING id`).Scan(&leaderID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO enterprises (campaign_id, key, name, leader_id) VALUES ($1, 'e', '企业', $2) RETURNING id`,
		campID, leaderID).Scan(&entID); err != nil {
		t.Fatal(err)
	}
	const n = 12
	contacts := make([]int64, n)
	for i := range contacts {
		c := &store.Contact{EnterpriseID: entID, Name: fmt.Sprintf("联系人%d", i)}
		if err := st.UpsertContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		contacts[i] = c.ID
	}
	errRollback := errors.New("rollback")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			err := st.InTx(ctx, func(tx *store.Store) error {
				_, err := tx.CreateEnterpriseRequest(ctx, store.CreateEnterpriseRequestParams{CampaignID: campID, EnterpriseID: entID,
					ContactID: contacts[i], OwnerID: leaderID, Prefix: "QY", Year: 2026, At: time.Now()})
				if err != nil {
					return err
				}
				if i%4 == 0 {
					return errRollback
				}
				return nil
			})
			if err != nil && !errors.Is(err, errRollback) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT number FROM enterprise_requests ORDER BY number`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		got = append(got, s)
	}
	rows.Close()
	var want []string
	for i := range n - n/4 {
		want = append(want, fmt.Sprintf("QY-2026-%04d", i+1))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("numbers = %v, want %v", got, want)
	}
}
