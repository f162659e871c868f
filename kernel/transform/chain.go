package transform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tributary-dev/tributary/plugins/kc"
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// The connector config keys a Chain reads, as Kafka Connect's ConnectorConfig.
const (
	KeyTransforms = "transforms"
	KeyPredicates = "predicates"
)

// Chain is a connector's transformation stages, in the order of its transforms key. The
// zero Chain (and a nil *Chain) has no stages and passes records through.
type Chain struct {
	stages []stage
}

type stage struct {
	alias, class string
	t            Transformation
	pred         Predicate // nil: the stage always applies
	predAlias    string
	predClass    string
	negate       bool
}

// StageError is a record failing in one stage of a chain: its transformation or the
// predicate guarding it. The runtime may report Class in the dead letter queue's
// __connect.errors.class.name header.
type StageError struct {
	Alias     string // the transform alias, as in transforms=<alias>
	Class     string // the class that failed: the transformation's, or the predicate's
	Predicate string // the predicate alias when the predicate failed, else ""
	Err       error
}

func (e *StageError) Error() string {
	if e.Predicate != "" {
		return fmt.Sprintf("transform %s: predicate %s (%s): %v", e.Alias, e.Predicate, e.Class, e.Err)
	}
	return fmt.Sprintf("transform %s (%s): %v", e.Alias, e.Class, e.Err)
}

func (e *StageError) Unwrap() error { return e.Err }

// NewChain builds the chain a connector config describes:
//
//	transforms=a,b
//	transforms.a.type=org.apache.kafka.connect.transforms.InsertField$Value
//	transforms.a.static.field=origin          (the transform's own settings)
//	transforms.a.predicate=p                  (optional; p must be listed in predicates)
//	transforms.a.negate=true                  (optional; apply when p does not match)
//	predicates=p
//	predicates.p.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches
//	predicates.p.pattern=orders.*
//
// Every problem Validate would report makes NewChain fail; the error joins them all, each
// a FieldError naming its key.
func NewChain(cfg map[string]string) (*Chain, error) {
	c, errs := build(cfg)
	if len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	return c, nil
}

// Validate reports, key by key, what NewChain would refuse in cfg: unknown or missing
// classes, settings a transform or predicate requires or cannot parse, bad regular
// expressions, predicates referenced but not defined, duplicate aliases. It returns nil
// when NewChain would succeed.
func Validate(cfg map[string]string) []FieldError {
	_, errs := build(cfg)
	return errs
}

// Len returns the number of stages.
func (c *Chain) Len() int {
	if c == nil {
		return 0
	}
	return len(c.stages)
}

// Aliases returns the transform aliases, in order.
func (c *Chain) Aliases() []string {
	if c == nil {
		return nil
	}
	out := make([]string, len(c.stages))
	for i, s := range c.stages {
		out[i] = s.alias
	}
	return out
}

// Apply runs the stages in order on r and returns the result, or nil when a stage dropped
// the record. A stage with a predicate runs only when the predicate matches (or, with
// negate, when it does not). r itself is never changed: the chain works on one shallow
// copy, made before the first stage; with no stages r is returned as is. A failure is a
// *StageError.
func (c *Chain) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	if c == nil || len(c.stages) == 0 || r == nil {
		return r, nil
	}
	r = shallowCopy(r)
	for i := range c.stages {
		s := &c.stages[i]
		if s.pred != nil {
			match, err := s.pred.Test(r)
			if err != nil {
				return nil, &StageError{Alias: s.alias, Class: s.predClass, Predicate: s.predAlias, Err: err}
			}
			if match == s.negate {
				continue
			}
		}
		out, err := s.t.Apply(r)
		if err != nil {
			return nil, &StageError{Alias: s.alias, Class: s.class, Err: err}
		}
		if out == nil {
			return nil, nil
		}
		r = out
	}
	return r, nil
}

// shallowCopy returns a new Record holding r's field values. (Copying the message struct
// itself would copy its internal state, which protobuf forbids.)
func shallowCopy(r *pluginv1.Record) *pluginv1.Record {
	return &pluginv1.Record{
		Topic:           r.Topic,
		Partition:       r.Partition,
		Key:             r.Key,
		KeySchema:       r.KeySchema,
		Value:           r.Value,
		ValueSchema:     r.ValueSchema,
		Headers:         r.Headers,
		TimestampMs:     r.TimestampMs,
		SourcePartition: r.SourcePartition,
		SourceOffset:    r.SourceOffset,
		KafkaOffset:     r.KafkaOffset,
		KeySchemaRef:    r.KeySchemaRef, // resolved by the codec, so 0; copied for completeness
		ValueSchemaRef:  r.ValueSchemaRef,
	}
}

