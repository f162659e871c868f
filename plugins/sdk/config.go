package sdk

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// ConfigType is a config key's type, as Kafka Connect's ConfigDef.Type.
type ConfigType int

// Config key types, for [ConfigDef.Define]. The values are the protocol's.
const (
	TypeString   ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_STRING)
	TypeInt      ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_INT)
	TypeLong     ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_LONG)
	TypeDouble   ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_DOUBLE)
	TypeBoolean  ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_BOOLEAN)
	TypeList     ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_LIST)
	TypePassword ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_PASSWORD)
	TypeClass    ConfigType = ConfigType(pluginv1.ConfigKey_TYPE_CLASS)
)

// Importance is how much a config key matters to users, as Kafka Connect's.
type Importance int

// Config key importances, for [ConfigDef.Define].
const (
	High   Importance = Importance(pluginv1.ConfigKey_IMPORTANCE_HIGH)
	Medium Importance = Importance(pluginv1.ConfigKey_IMPORTANCE_MEDIUM)
	Low    Importance = Importance(pluginv1.ConfigKey_IMPORTANCE_LOW)
)

// ConfigError is a problem with one config key.
type ConfigError struct {
	Key     string
	Message string
}

func (e ConfigError) Error() string { return e.Key + ": " + e.Message }

// ConfigErrors is a list of config problems. A task's Open may return it (or a single
// ConfigError) to have the kernel report an invalid config rather than a failure.
type ConfigErrors []ConfigError

func (es ConfigErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "invalid config: " + strings.Join(parts, "; ")
}

// ConfigDef is a connector's config definition, built with Define. The zero value is an
// empty definition; a nil *ConfigDef is too.
type ConfigDef struct {
	keys   []*keyDef
	strict bool
}

// keyDef is one defined key: its protocol form and its extra check.
type keyDef struct {
	pb    pluginv1.ConfigKey
	check func(string) error
}

// KeyOption refines a key in [ConfigDef.Define].
type KeyOption func(*keyDef)

// Required marks a key that must be set to a non-empty value.
func Required() KeyOption { return func(k *keyDef) { k.pb.Required = true } }

// Default sets the value a key takes when it is absent.
func Default(v string) KeyOption {
	return func(k *keyDef) { k.pb.DefaultValue, k.pb.HasDefault = v, true }
}

// Secret marks a key whose value the kernel masks in every API response and log.
// TypePassword keys are secret without it.
func Secret() KeyOption { return func(k *keyDef) { k.pb.Secret = true } }

// Group puts a key in a named group, for UIs.
func Group(g string) KeyOption { return func(k *keyDef) { k.pb.Group = g } }

// DisplayName sets a key's human-readable name, for UIs.
func DisplayName(n string) KeyOption { return func(k *keyDef) { k.pb.DisplayName = n } }

// OneOf accepts only the given values (compared ignoring case, as Kafka Connect's
// ValidString.in is not, but its users' enums mostly are), as ConfigDef.ValidString.
func OneOf(values ...string) KeyOption {
	return Check(func(v string) error {
		for _, ok := range values {
			if strings.EqualFold(strings.TrimSpace(v), ok) {
				return nil
			}
		}
		return fmt.Errorf("String must be one of: %s", strings.Join(values, ", "))
	})
}

// AtLeast accepts only numbers of at least lowest, as ConfigDef.Range.atLeast.
func AtLeast(lowest float64) KeyOption {
	return Check(func(v string) error {
		f, ok := kc.ParseDouble(v)
		if ok && f < lowest {
			return fmt.Errorf("Value must be at least %s", strconv.FormatFloat(lowest, 'f', -1, 64))
		}
		return nil
	})
}

// Between accepts only numbers from lowest to highest, as ConfigDef.Range.between, whose
// wording it keeps.
func Between(lowest, highest float64) KeyOption {
	return Check(func(v string) error {
		f, ok := kc.ParseDouble(v)
		if ok && (f < lowest || f > highest) {
			return fmt.Errorf("Value must be no less than %s and no more than %s",
				strconv.FormatFloat(lowest, 'f', -1, 64), strconv.FormatFloat(highest, 'f', -1, 64))
		}
		return nil
	})
}

