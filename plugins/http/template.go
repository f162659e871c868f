package main

import (
	"fmt"
	"strings"
)

// template is a config value with ${name} placeholders, parsed once: literal text and
// variable names in turn. A placeholder with a ':' in it is a config provider's
// (${file:/path:key}); the kernel resolves those before a task starts, so the task never
// sees one, and Validate, which may, leaves them alone as literal text.
type template struct {
	parts []templatePart
}

type templatePart struct {
	literal string
	name    string // a variable when non-empty
}

// parseTemplate splits s into literals and ${name} placeholders; allowed says which
// names are variables (the others are an error naming them). "$" not followed by "{",
// and a "${" never closed, are literal text.
func parseTemplate(s string, allowed func(name string) bool) (template, error) {
	var t template
	var lit strings.Builder
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			lit.WriteString(s[i:])
			break
		}
		name := s[i+2 : i+2+end]
		if strings.Contains(name, ":") {
			lit.WriteString(s[i : i+3+end]) // a config provider's placeholder
			i += 3 + end
			continue
		}
		if !allowed(name) {
			return template{}, fmt.Errorf("unknown template variable ${%s}", name)
		}
		if lit.Len() > 0 {
			t.parts = append(t.parts, templatePart{literal: lit.String()})
			lit.Reset()
		}
		t.parts = append(t.parts, templatePart{name: name})
		i += 3 + end
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, templatePart{literal: lit.String()})
	}
	return t, nil
}

// render returns the template with every variable replaced by vars(name), passed
// through escape (nil: as it is).
func (t template) render(vars func(name string) string, escape func(string) string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.literal)
			continue
		}
		v := vars(p.name)
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// uses reports whether the template has the variable name.
func (t template) uses(name string) bool {
	for _, p := range t.parts {
		if p.name == name {
			return true
		}
	}
	return false
}
