package transform

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func TestEmptyChainPassesRecordThrough(t *testing.T) {
	for _, cfg := range []map[string]string{nil, {}, {"transforms": ""}, {"transforms": "  ", "predicates": ""}} {
		c, err := NewChain(cfg)
		if err != nil {
			t.Fatalf("NewChain(%v): %v", cfg, err)
		}
		if c.Len() != 0 {
			t.Errorf("NewChain(%v).Len() = %d, want 0", cfg, c.Len())
		}
		r := vrec(nil, vs("x"))
		got, err := c.Apply(r)
		if err != nil || got != r {
			t.Errorf("empty chain Apply = %p, %v; want the same record %p, nil", got, err, r)
		}
	}
	var zero Chain
	var nilChain *Chain
	r := vrec(nil, vs("x"))
	if got, _ := zero.Apply(r); got != r || zero.Len() != 0 {
		t.Errorf("zero Chain does not pass records through")
	}
	if got, _ := nilChain.Apply(r); got != r || nilChain.Len() != 0 {
		t.Errorf("nil *Chain does not pass records through")
	}
	if got, err := single(t, "Filter", nil).Apply(nil); got != nil || err != nil {
		t.Errorf("Apply(nil) = %v, %v; want nil, nil", got, err)
	}
}

func TestChainRunsStagesInOrder(t *testing.T) {
	base := map[string]string{
		"transforms.rename.type":    "ReplaceField$Value",
		"transforms.rename.renames": "id:key_id",
		"transforms.extract.type":   "ExtractField$Value",
		"transforms.extract.field":  "key_id",
	}
	in := vrec(nil, vmap("id", vi(7), "name", vs("a")))

	c, err := NewChain(merge(base, props("transforms", "rename, extract")))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Aliases(); !slices.Equal(got, []string{"rename", "extract"}) {
		t.Errorf("Aliases() = %v", got)
	}
	got, err := c.Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := vrec(nil, vi(7)); !proto.Equal(got, want) {
		t.Errorf("rename then extract = %v, want %v", show(got), show(want))
	}

	// The other way round the field is not there yet: ExtractField finds nothing, and
	// ReplaceField passes the null on.
	c, err = NewChain(merge(base, props("transforms", "extract,rename")))
	if err != nil {
		t.Fatal(err)
	}
	got, err = c.Apply(in)
	if want := vrec(nil, nil); err != nil || !proto.Equal(got, want) {
		t.Errorf("extract then rename = %v, %v; want %v", show(got), err, show(want))
	}
}

func TestChainPredicatesAndNegate(t *testing.T) {
	cfg := func(negate string) map[string]string {
		m := props(
			"transforms", "dropTombstones,route",
			"transforms.dropTombstones.type", "org.apache.kafka.connect.transforms.Filter",
			"transforms.dropTombstones.predicate", "isTombstone",
			"transforms.route.type", "org.apache.kafka.connect.transforms.RegexRouter",
			"transforms.route.regex", "(.*)",
			"transforms.route.replacement", "archive-$1",
			"transforms.route.predicate", "isOrders",
			"predicates", "isTombstone,isOrders,unused",
			"predicates.isTombstone.type", "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
			"predicates.isOrders.type", "TopicNameMatches",
			"predicates.isOrders.pattern", "orders|payments",
			"predicates.unused.type", "HasHeaderKey",
			"predicates.unused.name", "h",
		)
		if negate != "" {
			m["transforms.dropTombstones.negate"] = negate
		}
		return m
	}
	tombstone := &pluginv1.Record{Topic: "orders", Key: vs("k")}
	live := &pluginv1.Record{Topic: "orders", Key: vs("k"), Value: vs("v")}
	other := &pluginv1.Record{Topic: "users", Key: vs("k"), Value: vs("v")}

	tests := []struct {
		negate string
		in     *pluginv1.Record
		want   *pluginv1.Record
	}{
		{"", tombstone, nil},
		{"", live, with(live, func(r *pluginv1.Record) { r.Topic = "archive-orders" })},
		{"", other, other},
		{"false", tombstone, nil},
		{"true", tombstone, with(tombstone, func(r *pluginv1.Record) { r.Topic = "archive-orders" })},
		{"TRUE", live, nil},
		{"true", other, nil},
	}
	for _, tt := range tests {
		c, err := NewChain(cfg(tt.negate))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Apply(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, tt.want) {
			t.Errorf("negate=%q, Apply(%v) = %v, want %v", tt.negate, show(tt.in), show(got), show(tt.want))
		}
	}
}

