package config

import (
	"reflect"
	"testing"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func fileSource() *pluginv1.ConnectorDescriptor {
	return &pluginv1.ConnectorDescriptor{
		Name: "file-source",
		Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE,
		Config: []*pluginv1.ConfigKey{
			{Name: "file", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true},
			{Name: "topic", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true},
			{Name: "batch.size", Type: pluginv1.ConfigKey_TYPE_INT, HasDefault: true, DefaultValue: "2000"},
			{Name: "poll.ms", Type: pluginv1.ConfigKey_TYPE_LONG},
			{Name: "ratio", Type: pluginv1.ConfigKey_TYPE_DOUBLE},
			{Name: "follow", Type: pluginv1.ConfigKey_TYPE_BOOLEAN, HasDefault: true, DefaultValue: "false"},
			{Name: "columns", Type: pluginv1.ConfigKey_TYPE_LIST},
			{Name: "db.password", Type: pluginv1.ConfigKey_TYPE_PASSWORD},
			{Name: "api.credentials", Type: pluginv1.ConfigKey_TYPE_STRING, Secret: true},
			{Name: "token.bucket", Type: pluginv1.ConfigKey_TYPE_STRING},
		},
	}
}

func fileSink() *pluginv1.ConnectorDescriptor {
	return &pluginv1.ConnectorDescriptor{
		Name: "file-sink",
		Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SINK,
		Config: []*pluginv1.ConfigKey{
			{Name: "file", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true},
		},
	}
}

func TestValidate(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"name": "a", "connector.class": "file-source", "file": "/tmp/in", "topic": "t"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "<delete>" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	sink := func(kv ...string) map[string]string {
		m := map[string]string{"name": "b", "connector.class": "file-sink", "file": "/tmp/out"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		desc *pluginv1.ConnectorDescriptor
		cfg  map[string]string
		want []FieldError
	}{
		{"valid", fileSource(), base(), nil},
		{"valid with every type", fileSource(), base("batch.size", "10", "poll.ms", "9000000000", "ratio", "0.25",
			"follow", "TRUE", "columns", "a, b", "tasks.max", "3", "key.converter", "json"), nil},
		{"missing required", fileSource(), base("file", "<delete>"), []FieldError{
			{"file", `Missing required configuration "file" which has no default value.`}}},
		{"empty required", fileSource(), base("topic", " "), []FieldError{
			{"topic", `Missing required configuration "topic" which has no default value.`}}},
		{"missing name and class", fileSource(), base("name", "<delete>", "connector.class", ""), []FieldError{
			{"name", `Missing required configuration "name" which has no default value.`},
			{"connector.class", `Missing required configuration "connector.class" which has no default value.`}}},
		{"bad int", fileSource(), base("batch.size", "lots"), []FieldError{
			{"batch.size", `Invalid value lots for configuration batch.size: Not a number of type INT`}}},
		{"int overflow", fileSource(), base("batch.size", "9000000000"), []FieldError{
			{"batch.size", `Invalid value 9000000000 for configuration batch.size: Not a number of type INT`}}},
		{"bad long", fileSource(), base("poll.ms", "1.5"), []FieldError{
			{"poll.ms", `Invalid value 1.5 for configuration poll.ms: Not a number of type LONG`}}},
		{"bad double", fileSource(), base("ratio", "half"), []FieldError{
			{"ratio", `Invalid value half for configuration ratio: Not a number of type DOUBLE`}}},
		{"bad boolean", fileSource(), base("follow", "yes"), []FieldError{
			{"follow", `Invalid value yes for configuration follow: Expected value to be either true or false`}}},
		{"tasks.max zero", fileSource(), base("tasks.max", "0"), []FieldError{
			{"tasks.max", `Invalid value 0 for configuration tasks.max: Value must be at least 1`}}},
		{"tasks.max word", fileSource(), base("tasks.max", "two"), []FieldError{
			{"tasks.max", `Invalid value two for configuration tasks.max: Not a number of type INT`}}},
		{"secret value not echoed", &pluginv1.ConnectorDescriptor{Config: []*pluginv1.ConfigKey{
			{Name: "pin", Type: pluginv1.ConfigKey_TYPE_INT, Secret: true}}},
			map[string]string{"name": "a", "connector.class": "x", "pin": "12ab"}, []FieldError{
				{"pin", `Invalid value [hidden] for configuration pin: Not a number of type INT`}}},
		{"placeholder not type-checked", fileSource(), base("batch.size", "${env:BATCH}"), nil},
		{"sink with topics", fileSink(), sink("topics", "a,b"), nil},
		{"sink with regex", fileSink(), sink("topics.regex", "orders\\..*"), nil},
		{"sink with neither", fileSink(), sink(), []FieldError{
			{"topics", "Must configure one of topics or topics.regex: a sink connector needs the topics it consumes."}}},
		{"sink with empty topics", fileSink(), sink("topics", ""), []FieldError{
			{"topics", "Must configure one of topics or topics.regex: a sink connector needs the topics it consumes."}}},
		{"sink with both", fileSink(), sink("topics", "a", "topics.regex", "b.*"), []FieldError{
			{"topics", "topics and topics.regex are mutually exclusive options, but both are set; remove one of them."}}},
		{"sink with bad regex", fileSink(), sink("topics.regex", "(a"), []FieldError{
			{"topics.regex", "Invalid value (a for configuration topics.regex: not a valid regular expression (error parsing regexp: missing closing ): `(a`); fix the pattern"}}},
		{"no descriptor checks common keys", nil, map[string]string{"name": "x", "tasks.max": "-1"}, []FieldError{
			{"connector.class", `Missing required configuration "connector.class" which has no default value.`},
			{"tasks.max", `Invalid value -1 for configuration tasks.max: Value must be at least 1`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.desc, tt.cfg)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestDefinitionsPluginOverridesCommon(t *testing.T) {
	desc := fileSink()
	desc.Config = append(desc.Config, &pluginv1.ConfigKey{Name: "tasks.max", Type: pluginv1.ConfigKey_TYPE_INT, HasDefault: true, DefaultValue: "4"})
	var names []string
	for _, k := range Definitions(desc) {
		names = append(names, k.GetName())
		if k.GetName() == "tasks.max" && k.GetDefaultValue() != "4" {
			t.Errorf("tasks.max default = %q, want the plugin's 4", k.GetDefaultValue())
		}
	}
	want := []string{"name", "connector.class", "tasks.max", "topics", "topics.regex", "key.converter",
		"value.converter", "header.converter", "transforms", "predicates", "file"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Definitions names:\n got  %q\n want %q", names, want)
	}
}

func TestEffective(t *testing.T) {
	in := map[string]string{"file": "/x", "follow": "true"}
	got := Effective(fileSource(), in)
	want := map[string]string{"file": "/x", "follow": "true", "batch.size": "2000", "tasks.max": "1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Effective = %v, want %v", got, want)
	}
	if len(in) != 2 {
		t.Errorf("Effective modified its input: %v", in)
	}
	if got := Effective(nil, map[string]string{"tasks.max": "3"}); got["tasks.max"] != "3" {
		t.Errorf("Effective(nil) tasks.max = %q, want the given 3", got["tasks.max"])
	}
}

func TestTasksMax(t *testing.T) {
	for _, tt := range []struct {
		cfg  map[string]string
		want int
		err  bool
	}{
		{map[string]string{}, 1, false},
		{map[string]string{"tasks.max": " 4"}, 4, false},
		{map[string]string{"tasks.max": "0"}, 0, true},
		{map[string]string{"tasks.max": "x"}, 0, true},
	} {
		got, err := TasksMax(tt.cfg)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("TasksMax(%v) = %d, %v; want %d, error %v", tt.cfg, got, err, tt.want, tt.err)
		}
	}
}

func TestMask(t *testing.T) {
	cfg := map[string]string{
		"name":                                 "a",
		"connector.class":                      "file-source",
		"file":                                 "/x",
		"db.password":                          "hunter2",
		"api.credentials":                      "k:s",
		"token.bucket":                         "defined by the plugin as not secret",
		"value.converter.basic.auth.user.info": "u:p",
		"producer.override.sasl.jaas.config":   "... password=\"x\";",
		"consumer.override.ssl.keystore.key":   "-----BEGIN PRIVATE KEY-----",
		"key.converter":                        "json",
		"db.password.empty":                    "",
		"secret.ref":                           "${file:/etc/secrets.properties:pw}",
		"secret.mixed":                         "pre-${env:X}",
	}
	want := map[string]string{
		"name":                                 "a",
		"connector.class":                      "file-source",
		"file":                                 "/x",
		"db.password":                          Hidden,
		"api.credentials":                      Hidden,
		"token.bucket":                         "defined by the plugin as not secret",
		"value.converter.basic.auth.user.info": Hidden,
		"producer.override.sasl.jaas.config":   Hidden,
		"consumer.override.ssl.keystore.key":   Hidden,
		"key.converter":                        "json",
		"db.password.empty":                    "",
		"secret.ref":                           "${file:/etc/secrets.properties:pw}",
		"secret.mixed":                         Hidden,
	}
	got := Mask(fileSource(), cfg)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Mask:\n got  %v\n want %v", got, want)
	}
	if cfg["db.password"] != "hunter2" {
		t.Error("Mask modified its input")
	}
	if got := Mask(nil, map[string]string{"db.password": "x", "file": "y"}); got["db.password"] != Hidden || got["file"] != "y" {
		t.Errorf("Mask(nil) = %v, want db.password hidden and file shown", got)
	}
	if Mask(nil, nil) != nil {
		t.Error("Mask(nil, nil) != nil")
	}
}

func TestValidateRefusesBadTransformsAndConverters(t *testing.T) {
	desc := &pluginv1.ConnectorDescriptor{Name: "file-source", Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SOURCE}
	cases := []struct {
		name, key string
		cfg       map[string]string
	}{
		{"unknown transform class", "transforms.t.type", map[string]string{"transforms": "t", "transforms.t.type": "com.example.Nope"}},
		{"transform missing its setting", "transforms.t.field", map[string]string{"transforms": "t",
			"transforms.t.type": "org.apache.kafka.connect.transforms.ExtractField$Value"}},
		{"unknown value converter", "value.converter", map[string]string{"value.converter": "com.example.NopeConverter"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := map[string]string{"connector.class": "file-source", "name": "x"}
			for k, v := range c.cfg {
				cfg[k] = v
			}
			errs := Validate(desc, cfg)
			for _, e := range errs {
				if e.Key == c.key {
					return
				}
			}
			t.Fatalf("Validate(%v) = %v, want an error on %q", c.cfg, errs, c.key)
		})
	}
}

// TestConfigTypeNumbers checks that the protocol's ConfigKey.Type and kc.ConfigType
// number the types alike, which checkKey's conversion relies on.
func TestConfigTypeNumbers(t *testing.T) {
	for n, name := range pluginv1.ConfigKey_Type_name {
		if n == 0 {
			continue
		}
		typ, ok := kc.ParseConfigType(name)
		if !ok || typ != kc.ConfigType(n) {
			t.Errorf("protocol type %s = %d, but kc says %v (%d), %v", name, n, typ, typ, ok)
		}
	}
}
