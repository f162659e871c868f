package conformance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// build compiles the Go main in pkg (relative to this directory) into a temp dir.
func build(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if err := testsvc.GoBuild("", out, pkg); err != nil {
		t.Fatal(err)
	}
	return out
}

// bundled returns the path of a bundled plugin: from $TRIBUTARY_BIN/plugins (make test
// sets it), else built here.
func bundled(t *testing.T, name string) string {
	t.Helper()
	if name == "tributary-pycounter" {
		if out, err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf").CombinedOutput(); err != nil {
			testsvc.Require(t, fmt.Errorf("%v: %s", err, out), "/usr/bin/python3 with apt's python3-grpcio and python3-protobuf")
		}
	}
	if dir := os.Getenv("TRIBUTARY_BIN"); dir != "" {
		return filepath.Join(dir, "plugins", name)
	}
	if name == "tributary-pycounter" {
		out := filepath.Join(t.TempDir(), name)
		if b, err := exec.Command("../../plugins/examples/python/build.sh", out).CombinedOutput(); err != nil {
			t.Fatalf("build.sh: %v\n%s", err, b)
		}
		return out
	}
	if name == "tributary-example-go" {
		return build(t, "../../plugins/examples/go")
	}
	return build(t, "../../plugins/"+name[len("tributary-"):])
}

func slow(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts plugin processes")
	}
}

// TestBundledPluginsConform runs the kit on every connector the repository ships; each
// must pass every check, none skipped.
func TestBundledPluginsConform(t *testing.T) {
	slow(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("one\ntwo\nthree\nfour\nfive\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const sourceChecks, sinkChecks = 15, 11
	for _, tc := range []struct {
		binary, class string
		config        map[string]string
		checks        int
	}{
		{"tributary-file", "file-source", map[string]string{"file": in, "topic": "t"}, sourceChecks},
		{"tributary-file", "file-sink", map[string]string{"file": filepath.Join(dir, "out.txt")}, sinkChecks},
		{"tributary-datagen", "", map[string]string{"topic": "t", "count": "5"}, sourceChecks},
		{"tributary-example-go", "", map[string]string{"topic": "t", "interval.ms": "10", "count": "5"}, sourceChecks},
		{"tributary-pycounter", "py-counter-source", map[string]string{"topic": "t", "count": "5", "interval.ms": "50"}, sourceChecks},
		{"tributary-pycounter", "py-log-sink", map[string]string{"file": filepath.Join(dir, "py.txt")}, sinkChecks},
	} {
		t.Run(tc.binary+"/"+tc.class, func(t *testing.T) {
			results := Run(context.Background(), bundled(t, tc.binary), Options{Class: tc.class, Config: tc.config})
			for _, r := range results {
				if r.Status != Pass {
					t.Errorf("%s %s: %s: %s", r.Class, r.Check, r.Status, r.Detail)
				}
			}
			if len(results) != tc.checks {
				t.Errorf("ran %d checks, want %d: %+v", len(results), tc.checks, results)
			}
		})
	}
}

// TestBrokenPluginsFailNamingTheCheck runs the kit on plugins broken in one way each:
// exactly the check of that flaw fails.
func TestBrokenPluginsFailNamingTheCheck(t *testing.T) {
	slow(t)
	for _, tc := range []struct{ plugin, class, check string }{
		{"handshake", "", "handshake"},
		{"maxrecords", "fake-source", "source.poll.max-records"},
		{"flush", "fake-sink", "sink.flush"},
	} {
		t.Run(tc.plugin, func(t *testing.T) {
			bin := build(t, "./testdata/broken/"+tc.plugin)
			results := Run(context.Background(), bin, Options{Class: tc.class, Config: map[string]string{"topic": "t"}})
			var failed []string
			for _, r := range results {
				if r.Status == Fail {
					failed = append(failed, r.Check)
				}
			}
			if !slices.Equal(failed, []string{tc.check}) {
				t.Errorf("failed checks %q, want exactly [%q]; results: %+v", failed, tc.check, results)
			}
			if !Failed(results) {
				t.Error("Failed(results) = false for a failing run")
			}
		})
	}
}

// TestConforms decides as Kafka Connect's ConnectSchema.validateValue does.
func TestConforms(t *testing.T) {
	str := &pluginv1.Value{Kind: &pluginv1.Value_StringValue{StringValue: "s"}}
	big := &pluginv1.Value{Kind: &pluginv1.Value_IntValue{IntValue: 300}}
	schema := func(t pluginv1.Schema_Type, optional bool) *pluginv1.Schema {
		return &pluginv1.Schema{Type: t, Optional: optional}
	}
	row := &pluginv1.Value{Kind: &pluginv1.Value_StructValue{StructValue: &pluginv1.Struct{
		Fields: []*pluginv1.Field{{Name: "a", Value: str}}}}}
	rowSchema := &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Fields: []*pluginv1.SchemaField{
		{Name: "a", Schema: schema(pluginv1.Schema_TYPE_STRING, false)}, {Name: "b", Schema: schema(pluginv1.Schema_TYPE_INT8, true)}}}
	for _, tc := range []struct {
		name   string
		schema *pluginv1.Schema
		value  *pluginv1.Value
		ok     bool
	}{
		{"schemaless", nil, big, true},
		{"string", schema(pluginv1.Schema_TYPE_STRING, false), str, true},
		{"string as bytes", schema(pluginv1.Schema_TYPE_BYTES, false), str, false},
		{"int16", schema(pluginv1.Schema_TYPE_INT16, false), big, true},
		{"int8 overflow", schema(pluginv1.Schema_TYPE_INT8, false), big, false},
		{"null optional", schema(pluginv1.Schema_TYPE_INT32, true), nil, true},
		{"null required", schema(pluginv1.Schema_TYPE_INT32, false), nil, false},
		{"struct", rowSchema, row, true},
		{"struct as string", schema(pluginv1.Schema_TYPE_STRING, false), row, false},
		{"struct missing required field", &pluginv1.Schema{Type: pluginv1.Schema_TYPE_STRUCT, Fields: []*pluginv1.SchemaField{
			{Name: "c", Schema: schema(pluginv1.Schema_TYPE_STRING, false)}}}, row, false},
	} {
		if err := conforms(tc.schema, tc.value, "value"); (err == nil) != tc.ok {
			t.Errorf("%s: conforms = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
