package jwt

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzStrictJSON checks the strict reader against encoding/json: whatever
// it accepts is valid JSON and valid UTF-8 with no duplicate member names;
// and a document without escapes that encoding/json accepts, that is valid
// UTF-8, has no duplicates and stays within the depth and member limits is
// accepted.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1}`, `{"a":[1,2,{"b":null}]}`, `"x"`, `1.5e3`, `-0`, `true`,
		`{"a":1,"a":2}`, `{"a":"\u00e9"}`, `{"s\u0075b":1,"sub":2}`, `[[[[[]]]]]`, `{"a":"\ud83d\ude00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := jsonReader{b: b}
		_, err := r.skip(1)
		ok := err == nil && r.end()
		dup, depth, members, stdOK := jsonShape(b)
		if ok {
			if !json.Valid(b) || !utf8.Valid(b) {
				t.Fatalf("strict reader accepted invalid input %q", b)
			}
			if dup {
				t.Fatalf("strict reader accepted duplicate names in %q", b)
			}
			return
		}
		if stdOK && !bytes.Contains(b, []byte{'\\'}) && utf8.Valid(b) && !dup && depth <= maxDepth && members <= maxMembers {
			t.Fatalf("strict reader refused valid input %q: %v", b, err)
		}
	})
}

// jsonShape walks b with encoding/json's tokenizer: whether an object has a
// duplicate member name, the deepest value's depth (the top value is 1), the
// most members of one object, and whether b is one valid JSON value.
func jsonShape(b []byte) (dup bool, depth, members int, ok bool) {
	if !json.Valid(b) {
		return false, 0, 0, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	type frame struct {
		obj   bool
		names map[string]bool
		key   bool // next token of an object is a name
	}
	var stack []*frame
	value := func() {
		if len(stack)+1 > depth {
			depth = len(stack) + 1
		}
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].key = true
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return dup, depth, members, true
		}
		if err != nil {
			return dup, depth, members, false
		}
		top := (*frame)(nil)
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				value()
				stack = append(stack, &frame{obj: v == '{', names: map[string]bool{}, key: true})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.names[v] {
					dup = true
				}
				top.names[v] = true
				top.key = false
				if len(top.names) > members {
					members = len(top.names)
				}
				continue
			}
			value()
		default:
			value()
		}
	}
}
