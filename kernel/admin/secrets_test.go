package admin

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// The secrets of the masking tests: a PASSWORD key, a key the plugin marks secret, and a
// converter setting (not the plugin's) whose name says it is one.
const (
	secretPassword = "hunter2-pw"
	secretAPIKey   = "k-123-key"
	secretUserInfo = "alice:u-s3cret"
)

var secrets = []string{secretPassword, secretAPIKey, secretUserInfo, "refused-pw-77"}

// lockedBuffer is a log destination the handlers of an httptest server may write to while
// the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func secretConfig(kv ...string) map[string]string {
	return sourceConfig(append([]string{"db.password", secretPassword, "api.key", secretAPIKey,
		"value.converter", "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.basic.auth.user.info", secretUserInfo}, kv...)...)
}

// noSecret fails when text shows any secret; with hidden set, it also wants the mask.
func noSecret(t *testing.T, what, text string, hidden bool) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", what, s, text)
		}
	}
	if hidden && !strings.Contains(text, "[hidden]") {
		t.Errorf("%s does not show [hidden] where the secrets were:\n%s", what, text)
	}
}

// Every answer that carries a connector's config (REST and gRPC), every error a plugin
// words with the config it refuses, and the service's log lines show secrets masked.
func TestSecretsMaskedInEveryAnswer(t *testing.T) {
	f, c := newREST(t)
	logs := &lockedBuffer{}
	f.svc.log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("component", "admin")
	cfgJSON := `{"connector.class":"file-source","file":"/in","topic":"t","tasks.max":"2",` +
		`"db.password":"` + secretPassword + `","api.key":"` + secretAPIKey + `",` +
		`"value.converter":"org.apache.kafka.connect.json.JsonConverter","value.converter.basic.auth.user.info":"` + secretUserInfo + `"}`

	rest := []struct {
		name, method, path, body string
		code                     int
		hidden                   bool // the answer shows the config, so [hidden] must appear
	}{
		{"create", "POST", "/connectors", `{"name":"src","config":` + cfgJSON + `}`, 201, true},
		{"connector info", "GET", "/connectors/src", "", 200, true},
		{"GET config", "GET", "/connectors/src/config", "", 200, true},
		{"GET tasks", "GET", "/connectors/src/tasks", "", 200, true},
		{"expand=info", "GET", "/connectors?expand=info&expand=status", "", 200, true},
		{"PUT config", "PUT", "/connectors/src/config", cfgJSON, 200, true},
		{"PUT config creating", "PUT", "/connectors/src2/config", cfgJSON, 201, true},
		{"PATCH config", "PATCH", "/connectors/src/config", `{"tasks.max":"1"}`, 200, true},
		{"validate", "PUT", "/connector-plugins/file-source/config/validate", cfgJSON, 200, true},
		{"validate, the plugin quoting the secret it refuses", "PUT", "/connector-plugins/file-source/config/validate",
			strings.Replace(cfgJSON, secretPassword, "refused-pw-77", 1), 200, true},
		{"create refused by the plugin quoting the secret", "POST", "/connectors",
			`{"name":"bad","config":` + strings.Replace(cfgJSON, secretPassword, "refused-pw-77", 1) + `}`, 400, false},
		{"task split refused by a plugin quoting the whole config", "PUT", "/connectors/bad/config",
			strings.Replace(cfgJSON, `"tasks.max"`, `"split":"fail","tasks.max"`, 1), 400, false},
		{"status", "GET", "/connectors/src/status", "", 200, false},
	}
	for _, r := range rest {
		code, body, _ := c.do(r.method, r.path, r.body)
		if code != r.code {
			t.Errorf("%s: %s %s: %d %s, want %d", r.name, r.method, r.path, code, body, r.code)
		}
		noSecret(t, "REST "+r.name, body, r.hidden)
	}

	// The same answers over gRPC.
	grpc := []struct {
		name   string
		call   func() (proto.Message, error)
		hidden bool
	}{
		{"CreateConnector", func() (proto.Message, error) {
			return f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "g", Config: secretConfig()})
		}, true},
		{"GetConnector", func() (proto.Message, error) {
			return f.svc.GetConnector(ctx, &adminv1.ConnectorRequest{Name: "g"})
		}, true},
		{"GetTaskConfigs", func() (proto.Message, error) {
			return f.svc.GetTaskConfigs(ctx, &adminv1.ConnectorRequest{Name: "g"})
		}, true},
		{"PutConnectorConfig", func() (proto.Message, error) {
			return f.svc.PutConnectorConfig(ctx, &adminv1.PutConnectorConfigRequest{Name: "g", Config: secretConfig("tasks.max", "3")})
		}, true},
		{"ValidateConfig", func() (proto.Message, error) {
			return f.svc.ValidateConfig(ctx, &adminv1.ValidateConfigRequest{Config: secretConfig("db.password", "refused-pw-77")})
		}, true},
	}
	for _, g := range grpc {
		m, err := g.call()
		if err != nil {
			t.Errorf("%s: %v", g.name, err)
			continue
		}
		noSecret(t, "gRPC "+g.name, prototext.Format(m), g.hidden)
	}
	_, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "g2", Config: secretConfig("db.password", "refused-pw-77")})
	if err == nil {
		t.Fatal("CreateConnector with a password the plugin refuses succeeded")
	}
	noSecret(t, "gRPC CreateConnector error", err.Error(), false)
	if !strings.Contains(err.Error(), "the database refused the password [hidden]") {
		t.Errorf("the plugin's message should stay, with the secret masked: %v", err)
	}
	_, err = f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "g2", Config: secretConfig("split", "fail")})
	if err == nil {
		t.Fatal("CreateConnector with split=fail succeeded")
	}
	noSecret(t, "gRPC CreateConnector task split error", err.Error(), true)

	// The stored config keeps the real values: masking is for answers only, and a PUT
	// that sends back what GET showed does not overwrite a secret with the mask.
	var stored *clusterv1.Connector
	f.store.Read(func(s *state.State) { stored = s.Connector("src") })
	if stored.Config["db.password"] != secretPassword || stored.Config["value.converter.basic.auth.user.info"] != secretUserInfo {
		t.Errorf("stored config lost its secrets: %v", stored.Config)
	}
	noSecret(t, "admin log", logs.String(), false)
}