func TestClassNames(t *testing.T) {
	in := vrec(nil, vmap("a", vi(1)))
	want := vrec(nil, vmap("a", vi(1), "origin", vs("db")))
	for _, class := range []string{
		"org.apache.kafka.connect.transforms.InsertField$Value",
		"org.apache.kafka.connect.transforms.InsertField.Value",
		"InsertField$Value",
		"InsertField.Value",
		"  InsertField$Value ",
	} {
		c := single(t, class, props("static.field", "origin", "static.value", "db"))
		got, err := c.Apply(in)
		if err != nil || !proto.Equal(got, want) {
			t.Errorf("%s: Apply = %v, %v; want %v", class, show(got), err, show(want))
		}
	}

	all := Classes()
	if len(all) != 27+3 {
		t.Errorf("Classes() has %d entries, want 30: %v", len(all), all)
	}
	for _, c := range []string{
		"org.apache.kafka.connect.transforms.Cast$Key", "org.apache.kafka.connect.transforms.Cast$Value",
		"org.apache.kafka.connect.transforms.DropHeaders", "org.apache.kafka.connect.transforms.ExtractField$Key",
		"org.apache.kafka.connect.transforms.Filter", "org.apache.kafka.connect.transforms.Flatten$Value",
		"org.apache.kafka.connect.transforms.HeaderFrom$Key", "org.apache.kafka.connect.transforms.HoistField$Value",
		"org.apache.kafka.connect.transforms.InsertField$Key", "org.apache.kafka.connect.transforms.InsertHeader",
		"org.apache.kafka.connect.transforms.MaskField$Value", "org.apache.kafka.connect.transforms.RegexRouter",
		"org.apache.kafka.connect.transforms.ReplaceField$Key", "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
		"org.apache.kafka.connect.transforms.TimestampConverter$Key", "org.apache.kafka.connect.transforms.TimestampRouter",
		"org.apache.kafka.connect.transforms.ValueToKey", "io.debezium.transforms.ExtractNewRecordState",
		"org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
		"org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
		"org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
	} {
		if !slices.Contains(all, c) {
			t.Errorf("Classes() lacks %s", c)
		}
	}
	if got := PredicateClasses(); len(got) != 3 || !slices.IsSorted(got) {
		t.Errorf("PredicateClasses() = %v", got)
	}
	if got := TransformationClasses(); !slices.IsSorted(got) || slices.Contains(got, "org.apache.kafka.connect.transforms.predicates.HasHeaderKey") {
		t.Errorf("TransformationClasses() = %v", got)
	}

	keys, ok := ConfigKeys("MaskField$Value")
	if !ok || len(keys) != 3 || keys[0].Name != "fields" || !keys[0].Required || keys[1].Name != "replacement" || keys[1].HasDefault {
		t.Errorf("ConfigKeys(MaskField$Value) = %v, %v", keys, ok)
	}
	keys, ok = ConfigKeys("org.apache.kafka.connect.transforms.TimestampRouter")
	if !ok || len(keys) != 2 || keys[1].DefaultValue != "yyyyMMdd" {
		t.Errorf("ConfigKeys(TimestampRouter) = %v, %v", keys, ok)
	}
	if _, ok := ConfigKeys("com.example.Nope"); ok {
		t.Errorf("ConfigKeys of an unknown class succeeded")
	}
	if Doc("Filter") == "" || Doc("nope") != "" {
		t.Errorf("Doc: %q %q", Doc("Filter"), Doc("nope"))
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]string
		// want maps each key that must be reported to a substring of its message.
		want map[string]string
	}{
		{"unknown class",
			props("transforms", "a", "transforms.a.type", "com.example.Nope"),
			map[string]string{"transforms.a.type": "Class com.example.Nope could not be found as a transformation. Known transformations: io.debezium.transforms.ExtractNewRecordState, org.apache.kafka.connect.transforms.Cast$Key"}},
		{"abstract class",
			props("transforms", "a", "transforms.a.type", "org.apache.kafka.connect.transforms.Cast", "transforms.a.spec", "int8"),
			map[string]string{"transforms.a.type": "is abstract and cannot be created; use org.apache.kafka.connect.transforms.Cast$Key or org.apache.kafka.connect.transforms.Cast$Value"}},
		{"predicate as a transformation",
			props("transforms", "a", "transforms.a.type", "RecordIsTombstone"),
			map[string]string{"transforms.a.type": "RecordIsTombstone is a predicate, not a transformation"}},
		{"transformation as a predicate",
			props("transforms", "a", "transforms.a.type", "Filter", "transforms.a.predicate", "p",
				"predicates", "p", "predicates.p.type", "Filter"),
			map[string]string{"predicates.p.type": "Filter is a transformation, not a predicate"}},
		{"missing type",
			props("transforms", "a"),
			map[string]string{"transforms.a.type": `Missing required configuration "transforms.a.type" which has no default value.`}},
		{"missing predicate type",
			props("predicates", "p"),
			map[string]string{"predicates.p.type": `Missing required configuration "predicates.p.type"`}},
		{"missing required setting",
			props("transforms", "x", "transforms.x.type", "ExtractField$Key"),
			map[string]string{"transforms.x.field": `Missing required configuration "transforms.x.field" which has no default value.`}},
		{"bad regex in a transformation",
			props("transforms", "r", "transforms.r.type", "RegexRouter", "transforms.r.regex", "(a", "transforms.r.replacement", "b"),
			map[string]string{"transforms.r.regex": "Invalid value (a for configuration transforms.r.regex: Invalid regex"}},
		{"Java-only regex",
			props("transforms", "r", "transforms.r.type", "RegexRouter", "transforms.r.regex", "(?=a).*", "transforms.r.replacement", "b"),
			map[string]string{"transforms.r.regex": "Invalid regex"}},
		{"bad group in a replacement",
			props("transforms", "r", "transforms.r.type", "RegexRouter", "transforms.r.regex", "(a)", "transforms.r.replacement", "$2"),
			map[string]string{"transforms.r.replacement": "No group 2"}},
		{"bad regex in a predicate",
			props("predicates", "p", "predicates.p.type", "TopicNameMatches", "predicates.p.pattern", "[x"),
			map[string]string{"predicates.p.pattern": "Invalid regex"}},
		{"empty regex in a predicate",
			props("predicates", "p", "predicates.p.type", "TopicNameMatches", "predicates.p.pattern", ""),
			map[string]string{"predicates.p.pattern": "String must be non-empty"}},
		{"predicate referenced but not defined",
			props("transforms", "a", "transforms.a.type", "Filter", "transforms.a.predicate", "ghost"),
			map[string]string{"transforms.a.predicate": `predicate "ghost" is not defined; list it in predicates`}},
		{"bad negate",
			props("transforms", "a", "transforms.a.type", "Filter", "transforms.a.negate", "yes"),
			map[string]string{"transforms.a.negate": "Expected value to be either true or false"}},
		{"duplicate aliases",
			props("transforms", "a,a", "transforms.a.type", "Filter"),
			map[string]string{"transforms": "Duplicate alias provided: a"}},
		{"empty alias",
			props("transforms", "a,,b", "transforms.a.type", "Filter", "transforms.b.type", "Filter"),
			map[string]string{"transforms": "an alias may not be empty"}},
		{"bad boolean setting",
			props("transforms", "c", "transforms.c.type", "Cast$Value", "transforms.c.spec", "int8", "transforms.c.replace.null.with.default", "maybe"),
			map[string]string{"transforms.c.replace.null.with.default": "Invalid value maybe for configuration transforms.c.replace.null.with.default: Expected value to be either true or false"}},
		{"every problem at once",
			props("transforms", "a,b", "transforms.a.type", "Nope", "transforms.b.type", "HoistField$Value",
				"predicates", "p", "predicates.p.type", "HasHeaderKey"),
			map[string]string{"transforms.a.type": "Nope", "transforms.b.field": "Missing required", "predicates.p.name": "Missing required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Validate(tt.cfg)
			got := map[string]string{}
			for _, e := range errs {
				got[e.Key] += e.Message + "\n"
				if !strings.Contains(e.Message, e.Key) {
					t.Errorf("message %q does not name its key %s", e.Message, e.Key)
				}
			}
			for key, sub := range tt.want {
				if !strings.Contains(got[key], sub) {
					t.Errorf("Validate: for %s got %q, want a message containing %q (all: %v)", key, got[key], sub, errs)
				}
			}
			c, err := NewChain(tt.cfg)
			if err == nil || c != nil {
				t.Fatalf("NewChain = %v, nil; want an error", c)
			}
			var fe FieldError
			if !errors.As(err, &fe) {
				t.Errorf("NewChain error %v holds no FieldError", err)
			}
			for _, sub := range tt.want {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("NewChain error %q lacks %q", err, sub)
				}
			}
		})
	}
	if errs := Validate(props("transforms", "a", "transforms.a.type", "Filter")); errs != nil {
		t.Errorf("Validate of a good config = %v, want nil", errs)
	}
}

