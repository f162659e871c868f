package kc

import (
	"errors"
	"testing"
)

// The wording is ConfigException(name, value, message)'s, "Invalid value " + value +
// " for configuration " + name + ": " + message, with ConfigDef.parseType's messages for
// a String value: "Expected value to be either true or false" for BOOLEAN and, from its
// NumberFormatException handler, "Not a number of type " + type for the numbers.
func TestCheckConfigValue(t *testing.T) {
	tests := []struct {
		typ        ConfigType
		key, value string
		want       string // "" when the value is accepted
	}{
		{TypeBoolean, "follow", " TRUE ", ""},
		{TypeBoolean, "follow", "yes", "Invalid value yes for configuration follow: Expected value to be either true or false"},
		{TypeBoolean, "follow", "", "Invalid value  for configuration follow: Expected value to be either true or false"},
		{TypeInt, "batch.size", " 2000", ""},
		{TypeInt, "batch.size", "9000000000", "Invalid value 9000000000 for configuration batch.size: Not a number of type INT"},
		{TypeInt, "batch.size", "lots", "Invalid value lots for configuration batch.size: Not a number of type INT"},
		{TypeShort, "s", "32768", "Invalid value 32768 for configuration s: Not a number of type SHORT"},
		{TypeLong, "poll.ms", "9000000000", ""},
		{TypeLong, "poll.ms", "1.5", "Invalid value 1.5 for configuration poll.ms: Not a number of type LONG"},
		{TypeDouble, "ratio", "0.5d", ""},
		{TypeDouble, "ratio", "half", "Invalid value half for configuration ratio: Not a number of type DOUBLE"},
		{TypeString, "s", "anything at all", ""},
		{TypeList, "l", ",,", ""},
		{TypePassword, "p", "", ""},
		{TypeClass, "c", "", ""},
		{TypeUnspecified, "u", "x", ""},
	}
	for _, tt := range tests {
		err := CheckConfigValue(tt.typ, tt.key, tt.value)
		if tt.want == "" {
			if err != nil {
				t.Errorf("CheckConfigValue(%v, %q, %q) = %v; want nil", tt.typ, tt.key, tt.value, err)
			}
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || err.Error() != tt.want {
			t.Errorf("CheckConfigValue(%v, %q, %q) = %v; want *ConfigError %q", tt.typ, tt.key, tt.value, err, tt.want)
			continue
		}
		if ce.Key != tt.key || ce.Value != tt.value {
			t.Errorf("CheckConfigValue(%v, %q, %q): Key, Value = %q, %q", tt.typ, tt.key, tt.value, ce.Key, ce.Value)
		}
	}
}

func TestConfigErrorRedacted(t *testing.T) {
	err := CheckConfigValue(TypeInt, "pin", "12x4").(*ConfigError)
	r := err.Redacted()
	if want := "Invalid value [hidden] for configuration pin: Not a number of type INT"; r.Error() != want {
		t.Errorf("Redacted().Error() = %q; want %q", r.Error(), want)
	}
	if err.Value != "12x4" {
		t.Errorf("Redacted changed the original: Value = %q", err.Value)
	}
}

func TestConfigTypeNames(t *testing.T) {
	// ConfigDef.Type's constants, and the protocol's TYPE_ spelling of them.
	for _, name := range []string{"BOOLEAN", "STRING", "INT", "SHORT", "LONG", "DOUBLE", "LIST", "CLASS", "PASSWORD"} {
		typ, ok := ParseConfigType(name)
		if !ok || typ.String() != name {
			t.Errorf("ParseConfigType(%q) = %v, %v; want the type named %s", name, typ, ok, name)
		}
		for _, spelled := range []string{"TYPE_" + name, "type_" + name, string(rune(name[0])) + toLower(name[1:])} {
			if got, ok := ParseConfigType(spelled); !ok || got != typ {
				t.Errorf("ParseConfigType(%q) = %v, %v; want %v", spelled, got, ok, typ)
			}
		}
	}
	for _, name := range []string{"", "UNSPECIFIED", "TYPE_", "INTEGER", "TYPE_UNSPECIFIED", "bool"} {
		if typ, ok := ParseConfigType(name); ok {
			t.Errorf("ParseConfigType(%q) = %v; want not ok", name, typ)
		}
	}
	if got := ConfigType(42).String(); got != "ConfigType(42)" {
		t.Errorf("ConfigType(42).String() = %q", got)
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