// aliases parses a LIST of aliases, reporting blanks and duplicates under key.
func aliases(cfg map[string]string, key string) ([]string, []FieldError) {
	raw := kc.Trim(cfg[key])
	list := kc.ParseList(raw)
	seen := make(map[string]bool, len(list))
	var errs []FieldError
	for _, a := range list {
		switch {
		case a == "":
			errs = append(errs, FieldError{Key: key,
				Message: fmt.Sprintf("Invalid value %s for configuration %s: an alias may not be empty.", raw, key)})
		case seen[a]:
			errs = append(errs, FieldError{Key: key,
				Message: fmt.Sprintf("Invalid value %s for configuration %s: Duplicate alias provided: %s.", raw, key, a)})
		}
		seen[a] = true
	}
	return list, errs
}

// prefixed returns the keys of cfg under prefix, with the prefix stripped.
func prefixed(cfg map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range cfg {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}

func build(cfg map[string]string) (*Chain, []FieldError) {
	transforms, errs := aliases(cfg, KeyTransforms)
	predicates, perrs := aliases(cfg, KeyPredicates)
	errs = append(errs, perrs...)

	// Every listed predicate is built (and so validated), used or not, as upstream.
	type builtPredicate struct {
		p     Predicate
		class string
	}
	preds := map[string]builtPredicate{}
	for _, alias := range predicates {
		if alias == "" {
			continue
		}
		prefix := KeyPredicates + "." + alias + "."
		c, ferrs := classFor(cfg, prefix+"type", true)
		errs = append(errs, ferrs...)
		if c == nil {
			preds[alias] = builtPredicate{}
			continue
		}
		s := &settings{prefix: prefix, props: prefixed(cfg, prefix), defs: c.keys}
		delete(s.props, "type")
		p := c.newP(s)
		errs = append(errs, s.errs...)
		preds[alias] = builtPredicate{p: p, class: c.name}
	}

	chain := &Chain{}
	for _, alias := range transforms {
		if alias == "" {
			continue
		}
		prefix := KeyTransforms + "." + alias + "."
		st := stage{alias: alias}
		props := prefixed(cfg, prefix)
		delete(props, "type")

		if pa, ok := props["predicate"]; ok {
			delete(props, "predicate")
			pa = strings.TrimSpace(pa)
			if pa != "" {
				bp, defined := preds[pa]
				if !defined {
					errs = append(errs, FieldError{Key: prefix + "predicate", Message: fmt.Sprintf(
						"Invalid value %s for configuration %spredicate: predicate %q is not defined; list it in %s and set %s.%s.type.",
						pa, prefix, pa, KeyPredicates, KeyPredicates, pa)})
				}
				st.pred, st.predAlias, st.predClass = bp.p, pa, bp.class
			}
		}
		if nv, ok := props["negate"]; ok {
			delete(props, "negate")
			var ok bool
			if st.negate, ok = kc.ParseBool(nv); !ok {
				err := kc.CheckConfigValue(kc.TypeBoolean, prefix+"negate", nv)
				errs = append(errs, FieldError{Key: prefix + "negate", Message: err.Error()})
			}
		}

		c, ferrs := classFor(cfg, prefix+"type", false)
		errs = append(errs, ferrs...)
		if c == nil {
			continue
		}
		st.class = c.name
		s := &settings{prefix: prefix, props: props, defs: c.keys}
		st.t = c.newT(s)
		errs = append(errs, s.errs...)
		chain.stages = append(chain.stages, st)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return chain, nil
}

// classFor resolves the class a type key names.
func classFor(cfg map[string]string, key string, predicate bool) (*class, []FieldError) {
	name, ok := cfg[key]
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return nil, []FieldError{{Key: key,
			Message: fmt.Sprintf("Missing required configuration %q which has no default value.", key)}}
	}
	c := lookup(name)
	if c == nil || c.predicate != predicate {
		return nil, []FieldError{unknownClass(key, name, predicate)}
	}
	return c, nil
}