// Check adds a check of the key's value, run after the type check when the key is set;
// its error is reported as the key's.
func Check(fn func(value string) error) KeyOption {
	return func(k *keyDef) {
		prev := k.check
		k.check = func(v string) error {
			if prev != nil {
				if err := prev(v); err != nil {
					return err
				}
			}
			return fn(v)
		}
	}
}

// Define adds a key and returns d, so definitions chain:
//
//	def := new(sdk.ConfigDef).
//		Define("file", sdk.TypeString, sdk.High, "Path of the file to read.", sdk.Required()).
//		Define("batch.size", sdk.TypeInt, sdk.Low, "Records per batch.", sdk.Default("2000"))
//
// Defining a key twice panics: it is a programming error caught at startup.
func (d *ConfigDef) Define(name string, typ ConfigType, importance Importance, doc string, opts ...KeyOption) *ConfigDef {
	for _, k := range d.keys {
		if k.pb.Name == name {
			panic(fmt.Sprintf("sdk: config key %q defined twice", name))
		}
	}
	k := &keyDef{pb: pluginv1.ConfigKey{Name: name, Type: pluginv1.ConfigKey_Type(typ),
		Importance: pluginv1.ConfigKey_Importance(importance), Documentation: doc}}
	for _, o := range opts {
		o(k)
	}
	if typ == TypePassword {
		k.pb.Secret = true
	}
	d.keys = append(d.keys, k)
	return d
}

// RefuseUnknown makes Parse report every key that is neither defined nor one of the
// kernel's own (see [IsWorkerKey]), naming it: a connector that moves over from another
// runtime then says which of its keys it does not support instead of ignoring them.
func (d *ConfigDef) RefuseUnknown() *ConfigDef { d.strict = true; return d }

// protoKeys returns the definition as protocol ConfigKeys, in definition order.
func (d *ConfigDef) protoKeys() []*pluginv1.ConfigKey {
	if d == nil {
		return nil
	}
	out := make([]*pluginv1.ConfigKey, len(d.keys))
	for i, k := range d.keys {
		c := &k.pb
		out[i] = &pluginv1.ConfigKey{
			Name: c.Name, Type: c.Type, DefaultValue: c.DefaultValue, HasDefault: c.HasDefault,
			Required: c.Required, Importance: c.Importance, Documentation: c.Documentation,
			Secret: c.Secret, Group: c.Group, DisplayName: c.DisplayName,
		}
	}
	return out
}

// workerPrefixes are the config keys (and key prefixes) the kernel reads from every
// connector's config, as Kafka Connect's worker does; connectors never see them as theirs.
var workerPrefixes = []string{
	"name", "connector.class", "tasks.max", "topics", "topics.regex", "config.action.reload",
	"key.converter", "value.converter", "header.converter", "transforms", "predicates",
	"errors.", "topic.creation.", "producer.override.", "consumer.override.", "admin.override.",
	"exactly.once.support", "transaction.boundary", "offsets.storage.topic",
	"tasks.max.enforce",
}

// IsWorkerKey reports whether key is one the kernel reads from a connector config
// (name, connector.class, tasks.max, converters, transforms, errors.*, topics …).
func IsWorkerKey(key string) bool {
	for _, p := range workerPrefixes {
		if key == p || (strings.HasPrefix(key, p) && (strings.HasSuffix(p, ".") || key[len(p)] == '.')) {
			return true
		}
	}
	return false
}

