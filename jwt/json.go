package jwt

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// A strict, allocation-light JSON reader for JOSE headers and JWT claims.
// encoding/json is too lenient for untrusted tokens (duplicate members, last
// one wins; invalid UTF-8 replaced) and too slow for the hot path. This
// reader follows RFC 8259 exactly and refuses: duplicate member names
// (compared after unescaping), invalid UTF-8, lone surrogates, control
// characters in strings, nesting deeper than maxDepth, and anything after the
// top-level value but white space.

const maxDepth = 32

var errJSON = errors.New("invalid JSON")

type jsonReader struct {
	b   []byte
	i   int
	buf []byte // scratch for unescaped strings
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) peek() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *jsonReader) expect(c byte) bool {
	if r.peek() == c {
		r.i++
		return true
	}
	return false
}

// end reports whether only white space remains.
func (r *jsonReader) end() bool {
	r.ws()
	return r.i == len(r.b)
}

// object reads an object, calling member for each member name (unescaped;
// valid only during the call) with the reader positioned at the value, which
// member must consume. Duplicate names are refused, and so are objects of
// more than maxMembers members: no access token needs that many, and the
// cap keeps the duplicate check cheap on hostile input.
func (r *jsonReader) object(member func(name []byte) error) error {
	if !r.expect('{') {
		return errJSON
	}
	if r.expect('}') {
		return nil
	}
	// The names seen so far live on the stack for ordinary objects; only
	// an object of more than len(local) members spills to the heap.
	var local [16]nameRef
	seen := local[:0]
	for {
		if r.peek() != '"' {
			return errJSON
		}
		name, err := r.str()
		if err != nil {
			return err
		}
		// Keep a private copy only if name points into the scratch buffer.
		if len(name) > 0 && len(r.buf) > 0 && &name[0] == &r.buf[0] {
			name = append([]byte(nil), name...)
		}
		h := fnv64(name)
		for _, e := range seen {
			if e.hash == h && string(e.name) == string(name) {
				return errDuplicate
			}
		}
		if len(seen) >= maxMembers {
			return errJSON
		}
		seen = append(seen, nameRef{h, name})
		if !r.expect(':') {
			return errJSON
		}
		r.ws()
		if err := member(name); err != nil {
			return err
		}
		if r.expect(',') {
			continue
		}
		if r.expect('}') {
			return nil
		}
		return errJSON
	}
}

const maxMembers = 100

type nameRef struct {
	hash uint64
	name []byte
}

func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

var errDuplicate = errors.New("duplicate member name")

// str reads a string and returns its unescaped bytes: a slice of the input
// when it has no escapes, else of the scratch buffer.
func (r *jsonReader) str() ([]byte, error) {
	if r.peek() != '"' {
		return nil, errJSON
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			if !utf8.Valid(s) {
				return nil, errJSON
			}
			return s, nil
		case c == '\\':
			return r.strEscaped(start)
		case c < 0x20:
			return nil, errJSON
		}
		r.i++
	}
	return nil, errJSON
}

func (r *jsonReader) strEscaped(start int) ([]byte, error) {
	out := append(r.buf[:0], r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			r.buf = out
			if !utf8.Valid(out) {
				return nil, errJSON
			}
			return out, nil
		case c < 0x20:
			return nil, errJSON
		case c != '\\':
			out = append(out, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			return nil, errJSON
		}
		e := r.b[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			cp, ok := r.hex4()
			if !ok {
				return nil, errJSON
			}
			if utf16.IsSurrogate(cp) {
				if cp >= 0xDC00 || r.i+1 >= len(r.b) || r.b[r.i] != '\\' || r.b[r.i+1] != 'u' {
					return nil, errJSON
				}
				r.i += 2
				lo, ok := r.hex4()
				if !ok {
					return nil, errJSON
				}
				cp = utf16.DecodeRune(cp, lo)
				if cp == utf8.RuneError {
					return nil, errJSON
				}
			}
			out = utf8.AppendRune(out, cp)
		default:
			return nil, errJSON
		}
	}
	return nil, errJSON
}

func (r *jsonReader) hex4() (rune, bool) {
	if r.i+4 > len(r.b) {
		return 0, false
	}
	var v rune
	for _, c := range r.b[r.i : r.i+4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			v |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	r.i += 4
	return v, true
}

// numericDate reads a NumericDate: a JSON integer of seconds, 0 ≤ v ≤ the
// year 9999. Fractions, exponents, strings and null are refused.
func (r *jsonReader) numericDate() (int64, error) {
	r.ws()
	start := r.i
	var v int64
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		v = v*10 + int64(r.b[r.i]-'0')
		r.i++
		if v > maxNumericDate {
			return 0, errJSON
		}
	}
	digits := r.i - start
	if digits == 0 || (digits > 1 && r.b[start] == '0') {
		return 0, errJSON
	}
	if r.i < len(r.b) {
		switch r.b[r.i] {
		case '.', 'e', 'E':
			return 0, errJSON
		}
	}
	return v, nil
}

const maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z

// strings reads a string or an array of strings (the two forms of "aud").
func (r *jsonReader) strings(allowSingle bool, dst []string) ([]string, error) {
	if allowSingle && r.peek() == '"' {
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return append(dst, string(s)), nil
	}
	if !r.expect('[') {
		return nil, errJSON
	}
	if r.expect(']') {
		return dst, nil
	}
	for {
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		dst = append(dst, string(s))
		if r.expect(',') {
			continue
		}
		if r.expect(']') {
			return dst, nil
		}
		return nil, errJSON
	}
}

// skip validates and skips one value of any kind, returning its raw bytes.
func (r *jsonReader) skip(depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, errJSON
	}
	r.ws()
	start := r.i
	switch r.peek() {
	case '"':
		if _, err := r.str(); err != nil {
			return nil, err
		}
	case '{':
		err := r.object(func([]byte) error {
			_, err := r.skip(depth + 1)
			return err
		})
		if err != nil {
			return nil, err
		}
	case '[':
		r.i++
		if !r.expect(']') {
			for {
				if _, err := r.skip(depth + 1); err != nil {
					return nil, err
				}
				if r.expect(',') {
					continue
				}
				if r.expect(']') {
					break
				}
				return nil, errJSON
			}
		}
	case 't':
		return r.literal(start, "true")
	case 'f':
		return r.literal(start, "false")
	case 'n':
		return r.literal(start, "null")
	default:
		if err := r.number(); err != nil {
			return nil, err
		}
	}
	return r.b[start:r.i], nil
}

func (r *jsonReader) literal(start int, lit string) ([]byte, error) {
	if len(r.b)-r.i < len(lit) || string(r.b[r.i:r.i+len(lit)]) != lit {
		return nil, errJSON
	}
	r.i += len(lit)
	return r.b[start:r.i], nil
}

// number validates an RFC 8259 number.
func (r *jsonReader) number() error {
	digits := func() int {
		s := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		return r.i - s
	}
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	s := r.i
	n := digits()
	if n == 0 || (n > 1 && r.b[s] == '0') {
		return errJSON
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return errJSON
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return errJSON
		}
	}
	return nil
}
