package sdk

import (
	"fmt"
	"testing"
)

func TestConfigDefParse(t *testing.T) {
	def := new(ConfigDef).
		Define("s", TypeString, High, "", Required()).
		Define("i", TypeInt, Low, "", Default("7")).
		Define("l", TypeLong, Low, "").
		Define("d", TypeDouble, Low, "").
		Define("b", TypeBoolean, Low, "", Default("TRUE")).
		Define("list", TypeList, Low, "", Default("a, b,,c "))
	for _, tc := range []struct {
		name string
		raw  map[string]string
		errs string
	}{
		{"defaults", map[string]string{"s": "x"}, "[]"},
		{"all set", map[string]string{"s": "x", "i": "-2147483648", "l": "9223372036854775807", "d": "1e3", "b": "false"}, "[]"},
		{"required blank", map[string]string{"s": "  "}, `[s: Missing required configuration "s" which has no default value.]`},
		{"int overflow", map[string]string{"s": "x", "i": "2147483648"}, `[i: Invalid value 2147483648 for configuration i: not a 32-bit integer]`},
		{"bad long", map[string]string{"s": "x", "l": "1.0"}, `[l: Invalid value 1.0 for configuration l: not a 64-bit integer]`},
		{"bad double", map[string]string{"s": "x", "d": "one"}, `[d: Invalid value one for configuration d: not a number]`},
		{"bad bool", map[string]string{"s": "x", "b": "yes"}, `[b: Invalid value yes for configuration b: expected true or false]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := def.Parse(tc.raw)
			if got := fmt.Sprint(errs); got != tc.errs {
				t.Fatalf("errors = %s, want %s", got, tc.errs)
			}
			if _, ok := tc.raw["i"]; !ok && cfg["i"] != "7" {
				t.Fatalf("default of i not applied: %v", cfg)
			}
		})
	}

	cfg, _ := def.Parse(map[string]string{"s": "x", "name": "kept"})
	if cfg["name"] != "kept" {
		t.Fatal("an undefined key was dropped")
	}
	if i, err := cfg.Int("i"); err != nil || i != 7 {
		t.Fatalf("Int(i) = %d, %v", i, err)
	}
	if b, err := cfg.Bool("b"); err != nil || !b {
		t.Fatalf("Bool(b) = %v, %v", b, err)
	}
	if got := fmt.Sprint(cfg.List("list")); got != "[a b c]" {
		t.Fatalf("List(list) = %s", got)
	}
	if _, err := cfg.Int64("s"); err == nil || err.Error() != `config s: "x" is not a 64-bit integer` {
		t.Fatalf("Int64(s) error = %v", err)
	}
}

func TestConfigDefDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("defining a key twice did not panic")
		}
	}()
	new(ConfigDef).Define("a", TypeString, Low, "").Define("a", TypeInt, Low, "")
}
