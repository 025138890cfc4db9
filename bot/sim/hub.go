package sim

import "sync"

// hub wakes the open event streams when a simulated chat changes. A stream
// takes the current channel before it reads the database and waits on it
// after: notify closes the channel and makes a new one, so no change falls
// between the read and the wait.
type hub struct {
	mu     sync.Mutex
	ch     chan struct{}
	done   chan struct{}
	closed bool
}

func newHub() *hub { return &hub{ch: make(chan struct{}), done: make(chan struct{})} }

// wait returns a channel closed at the next notify.
func (h *hub) wait() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ch
}

// notify wakes every waiting stream.
func (h *hub) notify() {
	h.mu.Lock()
	close(h.ch)
	h.ch = make(chan struct{})
	h.mu.Unlock()
}

// close ends every stream, now and later.
func (h *hub) close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	h.mu.Unlock()
}
