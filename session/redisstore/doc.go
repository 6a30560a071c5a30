// Package redisstore is a session.Store in Redis, on a single node or a
// Redis Cluster (any redis.UniversalClient).
//
// Every key of one user carries the user's routing tag as its hash tag, so
// each operation touches one slot, and each state change is one Lua script
// with all its keys declared: Create enforces the session limit atomically,
// revocation takes effect in one script. Validate (Get) is one round trip: a
// script reading the index entry and the record together on the master (so a
// client that reads from replicas cannot see a revoked session as live), with
// no write while the session was touched within the Manager's touch
// interval. No
// operation scans the keyspace; a per-user index (a hash of session ID to
// expiry) serves List and DeleteUser and is pruned lazily. Validity is
// decided from the caller's clock; Redis TTLs only collect garbage.
package redisstore
