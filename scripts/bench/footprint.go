package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// benchFootprint reads resident memory (VmRSS) of a fresh kernel node and of each of its
// plugin processes, idle and then running n datagen connectors at 10 records/s each, one
// topic each.
func benchFootprint(ctx context.Context, env *benchEnv, t *table, n int) error {
	a, err := startAgent(env, "footprint", "")
	if err != nil {
		return err
	}
	defer a.shutdown()
	settle := 5 * time.Second
	if env.quick {
		settle = 2 * time.Second
	}
	time.Sleep(settle)
	idle, idlePlugins, err := footprint(a.pid())
	if err != nil {
		return err
	}
	fmt.Printf("   idle: kernel %s; plugins %s\n", mb(idle), describe(idlePlugins))

	start := time.Now()
	for i := range n {
		topic := fmt.Sprintf("fp-%03d", i)
		if err := env.kafka.createTopic(topic, 1); err != nil {
			return err
		}
		if err := createConnector(ctx, a.client, topic, map[string]string{
			"connector.class": "datagen", "topic": topic, "rate": "10", "record.size": "100"}); err != nil {
			return err
		}
	}
	for i := range n {
		if _, err := waitRunning(ctx, a.client, fmt.Sprintf("fp-%03d", i), time.Minute); err != nil {
			return err
		}
	}
	fmt.Printf("   %d connectors created and RUNNING in %s\n", n, ms(time.Since(start)))
	time.Sleep(settle)
	busy, busyPlugins, err := footprint(a.pid())
	if err != nil {
		return err
	}
	fmt.Printf("   with %d connectors: kernel %s; plugins %s\n", n, mb(busy), describe(busyPlugins))
	// Check they produce: every topic has records.
	var empty []string
	for i := range n {
		topic := fmt.Sprintf("fp-%03d", i)
		if got, err := env.kafka.endOffsets(topic, 1); err != nil || got == 0 {
			empty = append(empty, topic)
		}
	}
	if len(empty) > 0 {
		return fmt.Errorf("%d connectors produced nothing (e.g. %s)", len(empty), empty[0])
	}
	for i := range n {
		_ = deleteConnector(ctx, a.client, fmt.Sprintf("fp-%03d", i))
		env.kafka.deleteTopic(fmt.Sprintf("fp-%03d", i))
	}

	t.add(row{group: "footprint", metric: "kernel RSS, idle", value: mb(idle)})
	t.add(row{group: "", metric: fmt.Sprintf("kernel RSS, %d datagen connectors at 10 rec/s", n), value: mb(busy),
		target: "≤ 150 MB", verdict: verdict(float64(busy)*1024 <= 150e6, fmt.Sprintf("%.0f%% over", (float64(busy)*1024/150e6-1)*100))})
	for _, name := range sortedKeys(idlePlugins) {
		kb := idlePlugins[name]
		r := row{group: "", metric: "plugin RSS, idle: " + name, value: mb(kb)}
		if goPlugin(name) {
			r.target = "≤ 25 MB (Go)"
			r.verdict = verdict(float64(kb)*1024 <= 25e6, fmt.Sprintf("%.0f%% over", (float64(kb)*1024/25e6-1)*100))
		}
		t.add(r)
	}
	for _, name := range sortedKeys(busyPlugins) {
		if strings.HasSuffix(name, "datagen") {
			t.add(row{group: "", metric: fmt.Sprintf("plugin RSS, %d tasks: %s", n, name), value: mb(busyPlugins[name])})
		}
	}
	return nil
}

// footprint returns the RSS of the kernel process and of each plugin process by name;
// the names of plugins that are not Go programs end in a parenthesised interpreter.
func footprint(pid int) (int64, map[string]int64, error) {
	kernel, err := rssKB(pid)
	if err != nil {
		return 0, nil, err
	}
	plugins := map[string]int64{}
	for _, c := range children(pid) {
		name := c.name
		if !isGo(c.pid) && !strings.HasSuffix(name, ")") {
			name += " (not Go)"
		}
		if kb, err := rssKB(c.pid); err == nil {
			plugins[name] += kb
		}
	}
	return kernel, plugins, nil
}

// goPlugin says whether a footprint name is a Go plugin's, to which the 25 MB target
// applies.
func goPlugin(name string) bool { return !strings.HasSuffix(name, ")") }

func describe(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %s", k, mb(m[k])))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
