package dash

import (
	"fmt"
	"sync"
	"time"

	"zhenggai/handlers"
)

// overviewCache keeps each scope's overview for a few seconds: on a campaign
// of a thousand units the overview reads the whole ledger (its lights and
// its monthly trends), and a room of people refreshing the 驾驶舱 need not
// each pay for it. A scope is the set of units a viewer sees (the office:
// all), so the office's people share one entry and each leader his own.
// The page says when its figures were computed; a unit's ledger, an item
// and a request are never cached.
type overviewCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cachedOverview
}

type cachedOverview struct {
	at time.Time
	o  *handlers.DashOverview
}

// maxCached bounds the entries; past it the cache starts afresh.
const maxCached = 2000

// get returns the scope's overview, computing it with load when it is
// missing or older than the TTL (a TTL of 0 or less: always).
func (c *overviewCache) get(v handlers.Viewer, campaignID int64, load func() (*handlers.DashOverview, error)) (*handlers.DashOverview, time.Time, error) {
	if c.ttl <= 0 {
		o, err := load()
		return o, c.now(), err
	}
	key := fmt.Sprint(campaignID, handlers.ViewerUnitIDs(v))
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if now := c.now(); ok && now.Sub(e.at) < c.ttl {
		return e.o, e.at, nil
	}
	at := c.now()
	o, err := load()
	if err != nil {
		return nil, at, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCached {
		clear(c.entries)
	}
	c.entries[key] = cachedOverview{at: at, o: o}
	c.mu.Unlock()
	return o, at, nil
}