// TestSettingsPerClass checks the config errors of each class's own settings.
func TestSettingsPerClass(t *testing.T) {
	tests := []struct {
		class string
		props map[string]string
		key   string // reported under transforms.t.<key>
		want  string
	}{
		{"Cast$Value", props("spec", ""), "spec", "Must specify at least one field to cast."},
		{"Cast$Value", props("spec", "a:int8,b:nope"), "spec", "Invalid type found in casting spec: nope"},
		{"Cast$Value", props("spec", "a:bytes"), "spec", "Cast transformation does not support casting to BYTES; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"},
		{"Cast$Value", props("spec", "int8,a:string"), "spec", "may only specify a single cast in their spec"},
		{"Cast$Value", props("spec", "a:b:c"), "spec", "Invalid cast mapping: a:b:c"},
		{"Cast$Value", props("spec", "map"), "spec", "does not support casting to MAP"},
		{"ExtractField$Value", props("field", "a", "field.syntax.version", "V3"), "field.syntax.version", "Unrecognized field syntax version"},
		{"ExtractField$Value", props("field", "`a.b", "field.syntax.version", "v2"), "field", "Incomplete backtick pair in path: [`a.b]"},
		{"HeaderFrom$Value", props("fields", "a,b", "headers", "h", "operation", "move"), "headers", "'fields' config must have the same number of elements as 'headers' config."},
		{"HeaderFrom$Value", props("fields", "a", "headers", "h", "operation", "steal"), "operation", "String must be one of: move, copy"},
		{"HeaderFrom$Value", props("fields", "", "headers", "h", "operation", "copy"), "fields", "Empty list"},
		{"InsertField$Value", props(), "type", "No field insertion configured"},
		{"InsertField$Value", props("static.field", "x"), "static.value", "No value specified for static field: x"},
		{"InsertHeader", props("header", "h"), "value.literal", "Missing required configuration"},
		{"DropHeaders", props("headers", ""), "headers", "Empty list"},
		{"MaskField$Value", props("fields", "a", "replacement", ""), "replacement", "String must be non-empty"},
		{"MaskField$Key", props(), "fields", "Missing required configuration"},
		{"ReplaceField$Value", props("renames", "a:b,c"), "renames", "Invalid rename mapping: c"},
		{"SetSchemaMetadata$Value", props(), "type", "Neither schema name nor version configured"},
		{"SetSchemaMetadata$Value", props("schema.version", "one"), "schema.version", "Not a number of type INT"},
		{"TimestampConverter$Value", props("target.type", "string"), "format", "TimestampConverter requires format option to be specified when using string timestamps"},
		{"TimestampConverter$Value", props("target.type", "date"), "target.type", "String must be one of: string, unix, Date, Time, Timestamp"},
		{"TimestampConverter$Value", props("target.type", "string", "format", "yyyy-qq"), "format", "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: yyyy-qq"},
		{"TimestampConverter$Value", props("target.type", "unix", "unix.precision", "minutes"), "unix.precision", "String must be one of: seconds, milliseconds, microseconds, nanoseconds"},
		{"TimestampRouter", props("timestamp.format", "yyyy'MM"), "timestamp.format", "Unterminated quote"},
		{"ValueToKey", props(), "fields", "Missing required configuration"},
		{"RegexRouter", props("regex", "a"), "replacement", "Missing required configuration"},
	}
	for _, tt := range tests {
		cfg := map[string]string{"transforms": "t", "transforms.t.type": tt.class}
		for k, v := range tt.props {
			cfg["transforms.t."+k] = v
		}
		errs := Validate(cfg)
		found := false
		for _, e := range errs {
			if e.Key == "transforms.t."+tt.key && strings.Contains(e.Message, tt.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %v: Validate = %v, want an error on transforms.t.%s containing %q", tt.class, tt.props, errs, tt.key, tt.want)
		}
	}
}

func TestStageError(t *testing.T) {
	c := single(t, "ExtractField$Value", props("field", "missing"))
	_, err := c.Apply(vrec(structSch("s", sfield("a", sch(sInt32))), vstruct(fld("a", vi(1)))))
	var se *StageError
	if !errors.As(err, &se) || se.Alias != "t" || se.Class != "org.apache.kafka.connect.transforms.ExtractField$Value" || se.Predicate != "" {
		t.Fatalf("error = %#v, want a *StageError for alias t and ExtractField$Value", err)
	}
	if want := "transform t (org.apache.kafka.connect.transforms.ExtractField$Value): Unknown field: missing"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// TestShallowCopyCopiesEveryField guards shallowCopy against fields added to Record later.
func TestShallowCopyCopiesEveryField(t *testing.T) {
	r := &pluginv1.Record{}
	m := r.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case fd.IsList():
			l := m.Mutable(fd).List()
			l.Append(protoreflect.ValueOfMessage((&pluginv1.Header{Key: "h"}).ProtoReflect()))
		case fd.Kind() == protoreflect.MessageKind:
			m.Set(fd, protoreflect.ValueOfMessage(m.NewField(fd).Message()))
		case fd.Kind() == protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString("x"))
		case fd.Kind() == protoreflect.BytesKind:
			m.Set(fd, protoreflect.ValueOfBytes([]byte("x")))
		case fd.Kind() == protoreflect.Int32Kind:
			m.Set(fd, protoreflect.ValueOfInt32(7))
		case fd.Kind() == protoreflect.Int64Kind:
			m.Set(fd, protoreflect.ValueOfInt64(7))
		case fd.Kind() == protoreflect.Uint32Kind:
			m.Set(fd, protoreflect.ValueOfUint32(7))
		default:
			t.Fatalf("field %s of kind %s: teach this test to set it", fd.Name(), fd.Kind())
		}
	}
	if c := shallowCopy(r); !proto.Equal(c, r) {
		t.Errorf("shallowCopy lost fields:\n%v\nwant\n%v", show(c), show(r))
	}
}

