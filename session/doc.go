// Package session keeps server-side sessions for the requests where control
// matters more than scale: payments, account changes, admin actions. A
// session can be killed at once, the sessions of a user can be listed,
// limited and revoked together, a session used from another country can be
// terminated, and a high-risk route can demand a recent authentication.
//
// The one thing to know first: the token returned by Create (and put in the
// cookie by Login) is the only copy of the session's secret. The store keeps
// SHA-256 of it; the session ID in Session.ID is a public handle, safe to
// list, log and put in a JWT's sid claim, and useless for authenticating.
//
// # Lifetime
//
// A session ends after WithIdleTimeout without use (default 30m) or
// WithAbsoluteTimeout after creation (default 12h), whichever comes first.
// Validate slides the idle expiry, but writes to the store at most once per
// WithTouchInterval (default 1m); nothing ever extends the absolute expiry.
// Renew (after a privilege change) and Reauthenticate (after a step-up) give
// the session a new secret and kill the old token.
//
// # Stores
//
// NewMemoryStore keeps sessions in process. Package session/redisstore keeps
// them in Redis, single node or Cluster: all keys of one user share a hash
// slot (the user's routing tag, embedded in every session ID) and every state
// change is one Lua script, so Validate is one round trip and the session
// limit (WithMaxSessions) holds under concurrent logins. Package
// session/sessiontest is the conformance suite every Store passes.
//
// # HTTP
//
// Login sets a "__Host-session" cookie (Secure, HttpOnly, SameSite=Lax,
// Path=/), Middleware loads the session into the request context,
// Require and RequireRecentAuth guard routes, RenewCookie and
// ReauthenticateCookie swap the cookie's secret after a privilege change or
// a passed step-up, and Logout expires the cookie with Clear-Site-Data.
//
// # JWTs
//
// With WithRevoker (satisfied by *blocklist.List) every end of a session
// also revokes the access tokens minted for it (by sid).
package session
