// Package benchmarks compares Credence's jwt package with golang-jwt v5,
// go-jose v4 and the raw signature primitives, and checks that tokens pass
// between them in both directions.
//
// It is a separate module so that those peers never become dependencies of
// Credence itself. Everything lives in its tests and benchmarks; see
// README.md for how to run them and cmd/ratios for the summary table.
package benchmarks
