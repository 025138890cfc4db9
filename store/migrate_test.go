package store_test

import (
	"context"
	"sync"
	"testing"

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
	if _, err := pool.Exec(ctx, `DO $$ DECLARE r record; BEGIN
		FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
			EXECUTE 'DROP TABLE IF EXISTS ' || quote_ident(r.tablename) || ' CASCADE';
		END LOOP;
		DROP SEQUENCE IF EXISTS audit_log_id_seq;
		DROP FUNCTION IF EXISTS audit_append, audit_row_hash, audit_log_immutable CASCADE;
	END $$`); err != nil {
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
