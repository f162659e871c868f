package config

import (
	"slices"
	"strings"
	"sync"
)

// minSecretLen is the shortest value Secrets hides: shorter ones would turn every "1" or
// "on" in a line into [hidden].
const minSecretLen = 4

// Secrets is a set of secret values to hide, as Hidden, in what is logged or reported:
// what config providers resolved and the values of secret keys. The runtime keeps one
// per task, the plugin host one for its plugins' log lines. The zero value is empty and
// ready; it is safe for concurrent use.
type Secrets struct {
	mu     sync.RWMutex
	values []string // longest first, so a secret containing another is hidden whole
}

// Add makes v hidden from now on, unless it is shorter than 4 bytes. Adding to a nil
// Secrets does nothing.
func (s *Secrets) Add(v string) {
	if s == nil || len(v) < minSecretLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.values, v) {
		return
	}
	s.values = append(s.values, v)
	slices.SortStableFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// Redact returns line with every secret replaced by Hidden. A nil Secrets hides nothing.
func (s *Secrets) Redact(line string) string {
	if s == nil {
		return line
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(line, v) {
			line = strings.ReplaceAll(line, v, Hidden)
		}
	}
	return line
}

// Empty says whether there is nothing to hide.
func (s *Secrets) Empty() bool {
	if s == nil {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values) == 0
}
