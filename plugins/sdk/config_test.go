package sdk

import (
	"fmt"
	"testing"

	"github.com/tributary-dev/tributary/plugins/kc"
)

// keyDef returns the definition of name, or nil.
func (d *ConfigDef) keyDef(name string) *keyDef {
	for _, k := range d.keys {
		if k.pb.Name == name {
			return k
		}
	}
	return nil
}

func TestConfigDefParse(t *testing.T) {
	def := new(ConfigDef).
		Define("s", TypeString, High, "", Required()).
		Define("i", TypeInt, Low, "", Default("7")).
		Define("l", TypeLong, Low, "").
		Define("d", TypeDouble, Low, "").
		Define("b", TypeBoolean, Low, "", Default("TRUE")).
		Define("list", TypeList, Low, "", Default("a, b,,c ")).
		Define("pin", TypeInt, Low, "", Secret()).
		Define("at.least", TypeLong, Low, "", AtLeast(10))
	for _, tc := range []struct {
		name string
		raw  map[string]string
		errs string
	}{
		{"defaults", map[string]string{"s": "x"}, "[]"},
		{"all set", map[string]string{"s": "x", "i": "-2147483648", "l": "9223372036854775807", "d": "1e3", "b": "false"}, "[]"},
		{"required blank", map[string]string{"s": "  "}, `[s: Missing required configuration "s" which has no default value.]`},
		{"int overflow", map[string]string{"s": "x", "i": "2147483648"}, `[i: Invalid value 2147483648 for configuration i: Not a number of type INT]`},
		{"bad long", map[string]string{"s": "x", "l": "1.0"}, `[l: Invalid value 1.0 for configuration l: Not a number of type LONG]`},
		{"bad double", map[string]string{"s": "x", "d": "one"}, `[d: Invalid value one for configuration d: Not a number of type DOUBLE]`},
		{"bad bool", map[string]string{"s": "x", "b": "yes"}, `[b: Invalid value yes for configuration b: Expected value to be either true or false]`},
		{"java trims", map[string]string{"s": "x", "i": " 12\t", "b": "\nfalse "}, "[]"},
		{"secret hidden", map[string]string{"s": "x", "pin": "12ab"}, `[pin: Invalid value [hidden] for configuration pin: Not a number of type INT]`},
		{"placeholder unchecked", map[string]string{"s": "x", "i": "${file:/etc/t.properties:i}"}, "[]"},
		{"check worded as type", map[string]string{"s": "x", "at.least": "3"}, `[at.least: Invalid value 3 for configuration at.least: Value must be at least 10]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := def.Parse(tc.raw)
			if got := fmt.Sprint(errs); got != tc.errs {
				t.Fatalf("errors = %s, want %s", got, tc.errs)
			}
			for _, e := range errs { // the kernel checks the same definitions; same words, one report
				if want := kc.CheckConfigValue(kc.ConfigType(def.keyDef(e.Key).pb.Type), e.Key, tc.raw[e.Key]); want != nil && e.Key != "pin" && e.Message != want.Error() {
					t.Errorf("SDK says %q, kernel's kc says %q", e.Message, want)
				}
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
	if got := fmt.Sprint(cfg.List("list")); got != "[a b  c]" { // Kafka Connect keeps the empty item
		t.Fatalf("List(list) = %s", got)
	}
	if _, err := cfg.Int64("s"); err == nil || err.Error() != `Invalid value x for configuration s: Not a number of type LONG` {
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