// TestConcurrentApply runs one chain from many goroutines; -race checks it.
func TestConcurrentApply(t *testing.T) {
	c, err := NewChain(props(
		"transforms", "cast,insert,flat",
		"transforms.cast.type", "Cast$Value", "transforms.cast.spec", "n:string",
		"transforms.insert.type", "InsertField$Value", "transforms.insert.topic.field", "topic",
		"transforms.flat.type", "Flatten$Value",
	))
	if err != nil {
		t.Fatal(err)
	}
	s := structSch("v", sfield("n", sch(sInt32)), sfield("inner", structSch("i", sfield("x", sch(sString)))))
	in := vrec(s, vstruct(fld("n", vi(1)), fld("inner", vstruct(fld("x", vs("y"))))))
	// Cast n to a string, insert the topic, flatten inner: every goroutine gets this.
	want := vstruct(fld("n", vs("1")), fld("inner.x", vs("y")), fld("topic", vs("orders")))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				out, err := c.Apply(in)
				if err != nil || !proto.Equal(out.GetValue(), want) {
					t.Errorf("Apply = %v, %v; want value %v", show(out), err, show(want))
					return
				}
			}
		})
	}
	wg.Wait()
	if got := show(in.Value); got != show(vstruct(fld("n", vi(1)), fld("inner", vstruct(fld("x", vs("y")))))) {
		t.Errorf("Apply changed its input record's value: %s", got)
	}
}
