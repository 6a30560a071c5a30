package jwt

import (
	"errors"
	"net/http"
	"strings"
)

// Middleware verifies the bearer token of each request (RFC 6750) and
// calls next with the claims in the request's context (ClaimsFromContext).
//
// The token is read from the Authorization header only ("Bearer", in any
// case, then the token), never from the query or a form. A request without
// a bearer token gets 401 with "WWW-Authenticate: Bearer"; a request whose
// token is malformed, fails any check of Verify or comes in more than one
// Authorization header gets 401 with error="invalid_token" and an
// error_description naming the class of failure, never repeating the token.
// When the KeySource cannot answer at all (ErrKeySource: a JWKS endpoint
// never reached), the token is not at fault: the answer is 503, so that
// clients do not throw away tokens that are probably valid. next is never
// called for a request that was refused; refusals carry Cache-Control:
// no-store.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v == nil || next == nil {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		raw, ok, err := bearerToken(r.Header)
		if !ok {
			challenge(w, http.StatusUnauthorized, "Bearer")
			return
		}
		if err != nil {
			challenge(w, http.StatusUnauthorized, `Bearer error="invalid_token", error_description="`+err.Error()+`"`)
			return
		}
		c, err := v.Verify(r.Context(), raw)
		if err != nil {
			if errors.Is(err, ErrKeySource) {
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
				return
			}
			challenge(w, http.StatusUnauthorized, `Bearer error="invalid_token", error_description="`+describe(err)+`"`)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
	})
}

// RequireScope refuses a request unless the claims in its context (put
// there by Verifier.Middleware, which must run first) hold every one of
// scopes in their space-separated "scope". Without claims the answer is 401;
// with a scope missing it is 403 with WWW-Authenticate: Bearer
// error="insufficient_scope" and the scopes required.
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	scopes = append([]string(nil), scopes...)
	header := `Bearer error="insufficient_scope", scope=` + quote(strings.Join(scopes, " "))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFromContext(r.Context())
			if !ok {
				challenge(w, http.StatusUnauthorized, "Bearer")
				return
			}
			for _, s := range scopes {
				if !c.HasScope(s) {
					challenge(w, http.StatusForbidden, header)
					return
				}
			}
			if next == nil {
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func challenge(w http.ResponseWriter, status int, wwwAuthenticate string) {
	h := w.Header()
	h.Set("WWW-Authenticate", wwwAuthenticate)
	h.Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}

// bearerError is a malformed Authorization header; its text goes into
// error_description as is, so it holds no request data.
type bearerError string

func (e bearerError) Error() string { return string(e) }

// bearerToken returns the token of the request's bearer credentials; ok is
// false when there are none (no Authorization header, or another scheme).
func bearerToken(h http.Header) (raw string, ok bool, err error) {
	values := h.Values("Authorization")
	if len(values) == 0 {
		return "", false, nil
	}
	if len(values) > 1 {
		return "", true, bearerError("more than one Authorization header")
	}
	scheme, rest, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false, nil
	}
	raw = strings.TrimLeft(rest, " ") // RFC 9110 §11.4: 1*SP
	if !isB64Token(raw) {
		return "", true, bearerError("the Authorization header does not hold one bearer token")
	}
	return raw, true, nil
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) && b64TokenChars[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// b64TokenChars is a read-only table: a token is scanned on every request.
var b64TokenChars = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~+/" {
		t[c] = true
	}
	return t
}()

// describe names the class of a verification failure for
// error_description: fixed text, nothing taken from the token.
func describe(err error) string {
	for _, d := range [...]struct {
		err  error
		text string
	}{
		{ErrExpired, "the token has expired"},
		{ErrNotYetValid, "the token is not valid yet"},
		{ErrRevoked, "the token has been revoked"},
		{ErrTooLarge, "the token is too large"},
		{ErrMalformed, "the token is malformed"},
		{ErrAlgorithm, "the token's algorithm is not accepted"},
		{ErrUnknownKey, "the token's key is not known"},
		{ErrSignature, "the token's signature is invalid"},
		{ErrType, "the token is not an access token"},
		{ErrIssuer, "the token's issuer is not accepted"},
		{ErrAudience, "the token is not meant for this service"},
		{ErrMissingClaim, "the token lacks a required claim"},
	} {
		if errors.Is(err, d.err) {
			return d.text
		}
	}
	return "the token is invalid"
}

// quote returns s as an RFC 9110 quoted-string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t' || (c >= 0x20 && c != 0x7f):
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
