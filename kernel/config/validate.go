package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tributary-dev/tributary/kernel/convert"
	"github.com/tributary-dev/tributary/kernel/transform"
	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// The keys every connector's config shares, as in Kafka Connect.
const (
	KeyName            = "name"
	KeyClass           = "connector.class"
	KeyTasksMax        = "tasks.max"
	KeyTopics          = "topics"
	KeyTopicsRegex     = "topics.regex"
	KeyKeyConverter    = "key.converter"
	KeyValueConverter  = "value.converter"
	KeyHeaderConverter = "header.converter"
	KeyTransforms      = "transforms"
	KeyPredicates      = "predicates"
)

// CommonGroup is the group the shared keys are listed under, as upstream.
const CommonGroup = "Common"

// Hidden replaces a secret value in everything the kernel shows.
const Hidden = kc.Hidden

// FieldError is one problem with one key of a config. Message is a complete sentence that
// names the key and says what would be accepted.
type FieldError struct {
	Key     string
	Message string
}

func (e FieldError) Error() string { return e.Message }

// CommonKeys returns the definitions of the keys every connector of type t accepts besides
// its own, in the order upstream lists them. For sinks they include topics and topics.regex.
func CommonKeys(t pluginv1.ConnectorType) []*pluginv1.ConfigKey {
	const high, low = pluginv1.ConfigKey_IMPORTANCE_HIGH, pluginv1.ConfigKey_IMPORTANCE_LOW
	key := func(name string, typ pluginv1.ConfigKey_Type, required bool, def *string, imp pluginv1.ConfigKey_Importance, display, doc string) *pluginv1.ConfigKey {
		k := &pluginv1.ConfigKey{Name: name, Type: typ, Required: required, Importance: imp,
			Documentation: doc, Group: CommonGroup, DisplayName: display}
		if def != nil {
			k.HasDefault, k.DefaultValue = true, *def
		}
		return k
	}
	one, empty := "1", ""
	keys := []*pluginv1.ConfigKey{
		key(KeyName, pluginv1.ConfigKey_TYPE_STRING, true, nil, high, "Connector name",
			"Globally unique name to use for this connector."),
		key(KeyClass, pluginv1.ConfigKey_TYPE_STRING, true, nil, high, "Connector class",
			"Name or alias of the connector, e.g. file-source or org.apache.kafka.connect.file.FileStreamSourceConnector."),
		key(KeyTasksMax, pluginv1.ConfigKey_TYPE_INT, false, &one, high, "Tasks max",
			"Maximum number of tasks to use for this connector."),
	}
	if t == pluginv1.ConnectorType_CONNECTOR_TYPE_SINK {
		keys = append(keys,
			key(KeyTopics, pluginv1.ConfigKey_TYPE_LIST, false, &empty, high, "Topics",
				"List of topics to consume, separated by commas. Set exactly one of topics or topics.regex."),
			key(KeyTopicsRegex, pluginv1.ConfigKey_TYPE_STRING, false, &empty, high, "Topics regex",
				"Regular expression giving the topics to consume. Set exactly one of topics or topics.regex."))
	}
	return append(keys,
		key(KeyKeyConverter, pluginv1.ConfigKey_TYPE_CLASS, false, nil, low, "Key converter class",
			"Converter between record keys and the bytes in Kafka; the node's default when unset."),
		key(KeyValueConverter, pluginv1.ConfigKey_TYPE_CLASS, false, nil, low, "Value converter class",
			"Converter between record values and the bytes in Kafka; the node's default when unset."),
		key(KeyHeaderConverter, pluginv1.ConfigKey_TYPE_CLASS, false, nil, low, "Header converter class",
			"Converter between header values and the bytes in Kafka; the node's default when unset."),
		key(KeyTransforms, pluginv1.ConfigKey_TYPE_LIST, false, &empty, low, "Transforms",
			"Aliases for the transformations to be applied to records, in order."),
		key(KeyPredicates, pluginv1.ConfigKey_TYPE_LIST, false, &empty, low, "Predicates",
			"Aliases for the predicates used by transformations."),
	)
}

// Definitions returns every key a connector described by desc accepts: the common keys
// first, then the plugin's own, each name once (the plugin's definition of a common key
// replaces the common one). desc may be nil.
func Definitions(desc *pluginv1.ConnectorDescriptor) []*pluginv1.ConfigKey {
	own := map[string]*pluginv1.ConfigKey{}
	for _, k := range desc.GetConfig() {
		own[k.GetName()] = k
	}
	var out []*pluginv1.ConfigKey
	seen := map[string]bool{}
	for _, k := range CommonKeys(desc.GetType()) {
		if o := own[k.Name]; o != nil {
			k = o
		}
		out = append(out, k)
		seen[k.Name] = true
	}
	for _, k := range desc.GetConfig() {
		if !seen[k.GetName()] {
			out = append(out, k)
			seen[k.GetName()] = true
		}
	}
	return out
}

