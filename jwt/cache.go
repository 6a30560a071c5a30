package jwt

import (
	"sync"
)

// cache holds verified tokens, keyed by the whole token string. It is
// bounded: when full, the oldest entry goes (FIFO; a verified token is
// usually seen again soon or never). Expired entries are refused by the
// time check and dropped when the ring comes round to them.
type cache struct {
	mu      sync.RWMutex
	entries map[string]*cacheEntry
	ring    []string // grows to size, then wraps
	size    int
	next    int
}

type cacheEntry struct {
	claims Claims
	key    *Key
	kid    string
	slot   int // index in ring; set by put
}

// newCache allocates as the cache fills: a large n must not cost its
// memory before it is used.
func newCache(n int) *cache {
	return &cache{entries: make(map[string]*cacheEntry), size: n}
}

func (c *cache) get(raw string) *cacheEntry {
	c.mu.RLock()
	e := c.entries[raw]
	c.mu.RUnlock()
	return e
}

func (c *cache) put(raw string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.entries[raw]; ok {
		e.slot = prev.slot
		c.entries[raw] = e
		return
	}
	if len(c.ring) < c.size {
		e.slot = len(c.ring)
		c.ring = append(c.ring, raw)
	} else {
		if old := c.ring[c.next]; old != "" {
			delete(c.entries, old)
		}
		e.slot = c.next
		c.ring[c.next] = raw
		c.next = (c.next + 1) % c.size
	}
	c.entries[raw] = e
}

// remove drops raw and frees its slot: a slot left holding raw would evict
// raw's next entry, cached in another slot, when the ring came round to it.
func (c *cache) remove(raw string) {
	c.mu.Lock()
	if e, ok := c.entries[raw]; ok {
		c.ring[e.slot] = ""
		delete(c.entries, raw)
	}
	c.mu.Unlock()
}

// Len returns the number of cached tokens.
func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
