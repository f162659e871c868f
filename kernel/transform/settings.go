package transform

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// FieldError is one problem with one key of a connector config. Message is a complete
// sentence that names the key. It is the same shape as kernel/config's FieldError, so the
// admin service can merge both.
type FieldError struct {
	Key     string
	Message string
}

func (e FieldError) Error() string { return e.Message }

// keyDef defines one setting of a transform or predicate, as a ConfigDef entry upstream.
type keyDef struct {
	name       string
	typ        pluginv1.ConfigKey_Type
	required   bool    // no default: the key must be given
	def        *string // the default; nil means null (absent, nothing set)
	importance pluginv1.ConfigKey_Importance
	doc        string
}

const (
	high   = pluginv1.ConfigKey_IMPORTANCE_HIGH
	medium = pluginv1.ConfigKey_IMPORTANCE_MEDIUM
	low    = pluginv1.ConfigKey_IMPORTANCE_LOW

	tString = pluginv1.ConfigKey_TYPE_STRING
	tList   = pluginv1.ConfigKey_TYPE_LIST
	tBool   = pluginv1.ConfigKey_TYPE_BOOLEAN
	tInt    = pluginv1.ConfigKey_TYPE_INT
)

// required defines a key with no default.
func required(name string, typ pluginv1.ConfigKey_Type, imp pluginv1.ConfigKey_Importance, doc string) keyDef {
	return keyDef{name: name, typ: typ, required: true, importance: imp, doc: doc}
}

// optional defines a key with a default value.
func optional(name string, typ pluginv1.ConfigKey_Type, def string, imp pluginv1.ConfigKey_Importance, doc string) keyDef {
	return keyDef{name: name, typ: typ, def: &def, importance: imp, doc: doc}
}

// nullable defines a key whose default is null: absent means not set.
func nullable(name string, typ pluginv1.ConfigKey_Type, imp pluginv1.ConfigKey_Importance, doc string) keyDef {
	return keyDef{name: name, typ: typ, importance: imp, doc: doc}
}

// replaceNullKey is KIP-1040's replace.null.with.default.
var replaceNullKey = optional("replace.null.with.default", tBool, "true", medium,
	"Whether to replace fields that have a default value and that are null to the default value. "+
		"When set to true, the default value is used, otherwise null is used.")

func (k keyDef) configKey() *pluginv1.ConfigKey {
	ck := &pluginv1.ConfigKey{Name: k.name, Type: k.typ, Required: k.required,
		Importance: k.importance, Documentation: k.doc}
	if k.def != nil {
		ck.HasDefault, ck.DefaultValue = true, *k.def
	}
	return ck
}

// settings reads one transform's or predicate's own keys (prefix stripped) the way Kafka's
// ConfigDef parses them, collecting every problem instead of stopping at the first.
type settings struct {
	prefix string // "transforms.a." or "predicates.p."
	props  map[string]string
	defs   []keyDef
	errs   []FieldError
}

func (s *settings) def(name string) keyDef {
	for _, d := range s.defs {
		if d.name == name {
			return d
		}
	}
	panic("transform: undefined setting " + name) // a programming error in this package
}

// raw returns the trimmed value of a key, or its default; ok is false when the value is
// null (absent with a null default, or absent and required, which is reported).
func (s *settings) raw(name string) (v string, ok bool) {
	d := s.def(name)
	if v, present := s.props[name]; present {
		if !utf8.ValidString(v) {
			// Record fields are protobuf strings: a name or value that is not UTF-8
			// would make every record it touches unsendable.
			s.invalid(name, strconv.Quote(v), "not valid UTF-8")
			return "", false
		}
		return kc.Trim(v), true // ConfigDef trims as Java's String.trim
	}
	if d.required {
		s.errs = append(s.errs, FieldError{Key: s.prefix + name,
			Message: fmt.Sprintf("Missing required configuration %q which has no default value.", s.prefix+name)})
		return "", false
	}
	if d.def == nil {
		return "", false
	}
	return *d.def, true
}

// str reads a STRING key; set is false when it is null.
func (s *settings) str(name string) (v string, set bool) { return s.raw(name) }

// list reads a LIST key as ConfigDef parses one (kc.ParseList): comma-separated, blanks
// around commas ignored, "" is empty.
func (s *settings) list(name string) []string {
	v, ok := s.raw(name)
	if !ok {
		return nil
	}
	return kc.ParseList(v)
}

// boolean reads a BOOLEAN key (kc.ParseBool).
func (s *settings) boolean(name string) bool {
	v, ok := s.raw(name)
	if !ok {
		return false
	}
	b, ok := kc.ParseBool(v)
	if !ok {
		s.reject(kc.TypeBoolean, name)
	}
	return b
}

// integer reads an INT key (32 bits, as Java's int).
func (s *settings) integer(name string) (n int32, set bool) {
	v, ok := s.raw(name)
	if !ok {
		return 0, false
	}
	i, ok := kc.ParseInt(v)
	if !ok {
		s.reject(kc.TypeInt, name)
		return 0, false
	}
	return i, true
}

// nonEmptyList reads a required LIST that must hold at least one entry.
func (s *settings) nonEmptyList(name string) []string {
	_, present := s.props[name]
	l := s.list(name)
	if present && len(l) == 0 {
		s.invalid(name, "", "Empty list")
	}
	return l
}

// oneOf reads a STRING key that must be one of the given values (case-sensitive, as
// ConfigDef.ValidString).
func (s *settings) oneOf(name string, values ...string) string {
	v, ok := s.raw(name)
	if !ok {
		return ""
	}
	for _, x := range values {
		if v == x {
			return v
		}
	}
	s.invalid(name, v, "String must be one of: "+strings.Join(values, ", "))
	return ""
}

// invalid records ConfigException(name, value, message).
func (s *settings) invalid(name, value, msg string) {
	e := &kc.ConfigError{Key: s.prefix + name, Value: value, Reason: msg}
	s.errs = append(s.errs, FieldError{Key: e.Key, Message: e.Error()})
}

// reject records the error ConfigDef gives for the value of key name, which does not
// parse as type t; the value is shown as it was given, untrimmed.
func (s *settings) reject(t kc.ConfigType, name string) {
	err := kc.CheckConfigValue(t, s.prefix+name, s.props[name])
	s.errs = append(s.errs, FieldError{Key: s.prefix + name, Message: err.Error()})
}

// fail records a problem with a key in words of the caller's choosing; the message is
// prefixed with the full key.
func (s *settings) fail(name, format string, args ...any) {
	s.errs = append(s.errs, FieldError{Key: s.prefix + name,
		Message: s.prefix + name + ": " + fmt.Sprintf(format, args...)})
}

// regex reads a regular expression key; nonEmpty refuses "" (ConfigDef.NonEmptyString).
func (s *settings) regex(name string, nonEmpty bool) *javaRegex {
	v, ok := s.raw(name)
	if !ok {
		return nil
	}
	if nonEmpty && v == "" {
		s.invalid(name, v, "String must be non-empty")
		return nil
	}
	re, err := compileJavaRegex(v)
	if err != nil {
		s.invalid(name, v, "Invalid regex: "+err.Error())
		return nil
	}
	return re
}
