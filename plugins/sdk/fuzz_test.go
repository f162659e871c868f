package sdk

import (
	"bytes"
	"strings"
	"testing"
)

// The SDK reads source partitions and offsets the kernel stored (FuzzParseSourceMap) and
// configs a user wrote (FuzzConfigDefParse): neither may panic on any input.

func FuzzParseSourceMap(f *testing.F) {
	for _, s := range []string{`{"position":12}`, `{"filename":"/a b\"c"}`, `{"n":18446744073709551616}`,
		`{"nested":{"a":[1,2,{"b":null}]}}`, `{}`, `null`, `[]`, `{"a":1} trailing`, `{"\u00e9":"<&>"}`, `{"a":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseSourceMap(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "decode ") {
				t.Fatalf("parseSourceMap(%q) error %q does not say what it decoded", b, err)
			}
			return
		}
		// What was read is stored canonically: written, read back and written again, it
		// is the same map and the same bytes.
		enc, err := appendSourceMap(nil, m)
		if err != nil {
			t.Fatalf("appendSourceMap of what parseSourceMap(%q) read: %v", b, err)
		}
		m2, err := parseSourceMap(enc)
		if err != nil {
			t.Fatalf("parseSourceMap of its own canonical form %q (from %q): %v", enc, b, err)
		}
		if !sameSourceMap(m, m2) {
			t.Fatalf("%q read back from its canonical form %q as a different map", b, enc)
		}
		if enc2, _ := appendSourceMap(nil, m2); !bytes.Equal(enc, enc2) {
			t.Fatalf("canonical form not stable: %q then %q", enc, enc2)
		}
	})
}

// secretMark starts the secret the fuzzer chooses: no message may show it.
const secretMark = "S3CR3T"

func FuzzConfigDefParse(f *testing.F) {
	def := new(ConfigDef).
		Define("topic", TypeString, High, "Topic.", Required()).
		Define("count", TypeInt, Low, "Count.", Default("3"), AtLeast(1)).
		Define("big", TypeLong, Low, "Long.").
		Define("ratio", TypeDouble, Low, "Ratio.").
		Define("on", TypeBoolean, Low, "Bool.", Default("false")).
		Define("mode", TypeString, Low, "Mode.", OneOf("a", "b")).
		Define("list", TypeList, Low, "List.").
		Define("password", TypePassword, Low, "Secret.", Secret()).
		RefuseUnknown()
	f.Add("topic=t\ncount=5", "pw")
	f.Add("count=zero\nmode=c\nextra=1", "x")
	f.Add("topic=${env:T}\nbig=99999999999999999999\nratio=NaN", "")
	f.Add("on=maybe\nlist=a,,b\ntasks.max=2", "not-a-number")
	f.Fuzz(func(t *testing.T, lines, secret string) {
		raw := map[string]string{"password": secretMark + secret}
		for line := range strings.SplitSeq(lines, "\n") {
			k, v, _ := strings.Cut(line, "=")
			if k != "password" {
				raw[k] = v
			}
		}
		cfg, errs := def.Parse(raw)
		for k, v := range raw {
			if cfg[k] != v {
				t.Fatalf("Parse changed %q from %q to %q", k, v, cfg[k])
			}
		}
		failed := map[string]bool{}
		for _, e := range errs {
			if e.Message == "" {
				t.Fatalf("an error says nothing: %+v", e)
			}
			if _, given := raw[e.Key]; !given && !def.defines(e.Key) {
				t.Fatalf("an error names %q, which is neither given nor defined: %+v", e.Key, e)
			}
			if strings.Contains(e.Message, secretMark) {
				t.Fatalf("an error shows the secret value: %+v", e)
			}
			failed[e.Key] = true
		}
		if strings.TrimSpace(raw["topic"]) == "" && !failed["topic"] {
			t.Fatalf("a missing required topic was accepted: %q", raw)
		}
		if _, given := raw["count"]; !given && cfg["count"] != "3" {
			t.Fatalf("count not defaulted: %q", cfg["count"])
		}
	})
}
