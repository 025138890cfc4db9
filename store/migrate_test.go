package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"zhenggai/store"
	"zhenggai/store/storetest"
)

func TestMigrateFromEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t) // migrated once by the helper
	st := store.New(pool)
	migs, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := migs[len(migs)-1].Version; v != want {
		t.Fatalf("schema version %d instead of %d", v, want)
	}
	// Migrating again, from two goroutines at once, applies nothing.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	applied := make([][]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = st.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || len(applied[i]) != 0 {
			t.Fatalf("second migrate: applied %v, err %v", applied[i], errs[i])
		}
	}
}

func TestConcurrentMigrateOnEmptySchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.TestSchema(ctx, t)
	// Drop everything the helper created and migrate from scratch twice at once.
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	var wg sync.WaitGroup
	total := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var a []int
			a, errs[i] = st.Migrate(ctx)
			total[i] = len(a)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent migrate: %v, %v", errs[0], errs[1])
	}
	migs, _ := store.Migrations()
	if total[0]+total[1] != len(migs) || (total[0] != 0 && total[1] != 0) {
		t.Fatalf("migrations applied %d and %d times; want all %d by exactly one", total[0], total[1], len(migs))
	}
}
