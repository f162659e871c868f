package sdk

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Config key types, for [ConfigDef.Define].
const (
	TypeString   = pluginv1.ConfigKey_TYPE_STRING
	TypeInt      = pluginv1.ConfigKey_TYPE_INT
	TypeLong     = pluginv1.ConfigKey_TYPE_LONG
	TypeDouble   = pluginv1.ConfigKey_TYPE_DOUBLE
	TypeBoolean  = pluginv1.ConfigKey_TYPE_BOOLEAN
	TypeList     = pluginv1.ConfigKey_TYPE_LIST
	TypePassword = pluginv1.ConfigKey_TYPE_PASSWORD
	TypeClass    = pluginv1.ConfigKey_TYPE_CLASS
)

// Config key importances, for [ConfigDef.Define].
const (
	High   = pluginv1.ConfigKey_IMPORTANCE_HIGH
	Medium = pluginv1.ConfigKey_IMPORTANCE_MEDIUM
	Low    = pluginv1.ConfigKey_IMPORTANCE_LOW
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
	keys []*pluginv1.ConfigKey
}

// KeyOption refines a key in [ConfigDef.Define].
type KeyOption func(*pluginv1.ConfigKey)

// Required marks a key that must be set to a non-empty value.
func Required() KeyOption { return func(k *pluginv1.ConfigKey) { k.Required = true } }

// Default sets the value a key takes when it is absent.
func Default(v string) KeyOption {
	return func(k *pluginv1.ConfigKey) { k.DefaultValue, k.HasDefault = v, true }
}

// Secret marks a key whose value the kernel masks in every API response and log.
// TypePassword keys are secret without it.
func Secret() KeyOption { return func(k *pluginv1.ConfigKey) { k.Secret = true } }

// Group puts a key in a named group, for UIs.
func Group(g string) KeyOption { return func(k *pluginv1.ConfigKey) { k.Group = g } }

// DisplayName sets a key's human-readable name, for UIs.
func DisplayName(n string) KeyOption { return func(k *pluginv1.ConfigKey) { k.DisplayName = n } }

// Define adds a key and returns d, so definitions chain:
//
//	def := new(sdk.ConfigDef).
//		Define("file", sdk.TypeString, sdk.High, "Path of the file to read.", sdk.Required()).
//		Define("batch.size", sdk.TypeInt, sdk.Low, "Records per batch.", sdk.Default("2000"))
//
// Defining a key twice panics: it is a programming error caught at startup.
func (d *ConfigDef) Define(name string, typ pluginv1.ConfigKey_Type, importance pluginv1.ConfigKey_Importance, doc string, opts ...KeyOption) *ConfigDef {
	for _, k := range d.keys {
		if k.Name == name {
			panic(fmt.Sprintf("sdk: config key %q defined twice", name))
		}
	}
	k := &pluginv1.ConfigKey{Name: name, Type: typ, Importance: importance, Documentation: doc}
	for _, o := range opts {
		o(k)
	}
	if typ == TypePassword {
		k.Secret = true
	}
	d.keys = append(d.keys, k)
	return d
}

// Keys returns the definition as protocol ConfigKeys, in definition order.
func (d *ConfigDef) Keys() []*pluginv1.ConfigKey {
	if d == nil {
		return nil
	}
	out := make([]*pluginv1.ConfigKey, len(d.keys))
	for i, k := range d.keys {
		out[i] = cloneKey(k)
	}
	return out
}

func cloneKey(k *pluginv1.ConfigKey) *pluginv1.ConfigKey {
	return &pluginv1.ConfigKey{
		Name: k.Name, Type: k.Type, DefaultValue: k.DefaultValue, HasDefault: k.HasDefault,
		Required: k.Required, Importance: k.Importance, Documentation: k.Documentation,
		Secret: k.Secret, Group: k.Group, DisplayName: k.DisplayName,
	}
}

// Parse applies defaults to raw and checks every defined key: required keys are present
// and non-empty, and values parse as their type. Keys the definition does not know are
// kept untouched (the kernel's own keys, such as name and tasks.max, pass through).
// The returned Config is a copy; raw is not modified.
func (d *ConfigDef) Parse(raw map[string]string) (Config, []ConfigError) {
	cfg := make(Config, len(raw)+4)
	maps.Copy(cfg, raw)
	if d == nil {
		return cfg, nil
	}
	var errs []ConfigError
	for _, k := range d.keys {
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
		if err := checkType(k.Type, v); err != nil {
			errs = append(errs, ConfigError{k.Name, fmt.Sprintf("Invalid value %q for configuration %s: %v", v, k.Name, err)})
		}
	}
	return cfg, errs
}

func checkType(t pluginv1.ConfigKey_Type, v string) error {
	v = strings.TrimSpace(v)
	var err error
	switch t {
	case TypeInt:
		_, err = strconv.ParseInt(v, 10, 32)
		if err != nil {
			err = errors.New("not a 32-bit integer")
		}
	case TypeLong:
		_, err = strconv.ParseInt(v, 10, 64)
		if err != nil {
			err = errors.New("not a 64-bit integer")
		}
	case TypeDouble:
		_, err = strconv.ParseFloat(v, 64)
		if err != nil {
			err = errors.New("not a number")
		}
	case TypeBoolean:
		_, err = parseBool(v)
	}
	return err
}

func parseBool(v string) (bool, error) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	}
	return false, errors.New("expected true or false")
}

// Config is a connector or task config: keys to string values, as Kafka Connect's. The
// typed getters parse a value and name the key in their error.
type Config map[string]string

// Clone returns a copy of c.
func (c Config) Clone() map[string]string { return maps.Clone(map[string]string(c)) }

// String returns the value of key, or "" if it is absent.
func (c Config) String(key string) string { return c[key] }

// Int returns the value of key as an int.
func (c Config) Int(key string) (int, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(c[key]), 10, 0)
	if err != nil {
		return 0, fmt.Errorf("config %s: %q is not an integer", key, c[key])
	}
	return int(v), nil
}

// Int64 returns the value of key as an int64.
func (c Config) Int64(key string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(c[key]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("config %s: %q is not a 64-bit integer", key, c[key])
	}
	return v, nil
}

// Float64 returns the value of key as a float64.
func (c Config) Float64(key string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(c[key]), 64)
	if err != nil {
		return 0, fmt.Errorf("config %s: %q is not a number", key, c[key])
	}
	return v, nil
}

// Bool returns the value of key as a bool ("true" or "false", any case).
func (c Config) Bool(key string) (bool, error) {
	v, err := parseBool(strings.TrimSpace(c[key]))
	if err != nil {
		return false, fmt.Errorf("config %s: %q: %w", key, c[key], err)
	}
	return v, nil
}

// List returns the value of key split at commas, each item trimmed, empty items dropped.
func (c Config) List(key string) []string {
	var out []string
	for item := range strings.SplitSeq(c[key], ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
