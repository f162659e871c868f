package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestTasksMaxRunsOneTask checks that tasks.max > 1 is accepted and yields exactly one
// task config, the connector's own, and that the connector says why in its log, as
// Debezium runs one task per replication slot.
func TestTasksMaxRunsOneTask(t *testing.T) {
	var logs strings.Builder
	saved := logger
	logger = hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Info})
	defer func() { logger = saved }()
	for _, max := range []int{1, 4} {
		raw := validConfig("tasks.max", fmt.Sprint(max))
		if errs := validate(raw); len(errs) > 0 {
			t.Fatalf("tasks.max=%d refused: %v", max, errs)
		}
		cfg, errs := configDef.Parse(raw)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		tcs, err := connector{}.TaskConfigs(cfg, max)
		if err != nil {
			t.Fatal(err)
		}
		if len(tcs) != 1 {
			t.Fatalf("tasks.max=%d: %d task configs, want exactly 1", max, len(tcs))
		}
		if got, want := fmt.Sprint(tcs[0]), fmt.Sprint(map[string]string(cfg)); got != want {
			t.Errorf("tasks.max=%d: task config %s, want the connector's %s", max, got, want)
		}
	}
	if !strings.Contains(logs.String(), "runs one task") {
		t.Errorf("tasks.max=4 logged %q, want a line saying the connector runs one task", logs.String())
	}
}
