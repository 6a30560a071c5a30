// Package jwttest helps downstream code test against package jwt without
// setting up keys: New returns a ready issuer/verifier pair on a fresh key,
// with a fake Clock wired into both, so a test can mint tokens and move
// time forward instead of sleeping.
//
// The one thing to know first: everything here is for tests. The pair's
// issuer and audience are fixed test values, and its keys live in memory
// for one test only.
package jwttest
