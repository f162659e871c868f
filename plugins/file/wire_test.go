package main

// The file source as the kernel sees it: the built tributary-file binary launched by the
// kernel's plugin host, its records decoded from the Poll responses the kernel receives.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/kernel/pluginhost/hosttest"
	"github.com/tributary-dev/tributary/plugins/testsvc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

var (
	buildOnce sync.Once
	binary    string // the tributary-file binary under test
	buildErr  error
	buildDir  string // removed by TestMain when the binary was built here
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// pluginBinary returns $TRIBUTARY_BIN/plugins/tributary-file when TRIBUTARY_BIN is set
// (make test sets it), otherwise one built from this package, once per test binary.
func pluginBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if dir := os.Getenv("TRIBUTARY_BIN"); dir != "" {
			binary = filepath.Join(dir, "plugins", "tributary-file")
			_, buildErr = os.Stat(binary)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "file-test-"); buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "tributary-file")
		buildErr = testsvc.GoBuild("", binary, ".")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// TestLinesSurviveTheWire checks every line the source reads reaches the kernel as sent:
// the value a STRING with the line's text (multi-byte characters and an empty line
// included), the source partition the file name, the offset the position after the line.
func TestLinesSurviveTheWire(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and launches the plugin binary")
	}
	c := hosttest.Client(t, pluginBinary(t), "tributary-file", "file-source")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	path := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, path, "a\nbb\r\nc\rd\n\nnaïve ☃ 𝄞\nlast\n")
	if _, err := c.Source.Open(ctx, &pluginv1.OpenSourceRequest{Task: &pluginv1.TaskRef{Handle: "w"},
		ConnectorClass: "file-source", Config: map[string]string{"file": path, "topic": "lines"}}); err != nil {
		t.Fatalf("open: %v", err)
	}
	var got []string
	for len(got) < 7 {
		resp, err := c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: "w", MaxRecords: 100, TimeoutMs: 100})
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		for _, r := range resp.Records {
			if r.Topic != "lines" {
				t.Errorf("record topic %q, want lines", r.Topic)
			}
			if r.ValueSchema.GetType() != pluginv1.Schema_TYPE_STRING || r.ValueSchema.GetOptional() {
				t.Errorf("value schema %v, want a required STRING", r.ValueSchema)
			}
			if want := fmt.Sprintf(`{"filename":%q}`, path); string(r.SourcePartition) != want {
				t.Errorf("source partition %s, want %s", r.SourcePartition, want)
			}
			got = append(got, fmt.Sprintf("%q%s", r.Value.GetStringValue(), r.SourceOffset))
		}
		if ctx.Err() != nil {
			t.Fatalf("after a minute the kernel has %d of 7 lines: %s", len(got), strings.Join(got, " "))
		}
	}
	want := `"a"{"position":2} "bb"{"position":6} "c"{"position":8} "d"{"position":10} ""{"position":11} ` +
		`"naïve ☃ 𝄞"{"position":27} "last"{"position":32}`
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("records the kernel decoded:\n got %s\nwant %s", g, want)
	}
}
