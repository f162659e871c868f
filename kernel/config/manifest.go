package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is one connector a manifest asks for.
type Spec struct {
	// Name is the connector's name.
	Name string
	// Config is the connector config as Kafka Connect would see it: the class and task
	// count of a KafkaConnector or Connector resource are folded in as connector.class
	// and tasks.max.
	Config map[string]string
	// State is the target state the manifest asks for: "" (leave it as it is; running
	// when the connector is created), "running", "paused" or "stopped".
	State string
	// Labels are the resource's metadata.labels, e.g. strimzi.io/cluster.
	Labels map[string]string
	// Line is where the connector's object starts in the input, 1-based.
	Line int
}

// The values Spec.State takes.
const (
	StateRunning = "running"
	StatePaused  = "paused"
	StateStopped = "stopped"
)

// ManifestError is a problem in a manifest, at a line of the input.
type ManifestError struct {
	Line int // 1-based; 0 when the position is unknown
	Msg  string
}

func (e *ManifestError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func errAt(n *yaml.Node, format string, args ...any) error {
	return &ManifestError{Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// The API versions and kinds ParseManifests accepts.
const (
	StrimziKind      = "KafkaConnector"
	TributaryKind    = "Connector"
	TributaryVersion = "tributary.dev/v1"
)

// strimziVersions are the KafkaConnector API versions Strimzi has served; v1alpha1 is
// long gone from Strimzi but still in many blog posts, and its shape is the same.
var strimziVersions = []string{"kafka.strimzi.io/v1beta2", "kafka.strimzi.io/v1beta1", "kafka.strimzi.io/v1", "kafka.strimzi.io/v1alpha1"}

const acceptedShapes = `accepted are kind KafkaConnector or KafkaConnect (apiVersion kafka.strimzi.io/v1beta2, v1beta1, v1 or v1alpha1), ` +
	`kind Connector (apiVersion tributary.dev/v1), or a Kafka Connect {"name": …, "config": {…}} object`

// ParseManifests reads the connectors described by data: one or more YAML documents
// (separated by ---) or JSON values, each one of
//
//   - a Strimzi KafkaConnector resource (apiVersion kafka.strimzi.io/v1beta2, v1beta1, v1
//     or the old v1alpha1), taken unchanged: metadata.name, metadata.labels, spec.class, spec.tasksMax,
//     spec.config, spec.state and the deprecated spec.pause;
//   - a Tributary Connector (apiVersion tributary.dev/v1) with the same metadata and
//     spec.class, spec.tasksMax, spec.state and spec.config;
//   - a Kafka Connect REST body, {"name": …, "config": {…}, "initial_state": …} (the output
//     of GET /connectors/{name} is accepted too);
//   - a list of those: a YAML sequence, a JSON array, or a kind List with items.
//
// Config values of any scalar type become strings as written; a sequence of scalars becomes
// a comma-separated list. Every error is a *ManifestError naming the line and the field, and
// the first one stops the parse: a caller applies all of the specs or none.
func ParseManifests(data []byte) (specs []Spec, err error) {
	var workers []KafkaConnect
	specs, err = parseManifests(data, &workers)
	if err == nil && len(workers) > 0 {
		return nil, &ManifestError{Line: workers[0].Line, Msg: "a KafkaConnect resource describes the workers, not a connector; " +
			"tributary apply checks it against the cluster (ParseResources reads it)"}
	}
	return specs, err
}

// parseManifests is ParseManifests, KafkaConnect resources appended to workers.
func parseManifests(data []byte, workers *[]KafkaConnect) (specs []Spec, err error) {
	defer func() {
		// The YAML library is not supposed to panic on any input; if it does, the
		// input is bad, not the caller.
		if r := recover(); r != nil {
			specs, err = nil, &ManifestError{Msg: fmt.Sprintf("cannot parse manifest: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	p := &parser{budget: mergeBudget, workers: workers}
	first := map[string]int{}
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, syntaxError(err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		got, err := p.parseNode(doc.Content[0], 0)
		if err != nil {
			return nil, err
		}
		for _, s := range got {
			if line, dup := first[s.Name]; dup {
				return nil, &ManifestError{Line: s.Line,
					Msg: fmt.Sprintf("connector %q is defined twice (first at line %d)", s.Name, line)}
			}
			first[s.Name] = s.Line
		}
		specs = append(specs, got...)
	}
	return specs, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems start the messages of the YAML library's parser (as against its scanner).
// The parser reports 0-based lines where the scanner reports 1-based ones.
var parserProblems = []string{"did not find expected", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"}

// readerProblems are the YAML library's messages about bytes it cannot read at all; they
// carry no position.
var readerProblems = []string{"control characters are not allowed", "invalid leading UTF-8 octet", "incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet", "invalid Unicode character", "input error"}

// syntaxError turns the YAML library's error into a ManifestError with the 1-based line
// of the problem. The library leaves the line out for the first line and counts the
// parser's lines from 0.
func syntaxError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if hasPrefix(msg, parserProblems) {
			line++
		}
	} else if hasPrefix(msg, readerProblems) {
		line = 0
	}
	return &ManifestError{Line: line, Msg: "invalid YAML: " + msg}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch resolve(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "nothing"
}

// parseNode reads a document's root (or a list's item).
func (p *parser) parseNode(n *yaml.Node, depth int) ([]Spec, error) {
	n = resolve(n)
	switch {
	case isNull(n):
		return nil, nil
	case n.Kind == yaml.SequenceNode && depth == 0:
		var out []Spec
		for _, item := range n.Content {
			if resolve(item).Kind != yaml.MappingNode {
				return nil, errAt(item, "expected a connector object in the list, got %s", kindName(item))
			}
			s, err := p.parseNode(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	case n.Kind != yaml.MappingNode:
		return nil, errAt(n, "expected a connector manifest (a mapping), got %s; %s", kindName(n), acceptedShapes)
	}
	obj, err := p.mapping(n, "")
	if err != nil {
		return nil, err
	}
	kindNode := obj.get("kind")
	if kindNode == nil {
		if obj.get("name") != nil || obj.get("config") != nil {
			s, err := p.parseREST(obj)
			if err != nil {
				return nil, err
			}
			return []Spec{s}, nil
		}
		return nil, errAt(n, "not a connector manifest: it has no kind; %s", acceptedShapes)
	}
	kind, err := str(kindNode, "kind")
	if err != nil {
		return nil, err
	}
	var version string
	if v := obj.get("apiVersion"); v != nil {
		if version, err = str(v, "apiVersion"); err != nil {
			return nil, err
		}
	}
	switch kind {
	case StrimziKind:
		if !contains(strimziVersions, version) {
			return nil, errAt(n, "apiVersion %q is not a Strimzi KafkaConnector version; use one of %s",
				version, strings.Join(strimziVersions, ", "))
		}
		s, err := p.parseResource(obj, kind, strimziSpecFields)
		if err != nil {
			return nil, err
		}
		return []Spec{s}, nil
	case TributaryKind:
		if version != TributaryVersion {
			return nil, errAt(n, "apiVersion %q is not a Tributary Connector version; use %s", version, TributaryVersion)
		}
		s, err := p.parseResource(obj, kind, tributarySpecFields)
		if err != nil {
			return nil, err
		}
		return []Spec{s}, nil
	case StrimziConnectKind:
		if !contains(strimziVersions, version) {
			return nil, errAt(n, "apiVersion %q is not a Strimzi KafkaConnect version; use one of %s",
				version, strings.Join(strimziVersions, ", "))
		}
		kc, err := p.parseKafkaConnect(obj)
		if err != nil {
			return nil, err
		}
		*p.workers = append(*p.workers, kc)
		return nil, nil
	case "List", "KafkaConnectorList":
		if depth > 0 {
			return nil, errAt(kindNode, "a %s cannot be nested in another list", kind)
		}
		items := obj.get("items")
		if items == nil || isNull(items) {
			return nil, nil
		}
		if resolve(items).Kind != yaml.SequenceNode {
			return nil, errAt(items, "items: expected a list, got %s", kindName(items))
		}
		return p.parseNode(items, 0)
	}
	return nil, errAt(kindNode, "unknown kind %q; %s", kind, acceptedShapes)
}

// mergeBudget bounds the keys merge keys (<<) may copy in one input, so that nested
// aliases cannot make a small input expand into an enormous one.
const mergeBudget = 10000

// parser holds what one ParseManifests call shares across documents.
type parser struct {
	budget  int             // merged keys still allowed
	workers *[]KafkaConnect // KafkaConnect resources read
}

// object is a YAML mapping read into its fields, keys checked.
type object struct {
	node   *yaml.Node
	path   string // e.g. "spec.config"; "" at the root
	keys   []string
	fields map[string]*yaml.Node
	keyAt  map[string]*yaml.Node
}

func (o *object) get(key string) *yaml.Node { return o.fields[key] }

func (o *object) field(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// mapping reads a mapping node: keys must be scalars and appear once. Merge keys (<<)
// are expanded, explicit keys winning as YAML says.
func (p *parser) mapping(n *yaml.Node, path string) (*object, error) {
	n = resolve(n)
	o := &object{node: n, path: path, fields: map[string]*yaml.Node{}, keyAt: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		what := path
		if what == "" {
			what = "document"
		}
		return nil, errAt(n, "%s: expected a mapping, got %s", what, kindName(n))
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(k, "%s: keys must be strings, got %s", o.pathOr("document"), kindName(k))
		}
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if prev := o.keyAt[k.Value]; prev != nil {
			return nil, errAt(k, "%s: defined twice (first at line %d)", o.field(k.Value), prev.Line)
		}
		o.keys = append(o.keys, k.Value)
		o.fields[k.Value] = v
		o.keyAt[k.Value] = k
	}
	for _, m := range merges {
		m = resolve(m)
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, src := range srcs {
			sub, err := p.mapping(src, path)
			if err != nil {
				return nil, err
			}
			if p.budget -= len(sub.keys); p.budget < 0 {
				return nil, errAt(src, "%s: merge keys (<<) expand to too many keys", o.pathOr("document"))
			}
			for _, k := range sub.keys {
				if _, ok := o.fields[k]; !ok {
					o.keys = append(o.keys, k)
					o.fields[k] = sub.fields[k]
					o.keyAt[k] = sub.keyAt[k]
				}
			}
		}
	}
	return o, nil
}

func (o *object) pathOr(def string) string {
	if o.path == "" {
		return def
	}
	return o.path
}

// str reads a scalar as a string.
func str(n *yaml.Node, field string) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", errAt(n, "%s: expected a string, got %s", field, describe(n))
	}
	return n.Value, nil
}

func describe(n *yaml.Node) string {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return "null"
	}
	return kindName(n)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	strimziSpecFields   = []string{"class", "tasksMax", "config", "state", "pause", "autoRestart", "listOffsets", "alterOffsets", "version"}
	tributarySpecFields = []string{"class", "tasksMax", "config", "state"}
)

// parseResource reads a KafkaConnector or Connector resource.
func (p *parser) parseResource(obj *object, kind string, specFields []string) (Spec, error) {
	for _, k := range obj.keys {
		switch k {
		case "apiVersion", "kind", "metadata", "spec", "status":
		default:
			return Spec{}, errAt(obj.keyAt[k], "%s: unknown field in a %s; the fields are apiVersion, kind, metadata and spec", k, kind)
		}
	}
	s := Spec{Line: obj.node.Line, Config: map[string]string{}}
	mdNode := obj.get("metadata")
	if mdNode == nil {
		return Spec{}, errAt(obj.node, "metadata.name is required")
	}
	md, err := p.mapping(mdNode, "metadata")
	if err != nil {
		return Spec{}, err
	}
	nameNode := md.get("name")
	if nameNode == nil {
		return Spec{}, errAt(md.node, "metadata.name is required")
	}
	if s.Name, err = str(nameNode, "metadata.name"); err != nil {
		return Spec{}, err
	}
	if strings.TrimSpace(s.Name) == "" {
		return Spec{}, errAt(nameNode, "metadata.name must not be empty")
	}
	if l := md.get("labels"); l != nil && !isNull(l) {
		if s.Labels, err = p.stringMap(l, "metadata.labels", false); err != nil {
			return Spec{}, err
		}
	}

	specNode := obj.get("spec")
	if specNode == nil {
		return Spec{}, errAt(obj.node, "spec is required: a %s needs at least spec.class", kind)
	}
	spec, err := p.mapping(specNode, "spec")
	if err != nil {
		return Spec{}, err
	}
	for _, k := range spec.keys {
		if !contains(specFields, k) {
			return Spec{}, errAt(spec.keyAt[k], "spec.%s: unknown field; the fields of a %s spec are %s",
				k, kind, strings.Join(specFields, ", "))
		}
	}
	if c := spec.get("config"); c != nil && !isNull(c) {
		if s.Config, err = p.stringMap(c, "spec.config", true); err != nil {
			return Spec{}, err
		}
	}
	if n, ok := s.Config[KeyName]; ok && n != s.Name {
		return Spec{}, errAt(spec.get("config"), "spec.config.name (%s) does not match metadata.name (%s); remove it from spec.config", n, s.Name)
	}
	if c := spec.get("class"); c != nil {
		class, err := str(c, "spec.class")
		if err != nil {
			return Spec{}, err
		}
		s.Config[KeyClass] = class
	}
	if strings.TrimSpace(s.Config[KeyClass]) == "" {
		return Spec{}, errAt(spec.node, "spec.class is required: name the connector, e.g. class: file-source")
	}
	if t := spec.get("tasksMax"); t != nil {
		n, err := integer(t, "spec.tasksMax")
		if err != nil {
			return Spec{}, err
		}
		s.Config[KeyTasksMax] = strconv.Itoa(n)
	}
	if p := spec.get("pause"); p != nil && !isNull(p) {
		var pause bool
		if err := resolve(p).Decode(&pause); err != nil || resolve(p).Kind != yaml.ScalarNode {
			return Spec{}, errAt(p, "spec.pause: expected true or false, got %s", quoted(p))
		}
		if pause {
			s.State = StatePaused
		}
	}
	if st := spec.get("state"); st != nil && !isNull(st) {
		// spec.state wins over the deprecated spec.pause, as in Strimzi.
		if s.State, err = state(st, "spec.state", false); err != nil {
			return Spec{}, err
		}
	}
	return s, nil
}

// parseREST reads a Kafka Connect REST body: {"name", "config", "initial_state"}. The
// "tasks" and "type" of a ConnectorInfo are accepted and ignored.
func (p *parser) parseREST(obj *object) (Spec, error) {
	for _, k := range obj.keys {
		switch k {
		case "name", "config", "initial_state", "tasks", "type":
		default:
			return Spec{}, errAt(obj.keyAt[k], "%s: unknown field in a Kafka Connect connector object; the fields are name, config and initial_state", k)
		}
	}
	s := Spec{Line: obj.node.Line, Config: map[string]string{}}
	var err error
	if c := obj.get("config"); c != nil && !isNull(c) {
		if s.Config, err = p.stringMap(c, "config", true); err != nil {
			return Spec{}, err
		}
	}
	if n := obj.get("name"); n != nil {
		if s.Name, err = str(n, "name"); err != nil {
			return Spec{}, err
		}
		if cn, ok := s.Config[KeyName]; ok && cn != s.Name {
			return Spec{}, errAt(n, "config.name (%s) does not match name (%s)", cn, s.Name)
		}
	} else {
		s.Name = s.Config[KeyName]
	}
	if strings.TrimSpace(s.Name) == "" {
		return Spec{}, errAt(obj.node, "name is required: give the connector a name")
	}
	if strings.TrimSpace(s.Config[KeyClass]) == "" {
		at := obj.node
		if c := obj.get("config"); c != nil {
			at = resolve(c)
		}
		return Spec{}, errAt(at, "config.connector.class is required: name the connector, e.g. \"connector.class\": \"file-source\"")
	}
	if st := obj.get("initial_state"); st != nil && !isNull(st) {
		if s.State, err = state(st, "initial_state", true); err != nil {
			return Spec{}, err
		}
	}
	return s, nil
}

// stringMap reads a mapping of scalars. With lists set, a list of scalars becomes a
// comma-separated string; a null value leaves the key out.
func (p *parser) stringMap(n *yaml.Node, path string, lists bool) (map[string]string, error) {
	obj, err := p.mapping(n, path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(obj.keys))
	for _, k := range obj.keys {
		v := resolve(obj.fields[k])
		switch {
		case isNull(v):
		case v.Kind == yaml.ScalarNode:
			out[k] = v.Value
		case v.Kind == yaml.SequenceNode && lists:
			items := make([]string, 0, len(v.Content))
			for _, it := range v.Content {
				it = resolve(it)
				if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
					return nil, errAt(it, "%s: list items must be strings, numbers or booleans, got %s", obj.field(k), describe(it))
				}
				items = append(items, it.Value)
			}
			out[k] = strings.Join(items, ",")
		default:
			return nil, errAt(v, "%s: expected a string, number or boolean, got %s", obj.field(k), kindName(v))
		}
	}
	return out, nil
}

func quoted(n *yaml.Node) string {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return kindName(n)
}

func integer(n *yaml.Node, field string) (int, error) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		v, err := strconv.Atoi(strings.TrimSpace(n.Value))
		if err != nil {
			var i int
			if n.Tag == "!!int" && n.Decode(&i) == nil {
				v, err = i, nil
			}
		}
		if err == nil {
			if v < 1 {
				return 0, errAt(n, "%s: must be at least 1, got %d", field, v)
			}
			return v, nil
		}
	}
	return 0, errAt(n, "%s: expected an integer, got %s", field, quoted(n))
}

func state(n *yaml.Node, field string, upper bool) (string, error) {
	v, err := str(n, field)
	if err != nil {
		return "", err
	}
	switch s := strings.ToLower(strings.TrimSpace(v)); s {
	case StateRunning, StatePaused, StateStopped:
		return s, nil
	}
	if upper {
		return "", errAt(n, "%s: expected RUNNING, PAUSED or STOPPED, got %q", field, v)
	}
	return "", errAt(n, "%s: expected running, paused or stopped, got %q", field, v)
}
