package transform

import (
	"fmt"
	"strings"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func init() {
	registerTransform("RegexRouter",
		"Update the record topic using the configured regular expression and replacement string. Under the hood, "+
			"the regex is compiled to a Pattern. If the pattern matches the input topic, Matcher#replaceFirst() is used "+
			"with the replacement string to obtain the new topic.",
		[]keyDef{
			required("regex", tString, high, "Regular expression to use for matching."),
			required("replacement", tString, high, "Replacement string."),
		}, newRegexRouter)

	registerTransform("TimestampRouter",
		"Update the record's topic field as a function of the original topic value and the record timestamp. "+
			"This is mainly useful for sink connectors, since the topic field is often used to determine the "+
			"equivalent entity name in the destination system (e.g. database table or search index name).",
		[]keyDef{
			optional("topic.format", tString, "${topic}-${timestamp}", high,
				"Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp, respectively."),
			optional("timestamp.format", tString, "yyyyMMdd", high,
				"Format string for the timestamp that is compatible with java.text.SimpleDateFormat."),
		}, newTimestampRouter)
}

type regexRouter struct {
	re          *javaRegex
	replacement string
}

func newRegexRouter(s *settings) Transformation {
	r := &regexRouter{re: s.regex("regex", false)}
	r.replacement, _ = s.str("replacement")
	if r.re != nil {
		if err := checkJavaReplacement(r.re.find, r.replacement); err != nil {
			s.invalid("replacement", r.replacement, err.Error())
		}
	}
	return r
}

func (rr *regexRouter) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	if !rr.re.matches(r.Topic) {
		return r, nil
	}
	topic, err := rr.re.replaceFirst(r.Topic, rr.replacement)
	if err != nil {
		return nil, err
	}
	r.Topic = topic
	return r, nil
}

type timestampRouter struct {
	topicFormat string
	ts          *simpleDateFormat
}

func newTimestampRouter(s *settings) Transformation {
	t := &timestampRouter{}
	t.topicFormat, _ = s.str("topic.format")
	pattern, _ := s.str("timestamp.format")
	f, err := newSimpleDateFormat(pattern)
	if err != nil {
		s.invalid("timestamp.format", pattern, "not a SimpleDateFormat pattern: "+err.Error())
	}
	t.ts = f
	return t
}

func (t *timestampRouter) Apply(r *pluginv1.Record) (*pluginv1.Record, error) {
	if r.TimestampMs == 0 {
		return nil, fmt.Errorf("Timestamp missing on record: topic %s, partition %d", r.Topic, r.Partition)
	}
	topic := strings.ReplaceAll(t.topicFormat, "${topic}", r.Topic)
	r.Topic = strings.ReplaceAll(topic, "${timestamp}", t.ts.format(r.TimestampMs))
	return r, nil
}
