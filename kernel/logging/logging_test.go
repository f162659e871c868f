package logging

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func newTest() (*Levels, *slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	lv := NewLevels(slog.LevelInfo)
	base := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: LevelTrace})
	return lv, slog.New(NewHandler(base, lv)), &buf
}

// A level set on one logger changes what that logger (and those below it) writes, and
// nothing else; root sets every one.
func TestLevelsPerLogger(t *testing.T) {
	lv, log, buf := newTest()
	cluster := Named(log.With("node", "n1"), Kernel+".cluster")
	runtime := Named(log, Kernel+".runtime")
	plugin := log.With("plugin", "tributary-file")

	cluster.Debug("cluster debug 1")
	runtime.Debug("runtime debug 1")
	if s := buf.String(); s != "" {
		t.Fatalf("at INFO nothing at DEBUG may be written, got:\n%s", s)
	}
	if got := lv.Set(Kernel+".cluster", slog.LevelDebug); !slices.Equal(got, []string{Kernel + ".cluster"}) {
		t.Errorf("Set(cluster) changed %v", got)
	}
	cluster.Debug("cluster debug 2")
	runtime.Debug("runtime debug 2")
	plugin.Debug("plugin debug 2")
	if s := buf.String(); !strings.Contains(s, "cluster debug 2") || !strings.Contains(s, "node=n1") ||
		strings.Contains(s, "runtime debug 2") || strings.Contains(s, "plugin debug 2") {
		t.Fatalf("after DEBUG on cluster only, got:\n%s", s)
	}
	buf.Reset()

	// A parent sets its children: tributary.kernel covers cluster and runtime.
	changed := lv.Set(Kernel, slog.LevelWarn)
	if !slices.Contains(changed, Kernel+".runtime") || !slices.Contains(changed, Kernel+".cluster") {
		t.Errorf("Set(%s) changed %v; want its children too", Kernel, changed)
	}
	cluster.Info("cluster info 3")
	if buf.Len() != 0 {
		t.Fatalf("at WARN an INFO line was written:\n%s", buf.String())
	}

	lv.Set(Root, slog.LevelDebug)
	plugin.Debug("plugin debug 4")
	log.Debug("with a plugin attribute", "plugin", "tributary-s3")
	runtime.Debug("runtime debug 4")
	for _, want := range []string{"plugin debug 4", "with a plugin attribute", "runtime debug 4"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("after root=DEBUG %q was not written:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	lv.Set(PluginLogger("tributary-s3"), slog.LevelError)
	log.Info("s3 says", "plugin", "tributary-s3")
	log.Info("file says", "plugin", "tributary-file")
	if s := buf.String(); strings.Contains(s, "s3 says") || !strings.Contains(s, "file says") {
		t.Errorf("s3 at ERROR, file at DEBUG:\n%s", s)
	}
	if lg, ok := lv.Get(PluginLogger("tributary-s3")); !ok || lg.Level != slog.LevelError || lg.LastModified.IsZero() {
		t.Errorf("Get(s3) = %+v, %v", lg, ok)
	}
}

func TestParseLevel(t *testing.T) {
	for _, name := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"} {
		l, err := ParseLevel(strings.ToLower(name))
		if err != nil || LevelName(l) != name {
			t.Errorf("ParseLevel(%q) = %v, %v; LevelName gives %q", name, l, err, LevelName(l))
		}
	}
	if _, err := ParseLevel("LOUD"); err == nil {
		t.Error("ParseLevel(LOUD) succeeded")
	}
}
