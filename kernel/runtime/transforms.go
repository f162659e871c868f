package runtime

import (
	"errors"
	"strings"

	"github.com/tributary-dev/tributary/kernel/transform"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// transformChain is what a task needs of its connector's single message transforms
// (kernel/transform's *Chain): Apply returns the transformed record, or nil when a
// transform or predicate filtered it out. Apply never changes the record it is given.
type transformChain interface {
	Apply(*pluginv1.Record) (*pluginv1.Record, error)
	Len() int
}

// newTransformChain builds the transforms a connector config describes (transforms=…,
// transforms.<alias>.*, predicates=…); nil when it has none.
func newTransformChain(cfg map[string]string) (transformChain, error) {
	if strings.TrimSpace(cfg[transform.KeyTransforms]) == "" {
		return nil, nil
	}
	c, err := transform.NewChain(cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// transformClass names the class that failed in a transform chain's error — the
// transformation's, or its predicate's — for logs and the dead letter queue's
// __connect.errors.class.name header.
func transformClass(err error) string {
	if se, ok := errors.AsType[*transform.StageError](err); ok {
		return se.Class
	}
	return "transforms"
}
