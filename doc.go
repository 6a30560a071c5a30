// Package credence is a Go SDK for authentication state in distributed
// services. It holds no code of its own; this page is the overview.
//
// Stateless JWTs scale because a server only checks a signature; server-side
// sessions are safer because they can be killed at once. Credence gives a
// service both, and the glue between them:
//
//   - package jwt: short-lived access tokens (at most 15 minutes, asymmetric
//     algorithms by default), key rotation by kid, JWKS publishing and
//     fetching, strict verification and HTTP middleware.
//   - package rotation: single-use refresh tokens; a consumed token used
//     again is reuse, and its whole family is revoked.
//   - package blocklist: revoke a JWT before it expires (by jti, session or
//     subject) with a local replica answering every check in memory.
//   - package session: server-side sessions for high-risk operations, with
//     instant revocation, concurrent-session limits, an anomaly policy and
//     step-up authentication.
//
// Every store is an interface with an in-memory implementation and a Redis
// one (single node or Cluster), and each interface ships a conformance suite
// that every implementation passes.
package credence
