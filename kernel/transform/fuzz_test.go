package transform

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// parseConfig reads key=value lines.
func parseConfig(text string) map[string]string {
	cfg := map[string]string{}
	for line := range strings.SplitSeq(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			cfg[k] = v
		}
	}
	return cfg
}

// FuzzChain parses random configs and runs the chains they build on random records: no
// panics, Validate agrees with NewChain, the input record is never changed, and what
// comes out can be marshalled.
func FuzzChain(f *testing.F) {
	configs := []string{
		"transforms=a\ntransforms.a.type=Cast$Value\ntransforms.a.spec=a:int8,b:string,c:float32,d:boolean",
		"transforms=a\ntransforms.a.type=Cast$Key\ntransforms.a.spec=string",
		"transforms=a\ntransforms.a.type=Cast$Value\ntransforms.a.spec=int16",
		"transforms=a,b\ntransforms.a.type=Flatten$Value\ntransforms.b.type=ExtractField$Value\ntransforms.b.field=a.b",
		"transforms=a\ntransforms.a.type=ExtractField$Value\ntransforms.a.field=a.b\ntransforms.a.field.syntax.version=V2",
		"transforms=a\ntransforms.a.type=HoistField$Key\ntransforms.a.field=k",
		"transforms=a\ntransforms.a.type=InsertField$Value\ntransforms.a.topic.field=t\ntransforms.a.offset.field=o\ntransforms.a.timestamp.field=ts!",
		"transforms=a\ntransforms.a.type=MaskField$Value\ntransforms.a.fields=a,b,c",
		"transforms=a\ntransforms.a.type=MaskField$Value\ntransforms.a.fields=a,b\ntransforms.a.replacement=7",
		"transforms=a\ntransforms.a.type=ReplaceField$Value\ntransforms.a.exclude=a\ntransforms.a.renames=b:c",
		"transforms=a\ntransforms.a.type=ValueToKey\ntransforms.a.fields=a,b",
		"transforms=a\ntransforms.a.type=HeaderFrom$Value\ntransforms.a.fields=a\ntransforms.a.headers=h\ntransforms.a.operation=move",
		"transforms=a\ntransforms.a.type=InsertHeader\ntransforms.a.header=h\ntransforms.a.value.literal=12",
		"transforms=a\ntransforms.a.type=DropHeaders\ntransforms.a.headers=h",
		"transforms=a\ntransforms.a.type=SetSchemaMetadata$Value\ntransforms.a.schema.name=n",
		"transforms=a\ntransforms.a.type=TimestampConverter$Value\ntransforms.a.target.type=string\ntransforms.a.format=yyyy-MM-dd HH:mm:ss.SSS",
		"transforms=a\ntransforms.a.type=TimestampConverter$Value\ntransforms.a.field=a\ntransforms.a.target.type=unix\ntransforms.a.format=yyyyMMdd",
		"transforms=a\ntransforms.a.type=TimestampConverter$Value\ntransforms.a.target.type=Date",
		"transforms=a\ntransforms.a.type=TimestampRouter",
		"transforms=a\ntransforms.a.type=RegexRouter\ntransforms.a.regex=(.*)-(.*)\ntransforms.a.replacement=$2_$1",
		"transforms=a\ntransforms.a.type=Filter\ntransforms.a.predicate=p\ntransforms.a.negate=true\npredicates=p\npredicates.p.type=TopicNameMatches\npredicates.p.pattern=o.*",
		"transforms=a\ntransforms.a.type=Filter\ntransforms.a.predicate=p\npredicates=p\npredicates.p.type=HasHeaderKey\npredicates.p.name=h",
	}
	s := structSch("S", sfield("a", sch(sInt64)), sfield("b", optSch(sString)),
		sfield("c", &pluginv1.Schema{Type: sStruct, Fields: []*pluginv1.SchemaField{sfield("d", dateSch())}}))
	records := []*pluginv1.Record{
		vrec(nil, vmap("a", vi(1), "b", vs("2"), "c", vf(3.5), "d", vmap("e", vb(true)))),
		vrec(s, vstruct(fld("a", vi(1)), fld("b", nil), fld("c", vstruct(fld("d", vi(19000)))))),
		vrec(tsSch(), vi(1700000000000)),
		vrec(nil, vs("2023-11-14 22:13:20.000")),
		withHdrs(krec(sch(sString), vs("k")), hdr("h", nil, vs("v"))),
		vrec(decSch("2"), vbytes(0x30, 0x39)),
		{Topic: "x-y"},
	}
	for i, c := range configs {
		b, err := proto.Marshal(records[i%len(records)])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c, b)
	}
	// Debezium change events for ExtractNewRecordState.
	for c, r := range map[string]*pluginv1.Record{
		"transforms=a\ntransforms.a.type=ExtractNewRecordState\ntransforms.a.add.fields=op,source.ts_ms:ts,id\ntransforms.a.add.headers=op,lsn\ntransforms.a.delete.handling.mode=rewrite":                          dbzEvent("u", dbzRow(1, "A", nil), dbzRow(1, "B", vs("b@c")), nil),
		"transforms=a\ntransforms.a.type=ExtractNewRecordState\ntransforms.a.delete.tombstone.handling.mode=rewrite-with-tombstone\ntransforms.a.route.by.field=first_name\ntransforms.a.drop.fields.header.name=d": dbzEvent("d", dbzRow(1, "A", nil), nil, nil),
	} {
		b, err := proto.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c, b)
	}
	f.Fuzz(func(t *testing.T, cfgText string, recordBytes []byte) {
		cfg := parseConfig(cfgText)
		c, err := NewChain(cfg)
		if errs := Validate(cfg); (err == nil) != (len(errs) == 0) {
			t.Fatalf("NewChain error %v but Validate %v", err, errs)
		}
		if err != nil {
			return
		}
		var r pluginv1.Record
		if proto.Unmarshal(recordBytes, &r) != nil {
			return
		}
		before := proto.Clone(&r)
		out, _ := c.Apply(&r)
		if !proto.Equal(before, &r) {
			t.Fatalf("Apply changed its input:\n%v\n%v", show(before), show(&r))
		}
		if out != nil {
			if _, err := proto.Marshal(out); err != nil {
				t.Fatalf("cannot marshal the result %v: %v", show(out), err)
			}
		}
	})
}
