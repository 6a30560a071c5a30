package jwt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// JWKSMaxAge is how long clients may cache the document served by
// JWKSHandler (Cache-Control max-age). A key must be published at least this
// long before it starts signing, so that every verifier has seen it: add it
// to the KeySet as a verify-only key first, and Rotate to it later.
const JWKSMaxAge = 5 * time.Minute

// JWKSHandler serves the public JWK Set of ks ({"keys":[...]}) for other
// services to verify its tokens with (RemoteKeys is the client side).
//
// Only public keys are published, each with kid, alg and use=sig; HMAC
// secrets and private key members never are. The response carries
// Cache-Control (public, max-age of JWKSMaxAge) and a strong ETag, and
// answers If-None-Match with 304. Only GET and HEAD are allowed. The
// document follows Rotate and Retire at once; it is rendered once per change
// of the set, not per request.
func JWKSHandler(ks *KeySet) http.Handler {
	return &jwksHandler{ks: ks}
}

type jwksHandler struct {
	ks *KeySet

	mu   sync.Mutex
	doc  *jwksDoc
	keys []*Key // the key set the document was rendered from
}

type jwksDoc struct {
	body []byte
	etag string
}

var jwksCacheControl = "public, max-age=" + strconv.Itoa(int(JWKSMaxAge/time.Second))

func (h *jwksHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	doc, err := h.document()
	if err != nil {
		// Unreachable with keys built by this package; the detail stays
		// out of the response.
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/jwk-set+json")
	hdr.Set("Cache-Control", jwksCacheControl)
	hdr.Set("ETag", doc.etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	// ServeContent implements If-None-Match (weak comparison, "*", lists)
	// and HEAD as RFC 9110 specifies.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(doc.body))
}

// document returns the rendered set, rendering it again only when the
// KeySet has changed: KeySet replaces its keys on every change, so pointer
// identity of the keys tells whether the cached document is still current.
func (h *jwksHandler) document() (*jwksDoc, error) {
	if h.ks == nil {
		return nil, fmt.Errorf("%w: JWKSHandler without a KeySet", ErrKeySource)
	}
	keys := h.ks.Keys()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.doc != nil && sameKeys(h.keys, keys) {
		return h.doc, nil
	}
	doc, err := renderJWKS(keys)
	if err != nil {
		return nil, err
	}
	h.doc, h.keys = doc, keys
	return doc, nil
}

func sameKeys(a, b []*Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func renderJWKS(keys []*Key) (*jwksDoc, error) {
	set := struct {
		Keys []json.RawMessage `json:"keys"`
	}{Keys: make([]json.RawMessage, 0, len(keys))}
	for _, k := range keys {
		pub := k.Public()
		if pub == nil {
			continue // an HMAC secret: never published
		}
		b, err := pub.MarshalJSON()
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, b)
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	return &jwksDoc{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}, nil
}