// Validate checks cfg against the common keys and the plugin's definitions in desc (which
// may be nil: then only the common keys are checked). It returns every problem found, in
// the order of Definitions, or nil when cfg is acceptable.
//
// A value that holds a config provider placeholder (${file:…}, ${env:…}) is only resolved
// when a task starts, so its type cannot be checked here and is not.
func Validate(desc *pluginv1.ConnectorDescriptor, cfg map[string]string) []FieldError {
	var errs []FieldError
	for _, k := range Definitions(desc) {
		if msg := checkKey(k, cfg); msg != "" {
			errs = append(errs, FieldError{Key: k.GetName(), Message: msg})
		}
	}
	if desc.GetType() == pluginv1.ConnectorType_CONNECTOR_TYPE_SINK {
		errs = append(errs, checkTopics(cfg)...)
	}
	errs = append(errs, checkConverters(cfg)...)
	for _, e := range transform.Validate(cfg) {
		errs = append(errs, FieldError{Key: e.Key, Message: e.Message})
	}
	return errs
}

// checkConverters refuses a key or value converter class no node could build, so a typo
// fails the request instead of every task at start.
func checkConverters(cfg map[string]string) []FieldError {
	var errs []FieldError
	for _, key := range []string{KeyKeyConverter, KeyValueConverter} {
		class, ok := cfg[key]
		if !ok || strings.TrimSpace(class) == "" || hasPlaceholder(class) {
			continue
		}
		props := map[string]string{}
		for k, v := range cfg {
			if rest, ok := strings.CutPrefix(k, key+"."); ok {
				props[rest] = v
			}
		}
		if _, err := convert.New(class, props, key == KeyKeyConverter); err != nil {
			errs = append(errs, FieldError{Key: key, Message: err.Error()})
		}
	}
	return errs
}

func checkKey(k *pluginv1.ConfigKey, cfg map[string]string) string {
	name := k.GetName()
	v, ok := cfg[name]
	if k.GetRequired() && !k.GetHasDefault() && strings.TrimSpace(v) == "" {
		return fmt.Sprintf("Missing required configuration %q which has no default value.", name)
	}
	if !ok {
		return ""
	}
	if hasPlaceholder(v) {
		return ""
	}
	secret := k.GetSecret() || k.GetType() == pluginv1.ConfigKey_TYPE_PASSWORD
	show := func(e *kc.ConfigError) string {
		if secret {
			e = e.Redacted() // an error message must not carry the secret it refuses
		}
		return e.Error()
	}
	invalid := func(why string) string { return show(&kc.ConfigError{Key: name, Value: v, Reason: why}) }
	// The protocol's ConfigKey.Type numbers are kc.ConfigType's (validate_test checks it).
	if err := kc.CheckConfigValue(kc.ConfigType(k.GetType()), name, v); err != nil {
		return show(err.(*kc.ConfigError))
	}
	if name == KeyTasksMax && k.GetType() == pluginv1.ConfigKey_TYPE_INT {
		if n, _ := kc.ParseInt(v); n < 1 {
			return invalid("Value must be at least 1") // ConfigDef.Range.atLeast(1), as upstream
		}
	}
	if name == KeyTopicsRegex && v != "" {
		if _, err := regexp.Compile(v); err != nil {
			return invalid(fmt.Sprintf("not a valid regular expression (%v); fix the pattern", err))
		}
	}
	return ""
}

// checkTopics applies the sink rule: exactly one of topics and topics.regex is set.
func checkTopics(cfg map[string]string) []FieldError {
	topics, regex := strings.TrimSpace(cfg[KeyTopics]) != "", strings.TrimSpace(cfg[KeyTopicsRegex]) != ""
	switch {
	case topics && regex:
		return []FieldError{{Key: KeyTopics,
			Message: "topics and topics.regex are mutually exclusive options, but both are set; remove one of them."}}
	case !topics && !regex:
		return []FieldError{{Key: KeyTopics,
			Message: "Must configure one of topics or topics.regex: a sink connector needs the topics it consumes."}}
	}
	return nil
}