// Parse applies defaults to raw and checks every defined key: required keys are present
// and non-empty, values parse as their type and pass the key's checks. Keys the
// definition does not know are kept untouched (the kernel's own keys, such as name and
// tasks.max, pass through), or refused after [ConfigDef.RefuseUnknown].
// The returned Config is a copy; raw is not modified.
func (d *ConfigDef) Parse(raw map[string]string) (Config, []ConfigError) {
	cfg := make(Config, len(raw)+4)
	maps.Copy(cfg, raw)
	if d == nil {
		return cfg, nil
	}
	var errs []ConfigError
	for _, kd := range d.keys {
		k := &kd.pb
		v, ok := cfg[k.Name]
		if !ok && k.HasDefault {
			v, ok = k.DefaultValue, true
			cfg[k.Name] = v
		}
		if k.Required && strings.TrimSpace(v) == "" {
			errs = append(errs, ConfigError{k.Name, fmt.Sprintf("Missing required configuration %q which has no default value.", k.Name)})
			continue
		}
		if !ok {
			continue
		}
		if strings.Contains(v, "${") {
			continue // a config provider placeholder, resolved only when a task starts
		}
		var bad *kc.ConfigError
		if err := kc.CheckConfigValue(kc.ConfigType(k.Type), k.Name, v); err != nil {
			bad = err.(*kc.ConfigError)
		} else if kd.check != nil && (v != "" || k.Required) {
			if err := kd.check(v); err != nil {
				bad = &kc.ConfigError{Key: k.Name, Value: v, Reason: err.Error()}
			}
		}
		if bad != nil {
			if k.Secret {
				bad = bad.Redacted() // an error must not carry the secret it refuses
			}
			errs = append(errs, ConfigError{k.Name, bad.Error()})
		}
	}
	if d.strict {
		var unknown []string
		for key := range raw {
			if !IsWorkerKey(key) && !d.defines(key) {
				unknown = append(unknown, key)
			}
		}
		slices.Sort(unknown)
		for _, key := range unknown {
			errs = append(errs, ConfigError{key, fmt.Sprintf("Unknown configuration %q: this connector does not support it (its README lists the keys it supports); remove it.", key)})
		}
	}
	return cfg, errs
}

func (d *ConfigDef) defines(key string) bool {
	for _, k := range d.keys {
		if k.pb.Name == key {
			return true
		}
	}
	return false
}

// Config is a connector or task config: keys to string values, as Kafka Connect's. The
// typed getters parse a value and name the key in their error.
type Config map[string]string

// Clone returns a copy of c.
func (c Config) Clone() map[string]string { return maps.Clone(map[string]string(c)) }

// String returns the value of key, or "" if it is absent.
func (c Config) String(key string) string { return c[key] }

// Int returns the value of key as an int, parsed as Kafka Connect parses an INT (32 bits).
func (c Config) Int(key string) (int, error) {
	v, ok := kc.ParseInt(c[key])
	if !ok {
		return 0, c.invalid(key, kc.TypeInt)
	}
	return int(v), nil
}

// Int64 returns the value of key as an int64, parsed as Kafka Connect parses a LONG.
func (c Config) Int64(key string) (int64, error) {
	v, ok := kc.ParseLong(c[key])
	if !ok {
		return 0, c.invalid(key, kc.TypeLong)
	}
	return v, nil
}

// Float64 returns the value of key as a float64, parsed as Kafka Connect parses a DOUBLE.
func (c Config) Float64(key string) (float64, error) {
	v, ok := kc.ParseDouble(c[key])
	if !ok {
		return 0, c.invalid(key, kc.TypeDouble)
	}
	return v, nil
}

// Bool returns the value of key as a bool: "true" or "false" in any case, trimmed.
func (c Config) Bool(key string) (bool, error) {
	v, ok := kc.ParseBool(c[key])
	if !ok {
		return false, c.invalid(key, kc.TypeBoolean)
	}
	return v, nil
}

// invalid is the error of a getter whose value is not of type t, worded as Parse words it.
func (c Config) invalid(key string, t kc.ConfigType) error {
	return kc.CheckConfigValue(t, key, c[key])
}

// List returns the value of key split as Kafka Connect splits a LIST: "" is the empty
// list, otherwise every comma separates items, the whitespace around them dropped. Empty
// items are kept ("a,,b" is [a "" b]), as Kafka Connect keeps them.
func (c Config) List(key string) []string { return kc.ParseList(c[key]) }
