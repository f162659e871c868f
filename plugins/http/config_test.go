package main

import (
	"strings"
	"testing"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// validate runs the generic checks and the connector's Validate, as the kernel does.
func validate(class string, raw map[string]string) []sdk.ConfigError {
	def, conn := confluentDef, sdk.Connector(confluentConnector{})
	if isCastorm(class) {
		def, conn = castormDef, castormConnector{}
	}
	c, errs := def.Parse(raw)
	return append(errs, conn.Validate(c)...)
}

func TestValidate(t *testing.T) {
	ok := cfg("connector.class", confluentClass, "tasks.max", "2", "url", "https://api.example.com/v1/${entityName}?from=${offset}",
		"entity.names", "a,b", "topic.name.pattern", "http-${entityName}", "value.converter", "org.apache.kafka.connect.json.JsonConverter",
		"confluent.topic.bootstrap.servers", "broker:9092", "confluent.topic.replication.factor", "1")
	if errs := validate(confluentClass, ok); len(errs) > 0 {
		t.Fatalf("a valid config: %v", errs)
	}
	for _, c := range []struct {
		name string
		cfg  map[string]string
		key  string
		msg  string
	}{
		{"unknown key", with(ok, "http.response.schema.enforce", "true"), "http.response.schema.enforce", "Unknown configuration"},
		{"castorm's key on Confluent's class", with(ok, "kafka.topic", "x"), "kafka.topic", "Unknown configuration"},
		{"no url", with(ok, "url", ""), "url", "Missing required"},
		{"ftp url", with(ok, "url", "ftp://x/${offset}"), "url", "http or https"},
		{"no offset anywhere", with(ok, "url", "https://x/${entityName}"), "url", "${offset} appears in none"},
		{"unknown variable", with(ok, "url", "https://x/${offset}/${page}"), "url", "unknown template variable ${page}"},
		{"entityName without entities", with(ok, "entity.names", ""), "entity.names", "${entityName} is used"},
		{"chaining without pointer", with(ok, "http.offset.mode", "CHAINING"), "http.offset.json.pointer", "CHAINING"},
		{"cursor without pointer", with(ok, "http.offset.mode", "CURSOR_PAGINATION"), "http.next.page.json.pointer", "CURSOR_PAGINATION"},
		{"bad mode", with(ok, "http.offset.mode", "TIMESTAMP"), "http.offset.mode", "must be one of"},
		{"bad pointer", with(ok, "http.response.data.json.pointer", "data"), "http.response.data.json.pointer", "start with '/'"},
		{"bad escape", with(ok, "http.response.data.json.pointer", "/a~2"), "http.response.data.json.pointer", "'~'"},
		{"incrementing text offset", with(ok, "http.initial.offset", "abc"), "http.initial.offset", "not an integer"},
		{"retry codes", with(ok, "retry.on.status.codes", "5xx"), "retry.on.status.codes", "not a status code"},
		{"basic without user", with(ok, "auth.type", "BASIC"), "connection.user", "BASIC"},
		{"bearer without token", with(ok, "auth.type", "BEARER"), "bearer.token", "BEARER"},
		{"oauth2 without secret", with(ok, "auth.type", "OAUTH2", "oauth2.token.url", "https://t/token", "oauth2.client.id", "x"), "oauth2.client.secret", "OAUTH2"},
		{"token property", with(ok, "oauth2.token.property", "token"), "oauth2.token.property", "must be one of"},
		{"method", with(ok, "http.request.method", "DELETE"), "http.request.method", "must be one of"},
		{"header", with(ok, "http.request.headers", "X-A:1|broken"), "http.request.headers", "Name:Value"},
		{"encrypted key", with(ok, "https.ssl.key.password", "pw"), "https.ssl.key.password", "encrypted private keys"},
		{"proxy without port", with(ok, "http.proxy.host", "proxy"), "http.proxy.port", "port"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := validate(confluentClass, c.cfg)
			for _, e := range errs {
				if e.Key == c.key && strings.Contains(e.Message, c.msg) {
					return
				}
			}
			t.Fatalf("errors %v; want one for %s saying %q", errs, c.key, c.msg)
		})
	}
}

func TestValidateCastorm(t *testing.T) {
	ok := cfg("http.request.url", "http://api/items", "http.request.params", "since=${offset.timestamp}", "kafka.topic", "t",
		"http.response.list.pointer", "/items", "http.response.record.offset.pointer", "key=/id, timestamp=/updated")
	if errs := validate(castormClass, ok); len(errs) > 0 {
		t.Fatalf("a valid config: %v", errs)
	}
	if errs := validate(castormClass, with(ok, "http.timer", "com.github.castorm.kafka.connect.timer.FixedIntervalTimer")); len(errs) != 1 || errs[0].Key != "http.timer" {
		t.Fatalf("an extension class: %v; want http.timer refused", errs)
	}
	if errs := validate(castormClass, with(ok, "http.response.record.offset.pointer", "id")); len(errs) != 1 || !strings.Contains(errs[0].Message, "property=/pointer") {
		t.Fatalf("offset pointer without name: %v", errs)
	}
	if errs := validate(castormClass, with(ok, "url", "http://x")); len(errs) != 1 || errs[0].Key != "url" {
		t.Fatalf("Confluent's key on castorm's class: %v", errs)
	}
}

func TestTaskConfigsSpreadEntities(t *testing.T) {
	raw, _ := confluentDef.Parse(cfg("url", "http://x/${entityName}?o=${offset}", "entity.names", "a,b,c,d,e", "topic.name.pattern", "t"))
	for _, c := range []struct {
		max  int
		want string
	}{{1, "a,b,c,d,e"}, {2, "a,b,c d,e"}, {3, "a,b c,d e"}, {9, "a b c d e"}} {
		tcs, err := confluentConnector{}.TaskConfigs(raw, c.max)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tc := range tcs {
			got = append(got, tc["entity.names"])
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("tasks.max=%d: %v, want %s", c.max, got, c.want)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:pw@h/p?access_token=abc&page=2": "https://u:xxxxx@h/p?access_token=xxxxx&page=2",
		"http://h/p?apiKey=k":                      "http://h/p?apiKey=xxxxx",
		"http://h/p?q=1":                           "http://h/p?q=1",
	} {
		if got := maskURL(in); got != want {
			t.Errorf("maskURL(%s) = %s, want %s", in, got, want)
		}
	}
}
