package loadkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"zhenggai/bot/feishu/feishufake"
	"zhenggai/cards"
)

// Kinds of callback the workload sends.
const (
	KindLedger     = "ledger"     // a liaison asks for 台账 in the direct chat
	KindEnterprise = "enterprise" // an enterprise contact writes to its leader
	KindProgress   = "progress"   // a liaison submits an item's progress form
)

// Call is one callback: what Feishu would send for one user action. A
// redelivery sends the same event (same id) sealed anew.
type Call struct {
	Kind    string
	EventID string // message_id for messages, event_id for card actions
	Marker  string // unique text the effect carries (progress text, message text)
	ItemID  int64  // KindProgress only
	plain   []byte
}

// Plain is the call's plaintext JSON.
func (c *Call) Plain() []byte { return c.plain }

type openItem struct {
	id      int64
	version atomic.Int32
	liaison string
}

// Workload makes calls over a generated campaign: 70% messages (half 台账
// queries by liaisons, half enterprise messages to their leaders) and 30%
// progress forms submitted by the liaison of an open item, each item in
// turn.
type Workload struct {
	prefix   string
	liaisons []string
	contacts []string
	items    []*openItem
	byID     map[int64]*openItem

	mu   sync.Mutex
	rng  *rand.Rand
	seq  int64
	next int // next item
}

// LoadWorkload reads the generated campaign's people and open items.
// prefix makes event ids unique across runs on one database.
func LoadWorkload(ctx context.Context, pool *pgxpool.Pool, prefix string) (*Workload, error) {
	w := &Workload{prefix: prefix, rng: rand.New(rand.NewPCG(1, 2)), byID: map[int64]*openItem{}}
	rows, err := pool.Query(ctx, `
		SELECT li.id, li.version, a.external_id
		FROM ledger_items li JOIN units u ON u.id = li.unit_id
		JOIN accounts a ON a.person_id = u.liaison_id AND a.platform = 'feishu'
		WHERE li.status <> 'closed' ORDER BY li.id`)
	if err != nil {
		return nil, fmt.Errorf("loadkit: items: %w", err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		it := &openItem{}
		var version int32
		if err := rows.Scan(&it.id, &version, &it.liaison); err != nil {
			return nil, fmt.Errorf("loadkit: items: %w", err)
		}
		it.version.Store(version)
		w.items = append(w.items, it)
		w.byID[it.id] = it
		if !seen[it.liaison] {
			seen[it.liaison] = true
			w.liaisons = append(w.liaisons, it.liaison)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loadkit: items: %w", err)
	}
	if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(external_id ORDER BY id), '{}') FROM accounts
		WHERE platform = 'feishu' AND contact_id IS NOT NULL`).Scan(&w.contacts); err != nil {
		return nil, fmt.Errorf("loadkit: contacts: %w", err)
	}
	if len(w.items) == 0 || len(w.contacts) == 0 {
		return nil, fmt.Errorf("loadkit: the database holds no generated campaign")
	}
	// Shuffle so consecutive submits hit different units.
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(w.items), func(i, j int) { w.items[i], w.items[j] = w.items[j], w.items[i] })
	return w, nil
}

// Next makes the next call at time at.
func (w *Workload) Next(at time.Time) *Call {
	w.mu.Lock()
	w.seq++
	seq, roll := w.seq, w.rng.IntN(100)
	var it *openItem
	var who string
	switch {
	case roll < 30:
		it = w.items[w.next]
		w.next = (w.next + 1) % len(w.items)
	case roll < 65:
		who = w.liaisons[w.rng.IntN(len(w.liaisons))]
	default:
		who = w.contacts[w.rng.IntN(len(w.contacts))]
	}
	w.mu.Unlock()

	id := w.prefix + "-" + strconv.FormatInt(seq, 10)
	switch {
	case it != nil:
		c := &Call{Kind: KindProgress, EventID: "ev_" + id, Marker: "进展 " + id, ItemID: it.id}
		c.plain = App.CardActionEvent(feishufake.CardAction{
			EventID: c.EventID, OperatorID: it.liaison, ChatID: P2PChatID(it.liaison), MessageID: "om_card_" + id,
			Value: map[string]any{cards.FeishuActionKey: "item.progress.submit",
				"item": strconv.FormatInt(it.id, 10), "v": strconv.Itoa(int(it.version.Load()))},
			FormValue: map[string]any{"text": c.Marker, "status": "in_progress", "effect": "", "evidence": ""},
		}, at)
		return c
	case roll < 65:
		c := &Call{Kind: KindLedger, EventID: "om_" + id, Marker: "台账"}
		c.plain = App.MessageEvent(feishufake.Message{MessageID: c.EventID, ChatID: P2PChatID(who), P2P: true, SenderID: who, Text: "台账"}, at)
		return c
	default:
		c := &Call{Kind: KindEnterprise, EventID: "om_" + id, Marker: "咨询 " + id}
		c.plain = App.MessageEvent(feishufake.Message{MessageID: c.EventID, ChatID: P2PChatID(who), P2P: true, SenderID: who,
			Text: "您好，" + c.Marker + "：道路运输证年审需要哪些材料？"}, at)
		return c
	}
}

// Applied notes that a progress call was answered: its item's card version
// moved on, so the next submit for it carries the new version.
func (w *Workload) Applied(c *Call) {
	if c.Kind != KindProgress {
		return
	}
	if it := w.byID[c.ItemID]; it != nil {
		it.version.Add(1)
	}
}
