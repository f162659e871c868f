package transform

import (
	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerTransform("Filter",
		"Drops all records, filtering them from subsequent transformations in the chain. This is intended to be "+
			"used conditionally to filter out records matching (or not matching) a particular Predicate.",
		nil, func(*settings) Transformation { return filter{} })

	registerPredicate("HasHeaderKey",
		"A predicate which is true for records with at least one header with the configured name.",
		[]keyDef{required("name", tString, medium, "The header name.")},
		func(s *settings) Predicate {
			name, ok := s.str("name")
			if ok && name == "" {
				s.invalid("name", name, "String must be non-empty")
			}
			return hasHeaderKey{name: name}
		})

	registerPredicate("RecordIsTombstone",
		"A predicate which is true for records which are tombstones (i.e. have null value).",
		nil, func(*settings) Predicate { return recordIsTombstone{} })

	registerPredicate("TopicNameMatches",
		"A predicate which is true for records with a topic name that matches the configured regular expression.",
		[]keyDef{required("pattern", tString, medium,
			"A Java regular expression for matching against the name of a record's topic.")},
		func(s *settings) Predicate { return topicNameMatches{re: s.regex("pattern", true)} })
}

// filter is Filter: it drops every record it is applied to.
type filter struct{}

func (filter) Apply(*pluginv1.Record) (*pluginv1.Record, error) { return nil, nil }

type hasHeaderKey struct{ name string }

func (p hasHeaderKey) Test(r *pluginv1.Record) (bool, error) {
	for _, h := range r.GetHeaders() {
		if h.GetKey() == p.name {
			return true, nil
		}
	}
	return false, nil
}

type recordIsTombstone struct{}

func (recordIsTombstone) Test(r *pluginv1.Record) (bool, error) { return isNull(r.GetValue()), nil }

type topicNameMatches struct{ re *javaRegex }

func (p topicNameMatches) Test(r *pluginv1.Record) (bool, error) {
	return p.re.matches(r.GetTopic()), nil
}
