// Package redisstore is a rotation.Store on Redis: a single node, Sentinel
// or Cluster (it takes a redis.UniversalClient).
//
// Each family is one hash, "<prefix>fam:{<family id>}", and each exchange is
// one Lua script on that key (EVALSHA, falling back to EVAL): one round trip
// that consumes the presented token and installs its successor atomically,
// or detects reuse and revokes the family in the same step. The hash keeps
// the SHA-256 of the current and previous secrets, never a token. The
// script compares those digests with Lua's ordinary string equality; only
// tokens whose MAC the Rotator has verified reach it, so its timing tells
// an attacker nothing he could use.
//
// A subject's families are indexed in a sorted set in its own hash slot,
// "<prefix>sub:{<hash of the subject>}", scored by the family's absolute
// expiry. rotation.Rotator.RevokeSubject reads it, then revokes each family
// in its own slot: not one atomic step across slots; see its documentation
// for why that is safe.
//
// Time comes from the caller. Key TTLs are set relative to the caller's
// "now" (record expiry - now + retention) and only collect garbage: validity
// is decided by the scripts from the stored expiries and the caller's time,
// so the store passes the conformance suite under a fake clock.
//
// Durability is Redis's: replication is asynchronous, so a failover can lose
// a consume (the old token works once more) or a revocation. Use AOF and
// WAIT if that matters to you.
package redisstore
