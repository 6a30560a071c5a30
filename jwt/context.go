package jwt

import "context"

// claimsKey is unexported so that no other package can read or overwrite
// the claims under it.
type claimsKey struct{}

// NewContext returns a copy of ctx that carries c. Verifier.Middleware puts
// the verified claims there; tests can use it to call handlers directly.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFromContext returns the claims NewContext put in ctx, and whether
// there are any.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
