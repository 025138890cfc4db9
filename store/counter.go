package store

import "context"

// NextCounter hands out the next number of a scope (1, 2, 3, …). The
// counter row stays locked until the transaction ends, so concurrent callers
// get consecutive numbers in commit order, and a rolled-back transaction
// gives its number back: the sequence has no gaps.
func (s *Store) NextCounter(ctx context.Context, scope string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `
		INSERT INTO counters (scope, value) VALUES ($1, 1)
		ON CONFLICT (scope) DO UPDATE SET value = counters.value + 1
		RETURNING value`, scope).Scan(&n)
	return n, wrap("next counter", err)
}

// RaiseCounter makes sure the scope's next number is above n (an imported
// item numbered LB-2023-012 keeps new ones from taking 12 again).
func (s *Store) RaiseCounter(ctx context.Context, scope string, n int) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO counters (scope, value) VALUES ($1, $2)
		ON CONFLICT (scope) DO UPDATE SET value = greatest(counters.value, excluded.value)`, scope, n)
	return wrap("raise counter", err)
}