// Effective returns a copy of cfg with the defaults of desc (and the common tasks.max
// default of 1) filled in for the keys cfg does not set. desc may be nil.
func Effective(desc *pluginv1.ConnectorDescriptor, cfg map[string]string) map[string]string {
	out := make(map[string]string, len(cfg)+len(desc.GetConfig())+1)
	for k, v := range cfg {
		out[k] = v
	}
	if _, ok := out[KeyTasksMax]; !ok {
		out[KeyTasksMax] = "1"
	}
	for _, k := range desc.GetConfig() {
		if _, ok := out[k.GetName()]; !ok && k.GetHasDefault() {
			out[k.GetName()] = k.GetDefaultValue()
		}
	}
	return out
}

// MaxTasks bounds tasks.max: every task is a record in the replicated state and a
// process-side instance; a typo of 100000 must be refused, not scheduled.
const MaxTasks = 1024

// MaxConfigBytes bounds a connector's config (the sum of its keys' and values' lengths),
// checked before anything is replicated. Kafka Connect stores configs in a topic whose
// records are bounded by max.request.size, 1 MiB by default: the same bound.
const MaxConfigBytes = 1 << 20

// CheckSize refuses a config larger than MaxConfigBytes, naming its largest key.
func CheckSize(cfg map[string]string) error {
	total, largest, largestLen := 0, "", -1
	for k, v := range cfg {
		total += len(k) + len(v)
		if len(v) > largestLen {
			largest, largestLen = k, len(v)
		}
	}
	if total <= MaxConfigBytes {
		return nil
	}
	return fmt.Errorf("the connector config is %d bytes, more than the %d a config may hold (its largest value is %q, %d bytes); "+
		"keep large data out of the config: read it from a file with a config provider (${file:path:key}) or from the connector's own source",
		total, MaxConfigBytes, largest, largestLen)
}

// TasksMax returns the tasks.max of cfg: 1 when unset, an error when it is not a whole
// number from 1 to MaxTasks.
func TasksMax(cfg map[string]string) (int, error) {
	v, ok := cfg[KeyTasksMax]
	if !ok {
		return 1, nil
	}
	n, ok := kc.ParseInt(v)
	if !ok {
		return 0, kc.CheckConfigValue(kc.TypeInt, KeyTasksMax, v)
	}
	if n < 1 {
		return 0, &kc.ConfigError{Key: KeyTasksMax, Value: v, Reason: "Value must be at least 1"}
	}
	if n > MaxTasks {
		return 0, &kc.ConfigError{Key: KeyTasksMax, Value: v, Reason: fmt.Sprintf("Value must be no more than %d", MaxTasks)}
	}
	return int(n), nil
}

// Mask returns a copy of cfg in which every secret value is replaced by Hidden. A key is
// secret when desc defines it as secret or of type PASSWORD; a key desc does not define
// (a converter's or transform's setting, or any key when desc is nil) is secret when its
// name looks like one (password, secret, token, credentials, sasl.jaas.config, …).
// A value that is only a config provider reference (${file:/etc/x.properties:pw}) is
// shown as it is: it tells where the secret lives, not what it is.
func Mask(desc *pluginv1.ConnectorDescriptor, cfg map[string]string) map[string]string {
	if cfg == nil {
		return nil
	}
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if v != "" && !isReference(v) && IsSecret(desc, k) {
			v = Hidden
		}
		out[k] = v
	}
	return out
}

// IsSecret reports whether values of key must not be shown; see Mask.
func IsSecret(desc *pluginv1.ConnectorDescriptor, key string) bool {
	for _, k := range desc.GetConfig() {
		if k.GetName() == key {
			return k.GetSecret() || k.GetType() == pluginv1.ConfigKey_TYPE_PASSWORD
		}
	}
	for _, k := range CommonKeys(pluginv1.ConnectorType_CONNECTOR_TYPE_SINK) {
		if k.Name == key {
			return false
		}
	}
	return looksSecret(key)
}

var secretWords = []string{
	"password", "passwd", "secret", "credential", "token", "jaas.config", "user.info",
	"apikey", "api.key", "api_key", "private.key", "private_key", "ssl.keystore.key",
}

func looksSecret(key string) bool {
	key = strings.ToLower(key)
	for _, w := range secretWords {
		if strings.Contains(key, w) {
			return true
		}
	}
	return false
}

func hasPlaceholder(v string) bool { return strings.Contains(v, "${") }

// isReference reports whether v is exactly one config provider placeholder.
func isReference(v string) bool {
	return strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") &&
		strings.Count(v, "${") == 1 && strings.Count(v, "}") == 1
}
