// Package jwt issues and verifies short-lived access tokens (RFC 9068 JWTs).
//
// The one thing to know first: a Verifier trusts nothing in a token until
// its signature has been checked with a key it found itself. Keys come only
// from the KeySource you give it (a KeySet, StaticKeys or RemoteKeys),
// chosen by the token's kid; the header's jku, x5u, jwk and x5c are never
// used and never fetched.
//
// Defaults are the safe ones: asymmetric algorithms only (HS256/384/512
// must be listed with WithAlgorithms), the header alg must equal the key's
// own algorithm, typ must be at+jwt, exp is always required (and sub, iat,
// jti by default), tokens live at most 15 minutes, the leeway is 30
// seconds, tokens over 8 KiB are refused before anything is decoded.
//
// Verification does not use jwx's jwt.Parse, which is unsafe on untrusted
// input in jwx v2. It follows its own strict path: exactly three canonical
// base64url segments; the header and claims read by a strict JSON reader
// (no duplicate members, no trailing data, valid UTF-8, dates as integer
// JSON numbers); unknown crit, b64 and cty refused; the signature checked
// with the standard library's primitives held to RFC 7518 (fixed-size ECDSA
// r‖s, PSS salt equal to the hash size). jwx is used only to read and write
// JWKs, in one file.
//
// Every error wraps one of the package's sentinel errors; check them with
// errors.Is. A failed verification never returns claims.
package jwt
