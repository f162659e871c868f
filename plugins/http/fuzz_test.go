package main

import (
	"strings"
	"testing"
)

// FuzzPointer parses pointers and looks them up in documents: no panic, and a pointer
// built by escaping a parsed pointer's tokens parses to the same tokens.
func FuzzPointer(f *testing.F) {
	for _, s := range [][2]string{{"", `{"a":1}`}, {"/a/0/b", `{"a":[{"b":2}]}`}, {"/a~1b/~0", `{"a/b":{"~":3}}`}, {"/01", `[1,2]`}, {"/-", `[1]`}, {"/~", `{}`}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, ptr, doc string) {
		p, err := parsePointer(ptr)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, tok := range p.tokens {
			b.WriteString("/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1"))
		}
		q, err := parsePointer(b.String())
		if err != nil || strings.Join(q.tokens, "\x00") != strings.Join(p.tokens, "\x00") || len(q.tokens) != len(p.tokens) {
			t.Fatalf("%q re-escaped as %q parses to %q, %v", ptr, b.String(), q.tokens, err)
		}
		if v, err := decodeJSON([]byte(doc)); err == nil {
			_, _ = p.lookup(v)
		}
	})
}

// FuzzTemplate parses templates and renders them: no panic; rendering every variable
// as its own placeholder gives the input back; a value never makes placeholders.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"http://h/${entityName}/${offset}", "${offset", "$${offset}}", "${file:/x:y}${offset}", "a}${", "${}"} {
		f.Add(s, "v${offset}")
	}
	f.Fuzz(func(t *testing.T, s, value string) {
		tm, err := parseTemplate(s, func(n string) bool { return n == "offset" || n == "entityName" })
		if err != nil {
			return
		}
		if got := tm.render(func(n string) string { return "${" + n + "}" }, nil); got != s {
			t.Fatalf("%q renders back as %q", s, got)
		}
		out := tm.render(func(string) string { return value }, nil)
		if !tm.uses("offset") && !tm.uses("entityName") && out != s {
			t.Fatalf("%q without variables renders as %q", s, out)
		}
	})
}

// FuzzDecodeJSON decodes bodies: no panic, and what decodes writes back as JSON that
// decodes to the same JSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true],"a":{}}`, `[]`, `1e999`, `"\u00e9"`, `{"b":1} x`, `<html>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := decodeJSON([]byte(s))
		if err != nil {
			return
		}
		once := appendJSON(nil, v)
		w, err := decodeJSON(once)
		if err != nil {
			t.Fatalf("%q wrote %s, which does not decode: %v", s, once, err)
		}
		if twice := appendJSON(nil, w); string(twice) != string(once) {
			t.Fatalf("%q: %s then %s", s, once, twice)
		}
	})
}
