package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// pointer is a parsed JSON Pointer (RFC 6901): the reference tokens after unescaping.
// The empty pointer "" refers to the whole document.
type pointer struct {
	text   string
	tokens []string
}

// parsePointer parses s as an RFC 6901 JSON Pointer: "" or "/"-prefixed tokens, in which
// "~1" stands for "/" and "~0" for "~"; any other "~" is an error, as Jackson's
// JsonPointer.compile refuses it.
func parsePointer(s string) (pointer, error) {
	p := pointer{text: s}
	if s == "" {
		return p, nil
	}
	if s[0] != '/' {
		return p, fmt.Errorf("JSON pointer %q must be empty or start with '/'", s)
	}
	for _, raw := range strings.Split(s[1:], "/") {
		var b strings.Builder
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			if c != '~' {
				b.WriteByte(c)
				continue
			}
			if i+1 >= len(raw) || (raw[i+1] != '0' && raw[i+1] != '1') {
				return p, fmt.Errorf("JSON pointer %q: '~' must be followed by 0 or 1", s)
			}
			if raw[i+1] == '0' {
				b.WriteByte('~')
			} else {
				b.WriteByte('/')
			}
			i++
		}
		p.tokens = append(p.tokens, b.String())
	}
	return p, nil
}

// String returns the pointer as it was written.
func (p pointer) String() string { return p.text }

// isRoot reports whether p refers to the whole document.
func (p pointer) isRoot() bool { return len(p.tokens) == 0 }

// lookup returns the value p refers to in v (a value from decodeJSON); ok is false when
// a token names no member or element. An array index is a decimal number without
// leading zeros, as RFC 6901 says; "-" (past the end) never refers to a value.
func (p pointer) lookup(v any) (any, bool) {
	for _, tok := range p.tokens {
		switch x := v.(type) {
		case data.Map:
			found := false
			for _, e := range x {
				if e.Key == tok {
					v, found = e.Value, true
					break
				}
			}
			if !found {
				return nil, false
			}
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// arrayIndex parses an RFC 6901 array index: "0" or digits not starting with 0.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(tok)
	return n, err == nil
}
