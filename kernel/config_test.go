package kernel

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"default bootstrap", func(*Config) {}, ""},
		{"rescan off", func(c *Config) { c.PluginRescanInterval = 0 }, ""},
		{"negative rescan", func(c *Config) { c.PluginRescanInterval = -time.Second },
			"plugin_rescan_interval -1s is negative: use a duration such as 2s, or 0 to rescan only on `tributary plugins reload`"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "data_dir is empty"},
		{"bad port", func(c *Config) { c.RaftPort = 70000 }, "raft_port 70000 is not a port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Bootstrap = true
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want it to say %q", err, tc.want)
			}
		})
	}
}
