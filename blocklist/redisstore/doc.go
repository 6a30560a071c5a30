// Package redisstore is a blocklist.Store on Redis (a single node, Sentinel
// or Redis Cluster, through redis.UniversalClient).
//
// Layout, for a prefix P (default "credence:blocklist"); every key carries the
// hash tag {P}, so all of one prefix sit in one Cluster slot and one Lua
// script can change them together:
//
//	{P}:entries  hash   "t:<jti>" / "s:<sid>" / "u:<sub>"  ->  "<exp>:<watermark>" (Unix seconds)
//	{P}:expiry   zset   the same fields scored by exp, to collect expired ones
//	{P}:feed     stream one entry per write: seq, epoch, field, merged value
//	{P}:seq      the last sequence number
//	{P}:epoch    a random name for this life of the data
//
// A revocation is one script: merge the entry into the hash, append the
// merged value to the stream with the next seq, and collect a few expired
// entries, atomically. The blocklist is small (revocation rate × token
// lifetime), so one slot holds it comfortably.
//
// Validity is decided by the caller's clock: an entry is returned while
// now < exp. The stream is trimmed by the server's clock to the feed
// retention (WithFeedRetention); that is garbage collection only, because a
// follower that falls further behind notices the hole in the sequence numbers
// and takes a new snapshot.
//
// A server that restarts without persistence comes back empty: the epoch key
// is gone, a new one is created, and every follower's cursor is refused with
// blocklist.ErrGap, so each replica resynchronises (see blocklist's package
// documentation for what it keeps). Run Redis with AOF persistence if
// revocations must survive a restart of the store itself. Never give it a
// Redis that evicts keys (maxmemory-policy allkeys-*): an evicted entries
// hash would silently forget revocations without changing the epoch.
//
// It needs Redis 6.2 or later (XADD MINID, exclusive XRANGE).
package redisstore
