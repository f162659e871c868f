package security

import (
	"strings"
	"testing"
)

func TestParseJAAS(t *testing.T) {
	for _, tc := range []struct {
		in      string
		module  string
		options map[string]string
		err     string
	}{
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr=t;";`,
			module: PlainLoginModule, options: map[string]string{"username": "alice", "password": "s3cr=t;"}},
		{in: "org.apache.kafka.common.security.scram.ScramLoginModule   REQUIRED\n  username=bob\n  password=\"a \\\"quoted\\\" \\\\ pw\" ;  ",
			module: ScramLoginModule, options: map[string]string{"username": "bob", "password": `a "quoted" \ pw`}},
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${file:/etc/k.properties:pw}";`,
			module: PlainLoginModule, options: map[string]string{"username": "u", "password": "${file:/etc/k.properties:pw}"}},
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule required;`, module: PlainLoginModule, options: map[string]string{}},
		{in: ``, err: "expected a login module class name"},
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule username="u";`, err: `control flag "username"`},
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p"`, err: "missing the closing ';'"},
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="secret-pw;`, err: "never closed"},
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule required username;`, err: `option "username" has no '=value'`},
		{in: `org.apache.kafka.common.security.plain.PlainLoginModule required username="a" username="b";`, err: "given twice"},
		{in: `a.B required; c.D required;`, err: "more than one login module"},
	} {
		j, err := ParseJAAS(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseJAAS(%q): got %v, want an error saying %q", tc.in, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret-pw") {
				t.Errorf("ParseJAAS(%q): the error shows the password: %v", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseJAAS(%q): %v", tc.in, err)
			continue
		}
		if j.Module != tc.module || j.Flag != "required" || len(j.Options) != len(tc.options) {
			t.Errorf("ParseJAAS(%q) = %+v, want module %s with %v", tc.in, j, tc.module, tc.options)
		}
		for k, v := range tc.options {
			if j.Options[k] != v {
				t.Errorf("ParseJAAS(%q): option %s = %q, want %q", tc.in, k, j.Options[k], v)
			}
		}
	}
}

// FuzzParseJAAS: no input panics; an accepted one has a module, a known flag, and
// re-encoded with every value quoted, parses back to the same entry.
func FuzzParseJAAS(f *testing.F) {
	f.Add(`org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="pw";`)
	f.Add(`org.apache.kafka.common.security.scram.ScramLoginModule required username=bob password="a\"b\\c";`)
	f.Add(`x optional;`)
	f.Add(`x required a="`)
	f.Fuzz(func(t *testing.T, s string) {
		j, err := ParseJAAS(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if j.Module == "" || j.Flag == "" {
			t.Fatalf("accepted %q with no module or flag: %+v", s, j)
		}
		var b strings.Builder
		b.WriteString(j.Module + " " + j.Flag)
		for k, v := range j.Options {
			b.WriteString(" " + k + `="` + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `"`, `\"`) + `"`)
		}
		b.WriteString(";")
		again, err := ParseJAAS(b.String())
		if err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", b.String(), err)
		}
		for k, v := range j.Options {
			if again.Options[k] != v {
				t.Fatalf("option %s: %q became %q", k, v, again.Options[k])
			}
		}
	})
}
