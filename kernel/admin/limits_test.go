package admin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/config"
	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// TestOversizedConfigsAreRefusedAtTheEdge: a config past config.MaxConfigBytes is refused
// before anything is replicated — InvalidArgument naming the largest key over gRPC, 413
// over REST — and so is a tasks.max past config.MaxTasks, naming the key.
func TestOversizedConfigsAreRefusedAtTheEdge(t *testing.T) {
	f := newFixture(t)
	index := func() (i uint64) { f.store.Read(func(s *state.State) { i = s.Index() }); return i }
	before := index()

	big := sourceConfig("huge.value", strings.Repeat("x", config.MaxConfigBytes))
	_, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "big", Config: big})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `"huge.value"`) || !strings.Contains(err.Error(), "config provider") {
		t.Errorf("CreateConnector with a %d-byte value = %v; want InvalidArgument naming huge.value and the fix", config.MaxConfigBytes, err)
	}
	_, err = f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "many", Config: sourceConfig("tasks.max", "1025")})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "tasks.max") || !strings.Contains(err.Error(), "1024") {
		t.Errorf("CreateConnector with tasks.max=1025 = %v; want InvalidArgument naming tasks.max and its bound", err)
	}

	srv := httptest.NewServer(f.svc.RESTHandler())
	defer srv.Close()
	body, _ := json.Marshal(map[string]any{"name": "big", "config": sourceConfig("huge.value", strings.Repeat("x", 2*config.MaxConfigBytes))})
	resp, err := http.Post(srv.URL+"/connectors", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "config provider") {
		t.Errorf("POST /connectors with a 2 MiB config = %d %s; want 413 saying how to keep it small", resp.StatusCode, msg)
	}
	if got := index(); got != before {
		t.Errorf("the refused configs changed the state: index %d -> %d", before, got)
	}
	if _, err := f.svc.CreateConnector(ctx, &adminv1.CreateConnectorRequest{Name: "ok", Config: sourceConfig("tasks.max", "1024")}); err != nil {
		t.Errorf("tasks.max=1024 (the bound itself) refused: %v", err)
	}
}
