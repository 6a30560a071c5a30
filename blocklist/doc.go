// Package blocklist revokes access tokens (JWTs) before they expire, without
// a network round trip on the request path.
//
// The one thing to know first: every service instance holds a local replica
// of the whole live blocklist, so IsRevoked is a memory lookup, and the
// replica is kept fresh from the store's change feed. If it loses contact
// with the store for longer than the staleness bound (WithStalenessBound,
// default 5s) it fails closed: IsRevoked returns ErrStale and a jwt.Verifier
// wired to it refuses every token until contact is back.
//
//	store := blocklist.NewMemoryStore()           // or redisstore.New(rdb)
//	list, err := blocklist.New(store)
//	...
//	verifier, err := jwt.NewVerifier(keys, ..., jwt.WithRevocation(list))
//	...
//	err = list.RevokeToken(ctx, claims.ID, claims.ExpiresAt) // logout of one token
//	err = list.RevokeSession(ctx, sid)                       // a session or refresh-token family
//	err = list.RevokeSubject(ctx, userID)                    // "log out everywhere"
//
// # Three kinds of entry
//
// A token is revoked if any of these matches it:
//
//   - its jti (RevokeToken), until the token's exp;
//   - its sid (RevokeSession), for the maximum token lifetime
//     (WithMaxTokenLifetime, default 15m) after the revocation: every token
//     of the session, including any minted during that window;
//   - its subject's watermark (RevokeSubject): every token of the subject
//     whose iat second is at or before the second of the revocation. iat has
//     whole-second precision, so a token issued in the same second as the
//     revocation, even just after it, is revoked too; a token without iat is
//     always revoked. The watermark lives for the maximum token lifetime.
//
// Every entry also lives the leeway (WithLeeway, default 1m) longer, to cover
// the verifier's own leeway on exp and clock skew. The leeway does not widen
// a watermark: it is compared with iat, which the issuer's clock wrote, so if
// that clock runs ahead of the revoker's by d, tokens issued in the last d
// before RevokeSubject escape it. Keep the clocks in sync, or also revoke the
// subject's sessions (RevokeSession), which does not depend on iat. Entries
// expire by themselves, in the replica and in the store, so the blocklist
// stays as small as revocation rate × token lifetime.
//
// # The replica
//
// New loads a snapshot of the store, then a goroutine follows the change
// feed (in Redis, a stream written by the same Lua script as the entry). On
// any error or gap (a trimmed feed, a reconnect, a store that restarted
// empty) it takes a new snapshot and merges it in. The revoking instance
// applies its own revocation before RevokeToken returns (read-your-writes);
// other instances see it within the feed's delay (p99 of a few milliseconds
// on loopback), and in any case within the staleness bound or they refuse
// tokens. The guarantee is that a revocation is enforced on every instance
// within the staleness bound; it is not linearizable.
//
// The replica keeps a 64-bit keyed hash of each ID (random seed per List), not
// the ID itself, in a hash table fronted by a Bloom filter: about 36 bytes
// per entry at a million entries, lookups with no lock and no allocation, and
// a lookup of a token that is not revoked (the usual case) mostly answered
// by the filter, which is 16 times smaller than the table. Two IDs whose hashes collide are both treated as
// revoked when one is: a false positive (about n/2^64 per lookup), never a
// false negative, and not steerable by an attacker who does not know the
// seed. The instance that made a revocation also keeps it, with its ID,
// until it expires, to republish it if the store loses its data: about 130
// bytes more, plus the ID, per revocation made through this List.
//
// # When the store loses its data
//
// A store that comes back empty (Redis restarted without persistence) gets
// a new epoch; every replica notices and then keeps enforcing every entry it
// already holds until it expires (it never un-revokes because the source of
// truth forgot), logs at Error level, reports EventStoreReset, and writes its
// own instance's revocations back to the store, so replicas started later
// learn them again. Revocations made by an instance that is no longer running
// are then held only by the replicas that had seen them: run Redis with AOF
// persistence where that matters.
//
// # No WithReplica option
//
// The design sketch listed a WithReplica option. There is none, on purpose:
// the local replica is what makes IsRevoked a memory lookup, so it cannot be
// turned off (a per-request store lookup is what this package exists to
// avoid; a Store can be queried directly by code that wants that), and the
// one setting that matters for it, how stale it may become before it fails
// closed, is WithStalenessBound, which also sets how often it polls the
// store. Its table sizes itself (a load of at most three quarters, shrunk
// after expiry), and expired entries are swept every minute of the List's
// clock; neither has a trade-off worth a knob.
//
// # Failing open
//
// UnsafeFailOpenWhenStale makes a stale replica answer anyway. During a store
// outage, tokens revoked since it last heard from the store are then
// accepted. Prefer a longer staleness bound to failing open.
//
// # Stores
//
// Store is the interface a shared store implements; MemoryStore is one for a
// single process and tests, blocklist/redisstore one for Redis (single node
// or Cluster). blocklist/blocklisttest is the conformance suite every Store
// must pass.
package blocklist
