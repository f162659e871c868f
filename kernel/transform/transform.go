package transform

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Transformation changes one record. Apply returns the record to pass on, or nil to drop
// it (Filter). Apply may set the top-level fields of r and return r itself, but never
// modifies the Values, Schemas or Headers r points to (see the package doc); Chain.Apply
// hands each stage a record it may change that way. An error fails the record: the runtime
// fails the task or, under errors.tolerance=all, routes the record to the dead letter
// queue.
type Transformation interface {
	Apply(r *pluginv1.Record) (*pluginv1.Record, error)
}

// Predicate decides whether a transformation applies to a record. Test never changes r.
type Predicate interface {
	Test(r *pluginv1.Record) (bool, error)
}

// The package names of Kafka Connect's built-in transformations and predicates.
const (
	TransformsPackage = "org.apache.kafka.connect.transforms."
	PredicatesPackage = "org.apache.kafka.connect.transforms.predicates."
)

// class is one registered transformation or predicate class.
type class struct {
	name      string // the full class name
	predicate bool
	doc       string
	keys      []keyDef
	newT      func(s *settings) Transformation // nil for predicates
	newP      func(s *settings) Predicate      // nil for transformations
}

var (
	registry = map[string]*class{}
	// abstract holds the base names of $Key/$Value pairs, which cannot be used alone.
	abstract = map[string][2]string{}
	// shortNames maps the short name of a class outside Kafka's packages (the part after
	// its package, e.g. ExtractNewRecordState) to its full name.
	shortNames = map[string]string{}
)

func register(c *class) {
	if _, dup := registry[c.name]; dup {
		panic("transform: class registered twice: " + c.name)
	}
	registry[c.name] = c
}

func registerTransform(name, doc string, keys []keyDef, f func(s *settings) Transformation) {
	register(&class{name: TransformsPackage + name, doc: doc, keys: keys, newT: f})
}

// registerKeyValue registers name$Key and name$Value, built by f with the side each works on.
func registerKeyValue(name, doc string, keys []keyDef, f func(sd side, s *settings) Transformation) {
	base := TransformsPackage + name
	register(&class{name: base + "$Key", doc: doc + " This variant works on the record key.", keys: keys,
		newT: func(s *settings) Transformation { return f(keySide, s) }})
	register(&class{name: base + "$Value", doc: doc + " This variant works on the record value.", keys: keys,
		newT: func(s *settings) Transformation { return f(valueSide, s) }})
	abstract[base] = [2]string{base + "$Key", base + "$Value"}
}

// registerForeignTransform registers a transformation under a full class name outside
// Kafka's package (e.g. io.debezium.transforms.ExtractNewRecordState); the part after the
// last dot is accepted as its short name.
func registerForeignTransform(fullName, doc string, keys []keyDef, f func(s *settings) Transformation) {
	register(&class{name: fullName, doc: doc, keys: keys, newT: f})
	short := fullName[strings.LastIndexByte(fullName, '.')+1:]
	if _, dup := shortNames[short]; dup {
		panic("transform: short class name registered twice: " + short)
	}
	shortNames[short] = fullName
}

func registerPredicate(name, doc string, keys []keyDef, f func(s *settings) Predicate) {
	register(&class{name: PredicatesPackage + name, predicate: true, doc: doc, keys: keys, newP: f})
}

// Classes returns every transformation and predicate class, sorted: the transformations,
// then the predicates. Each is also accepted under its short name (the part after the
// package, e.g. InsertField$Value, TopicNameMatches or ExtractNewRecordState).
func Classes() []string {
	return append(TransformationClasses(), PredicateClasses()...)
}

// TransformationClasses returns the transformation classes, sorted.
func TransformationClasses() []string { return classNames(false) }

// PredicateClasses returns the predicate classes, sorted.
func PredicateClasses() []string { return classNames(true) }

func classNames(predicates bool) []string {
	var out []string
	for n, c := range registry {
		if c.predicate == predicates {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// ConfigKeys returns the settings a transformation or predicate class accepts (under
// transforms.<alias>. or predicates.<alias>.), for /connector-plugins/{class}/config;
// ok is false when the class is unknown. The transform-level keys type, predicate and
// negate are not included.
func ConfigKeys(className string) (keys []*pluginv1.ConfigKey, ok bool) {
	c := lookup(className)
	if c == nil {
		return nil, false
	}
	keys = make([]*pluginv1.ConfigKey, len(c.keys))
	for i, k := range c.keys {
		keys[i] = k.configKey()
	}
	return keys, true
}

// Doc returns the one-paragraph description of a class, or "" when it is unknown.
func Doc(className string) string {
	if c := lookup(className); c != nil {
		return c.doc
	}
	return ""
}

// lookup resolves a class name: the full name, a short name (after the package), or either
// with "." instead of "$" before Key or Value (Java's canonical name).
func lookup(name string) *class {
	name = strings.TrimSpace(name)
	for _, n := range candidates(name) {
		if c := registry[n]; c != nil {
			return c
		}
	}
	return nil
}

func candidates(name string) []string {
	names := []string{name}
	for _, v := range []string{".Key", ".Value"} {
		if base, ok := strings.CutSuffix(name, v); ok {
			names = append(names, base+"$"+v[1:])
		}
	}
	if !strings.HasPrefix(name, "org.apache.kafka.") {
		for _, n := range slices.Clone(names) {
			names = append(names, TransformsPackage+n, PredicatesPackage+n)
		}
	}
	if full, ok := shortNames[name]; ok { // Kafka's own classes win a clash of short names
		names = append(names, full)
	}
	return names
}

// abstractVariants returns the $Key and $Value classes when name is the base of a pair.
func abstractVariants(name string) ([2]string, bool) {
	for _, n := range candidates(strings.TrimSpace(name)) {
		if v, ok := abstract[n]; ok {
			return v, true
		}
	}
	return [2]string{}, false
}

// unknownClass explains why name is not a usable class of the wanted kind.
func unknownClass(key, name string, wantPredicate bool) FieldError {
	what, known := "transformation", TransformationClasses()
	if wantPredicate {
		what, known = "predicate", PredicateClasses()
	}
	msg := fmt.Sprintf("Invalid value %s for configuration %s: ", name, key)
	if v, ok := abstractVariants(name); ok && !wantPredicate {
		msg += fmt.Sprintf("%s is abstract and cannot be created; use %s or %s.", name, v[0], v[1])
	} else if c := lookup(name); c != nil {
		other := "predicate"
		if !c.predicate {
			other = "transformation"
		}
		msg += fmt.Sprintf("%s is a %s, not a %s.", c.name, other, what)
	} else {
		msg += fmt.Sprintf("Class %s could not be found as a %s. Known %ss: %s.", name, what, what, strings.Join(known, ", "))
	}
	return FieldError{Key: key, Message: msg}
}
