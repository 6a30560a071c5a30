// Package rotation issues single-use refresh tokens that rotate on every
// exchange and detects their reuse.
//
// A login (Rotator.Issue) starts a family: an access token and a refresh
// token. Each Rotator.Refresh consumes the refresh token and returns a new
// pair, in one atomic store step. A consumed refresh token presented again
// means two parties hold it, the user and a thief, and the server cannot
// tell which is which: the whole family is revoked (ErrReused), the newest
// token too, and its sid is handed to a Revoker (a blocklist) so that the
// access tokens it minted die with it.
//
// The one thing to know first: every instance must be given the same server
// key (WithMACKey). Refresh tokens carry their family id, generation and a
// 256-bit secret under a MAC with that key, so anything forged or mangled is
// refused with ErrInvalidToken before the store is touched, and a flood of
// garbage can neither load the store nor revoke anyone's family. The store
// keeps only SHA-256 hashes of the secrets.
//
// Lifetimes: an idle lifetime that slides with each rotation
// (WithRefreshTTL, 14 days) and an absolute one fixed at login
// (WithFamilyLifetime, 30 days). A grace period (WithGracePeriod, default 0)
// lets the token just rotated away be presented again, e.g. by a second
// browser tab, and get the same successor back; any older token is reuse.
//
// Failures after the store step (the access-token issuer failing, a
// response lost on the way) leave the client holding a consumed token.
// With the default grace period of 0 its retry is reuse and logs it out; a
// grace period of a few seconds makes such retries return the same refresh
// token (FAPI 2.0 asks for exactly that).
//
// Every instance decides expiry and grace by its own clock (WithClock):
// keep the clocks synchronised; a skew shifts those windows by as much.
//
// Stores: NewMemoryStore for one process, rotation/redisstore for Redis
// (single node, Sentinel or Cluster). rotation/rotationtest is the
// conformance suite a Store must pass.
package rotation
