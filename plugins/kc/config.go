package kc

import (
	"strconv"
	"strings"
)

// ConfigType is the type of a config key, as Kafka Connect's ConfigDef.Type.
//
// The values 1 to 8 are those of tributary.plugin.v1.ConfigKey.Type (TYPE_STRING = 1 …
// TYPE_CLASS = 8), so kc.ConfigType(k.GetType()) converts a key from the plugin protocol;
// kernel/config's tests check that the two stay in step. TypeShort has no protocol value
// yet.
type ConfigType int32

// The config types. The zero value, TypeUnspecified, accepts any value.
const (
	TypeUnspecified ConfigType = iota
	TypeString
	TypeInt
	TypeLong
	TypeDouble
	TypeBoolean
	TypeList
	TypePassword
	TypeClass
	TypeShort
)

var typeNames = [...]string{
	TypeUnspecified: "UNSPECIFIED",
	TypeString:      "STRING",
	TypeInt:         "INT",
	TypeLong:        "LONG",
	TypeDouble:      "DOUBLE",
	TypeBoolean:     "BOOLEAN",
	TypeList:        "LIST",
	TypePassword:    "PASSWORD",
	TypeClass:       "CLASS",
	TypeShort:       "SHORT",
}

// String returns the type's name as ConfigDef.Type spells it: "INT", "BOOLEAN", ….
func (t ConfigType) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "ConfigType(" + strconv.Itoa(int(t)) + ")"
}

// ParseConfigType returns the type named name: a ConfigDef.Type name in any case ("INT",
// "boolean"), with or without the protocol's "TYPE_" prefix ("TYPE_LIST"). ok is false
// for any other name, "UNSPECIFIED" included.
func ParseConfigType(name string) (t ConfigType, ok bool) {
	if len(name) > 5 && strings.EqualFold(name[:5], "TYPE_") {
		name = name[5:]
	}
	for i, n := range typeNames {
		if i != int(TypeUnspecified) && strings.EqualFold(name, n) {
			return ConfigType(i), true
		}
	}
	return TypeUnspecified, false
}

// Hidden is what Kafka Connect shows in place of a secret value (Password.toString).
const Hidden = "[hidden]"

// ConfigError is a value a config key does not accept, as Kafka's ConfigException words
// it: "Invalid value VALUE for configuration KEY: REASON".
type ConfigError struct {
	Key    string // the config key
	Value  string // the value as given, untrimmed, or Hidden for a secret
	Reason string // why it is refused, e.g. "Not a number of type INT"
}

// Error returns "Invalid value VALUE for configuration KEY: REASON", the value written as
// it was given, unquoted, as Kafka Connect writes it.
func (e *ConfigError) Error() string {
	return "Invalid value " + e.Value + " for configuration " + e.Key + ": " + e.Reason
}

// Redacted returns a copy of e that shows Hidden in place of the value, for a key whose
// values are secret.
func (e *ConfigError) Redacted() *ConfigError {
	c := *e
	c.Value = Hidden
	return &c
}

// Reasons for refusing a value, as ConfigDef.parseType words them for a String value.
const (
	reasonBoolean = "Expected value to be either true or false"
	reasonNumber  = "Not a number of type " // + the type's name
)

// CheckConfigValue reports whether value is acceptable for a key of type t, as
// ConfigDef.parseType decides for a String value: nil, or a *ConfigError worded as Kafka
// Connect words it, for example
//
//	Invalid value yes for configuration follow: Expected value to be either true or false
//	Invalid value 9000000000 for configuration batch.size: Not a number of type INT
//
// STRING, PASSWORD, LIST and CLASS accept any string (a class name is resolved where it
// is used, not here); so does TypeUnspecified. For a key whose values are secret, show
// the error's Redacted copy.
func CheckConfigValue(t ConfigType, key, value string) error {
	var ok bool
	switch t {
	case TypeBoolean:
		if _, ok = ParseBool(value); !ok {
			return &ConfigError{Key: key, Value: value, Reason: reasonBoolean}
		}
		return nil
	case TypeInt:
		_, ok = ParseInt(value)
	case TypeShort:
		_, ok = ParseShort(value)
	case TypeLong:
		_, ok = ParseLong(value)
	case TypeDouble:
		_, ok = ParseDouble(value)
	default:
		return nil
	}
	if !ok {
		return &ConfigError{Key: key, Value: value, Reason: reasonNumber + t.String()}
	}
	return nil
}
