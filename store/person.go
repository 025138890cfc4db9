package store

import (
	"context"
	"time"
)

// Person is someone of the bureau: a leader, a liaison, office staff.
type Person struct {
	ID        int64
	Key       string
	Name      string
	Title     string
	Phone     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const personColumns = `id, key, name, title, phone, created_at, updated_at`

func scanPerson(row interface{ Scan(...any) error }) (*Person, error) {
	var p Person
	err := row.Scan(&p.ID, &p.Key, &p.Name, &p.Title, &p.Phone, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PersonByID returns the person with id.
func (s *Store) PersonByID(ctx context.Context, id int64) (*Person, error) {
	p, err := scanPerson(s.db.QueryRow(ctx, `SELECT `+personColumns+` FROM people WHERE id = $1`, id))
	return p, wrap("person by id", err)
}

// PersonByKey returns the person with key.
func (s *Store) PersonByKey(ctx context.Context, key string) (*Person, error) {
	p, err := scanPerson(s.db.QueryRow(ctx, `SELECT `+personColumns+` FROM people WHERE key = $1`, key))
	return p, wrap("person by key", err)
}

// PeopleByIDs returns the people with the given ids, keyed by id.
func (s *Store) PeopleByIDs(ctx context.Context, ids []int64) (map[int64]*Person, error) {
	rows, err := s.db.Query(ctx, `SELECT `+personColumns+` FROM people WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, wrap("people by ids", err)
	}
	defer rows.Close()
	out := map[int64]*Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, wrap("people by ids", err)
		}
		out[p.ID] = p
	}
	return out, wrap("people by ids", rows.Err())
}

// UpsertPerson creates or updates the person with p.Key and sets p.ID.
func (s *Store) UpsertPerson(ctx context.Context, p *Person) error {
	err := s.db.QueryRow(ctx, `
		INSERT INTO people (key, name, title, phone) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE
		   SET name = excluded.name, title = excluded.title, phone = excluded.phone, updated_at = now()
		RETURNING id, created_at, updated_at`, p.Key, p.Name, p.Title, p.Phone).Scan(&p.ID, &p.CreatedAt, &p.UpdatedAt)
	return wrap("upsert person", err)
}
