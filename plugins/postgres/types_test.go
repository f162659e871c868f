package main

import (
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// TestTypesAgainstPostgres creates a table with a column of every supported type,
// inserts one row, and checks the Connect schema and value each becomes, both in the
// snapshot and in the stream (they must agree).
func TestTypesAgainstPostgres(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
	CREATE TABLE all_types (
		id serial PRIMARY KEY,
		i2 int2, i4 int4 NOT NULL, i8 int8,
		n numeric(10,3), nfree numeric,
		f4 float4, f8 float8, b bool,
		t text, vc varchar(20), c char(3),
		ba bytea,
		d date, tm time, tm3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz,
		u uuid, j json, jb jsonb,
		ai int4[], at text[],
		m mood,
		nul text
	)`)
	insert := `INSERT INTO all_types (i2, i4, i8, n, nfree, f4, f8, b, t, vc, c, ba, d, tm, tm3, ts, ts3, tstz, u, j, jb, ai, at, m) VALUES
		(-2, 4, 8000000000, 12.5, 1.25, 1.5, 2.25, true, 'text', 'var', 'ab', '\xdeadbeef',
		 '2024-02-29', '13:45:06.123456', '13:45:06.123', '2024-02-29 13:45:06.123456', '2024-02-29 13:45:06.123',
		 '2024-02-29 13:45:06.5+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{"b": [1, 2]}',
		 '{1,NULL,3}', '{"x y","q\"z",NULL}', 'happy')`
	pg.Exec(insert)
	tk := openTask(t, baseConfig(pg))
	snap := pollUntil(t, tk, 1, 20*time.Second)
	pg.Exec(insert)
	streamed := pollUntil(t, tk, 1, 20*time.Second)

	ts := time.Date(2024, 2, 29, 13, 45, 6, 123456000, time.UTC)
	want := []struct {
		field, schemaName, typ string
		optional               bool
		value                  any
	}{
		{"i2", "", "INT16", true, int16(-2)},
		{"i4", "", "INT32", false, int32(4)},
		{"i8", "", "INT64", true, int64(8000000000)},
		{"n", data.DecimalName, "BYTES", true, data.NewDecimal(12500, 3)},
		{"f4", "", "FLOAT32", true, float32(1.5)},
		{"f8", "", "FLOAT64", true, 2.25},
		{"b", "", "BOOLEAN", true, true},
		{"t", "", "STRING", true, "text"},
		{"vc", "", "STRING", true, "var"},
		{"c", "", "STRING", true, "ab "},
		{"ba", "", "BYTES", true, []byte{0xde, 0xad, 0xbe, 0xef}},
		{"d", "io.debezium.time.Date", "INT32", true, int32(19782)},
		{"tm", "io.debezium.time.MicroTime", "INT64", true, int64((13*3600+45*60+6)*1e6 + 123456)},
		{"tm3", "io.debezium.time.Time", "INT32", true, int32((13*3600+45*60+6)*1e3 + 123)},
		{"ts", "io.debezium.time.MicroTimestamp", "INT64", true, ts.UnixMicro()},
		{"ts3", "io.debezium.time.Timestamp", "INT64", true, ts.UnixMilli()},
		{"tstz", "io.debezium.time.ZonedTimestamp", "STRING", true, "2024-02-29T11:45:06.5Z"},
		{"u", "io.debezium.data.Uuid", "STRING", true, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"j", "io.debezium.data.Json", "STRING", true, `{"a": 1}`},
		{"jb", "io.debezium.data.Json", "STRING", true, `{"b": [1, 2]}`},
		{"ai", "", "ARRAY", true, []any{int32(1), nil, int32(3)}},
		{"at", "", "ARRAY", true, []any{"x y", `q"z`, nil}},
		{"m", "io.debezium.data.Enum", "STRING", true, "happy"},
		{"nul", "", "STRING", true, nil},
	}
	for _, path := range []struct {
		name string
		row  *data.Struct
	}{{"snapshot", after(snap[0])}, {"stream", after(streamed[0])}} {
		for _, w := range want {
			f, ok := path.row.Schema().Field(w.field)
			if !ok {
				t.Errorf("%s: no field %s", path.name, w.field)
				continue
			}
			if f.Schema.Name != w.schemaName || f.Schema.Type.String() != w.typ || f.Schema.Optional != w.optional {
				t.Errorf("%s: %s schema %s/%s optional=%v, want %s/%s optional=%v", path.name, w.field,
					f.Schema.Name, f.Schema.Type, f.Schema.Optional, w.schemaName, w.typ, w.optional)
			}
			got := path.row.Get(w.field)
			if d, ok := got.(data.Decimal); ok {
				wd := w.value.(data.Decimal)
				if d.Scale != wd.Scale || d.Unscaled.Cmp(wd.Unscaled) != 0 {
					t.Errorf("%s: %s = %v, want %v", path.name, w.field, d, wd)
				}
				continue
			}
			if !reflect.DeepEqual(got, w.value) {
				t.Errorf("%s: %s = %#v, want %#v", path.name, w.field, got, w.value)
			}
		}
		f, _ := path.row.Schema().Field("n")
		if f.Schema.Parameters["scale"] != "3" || f.Schema.Parameters["connect.decimal.precision"] != "10" {
			t.Errorf("%s: numeric(10,3) parameters %v", path.name, f.Schema.Parameters)
		}
		f, _ = path.row.Schema().Field("m")
		if f.Schema.Parameters["allowed"] != "sad,ok,happy" {
			t.Errorf("%s: enum allowed %q, want sad,ok,happy", path.name, f.Schema.Parameters["allowed"])
		}
		vs := path.row.Struct("nfree")
		if vs == nil || vs.Schema().Name != "io.debezium.data.VariableScaleDecimal" || vs.Get("scale") != int32(2) ||
			new(big.Int).SetBytes(vs.Bytes("value")).Int64() != 125 {
			t.Errorf("%s: unconstrained numeric %v, want VariableScaleDecimal scale 2 value 125", path.name, vs)
		}
	}
}

func TestUnsupportedTypeFailsNamingColumn(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE odd (id int PRIMARY KEY, p point); INSERT INTO odd VALUES (1, '(1,2)')`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data"))
	pg.Exec(`INSERT INTO odd VALUES (2, '(3,4)')`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		recs, err := tk.Poll(t.Context())
		if err != nil {
			if !strings.Contains(err.Error(), "public.odd.p") || !strings.Contains(err.Error(), "point") {
				t.Fatalf("error %q does not name column public.odd.p and type point", err)
			}
			return
		}
		if len(recs) > 0 {
			t.Fatalf("a row with an unsupported column became %d records: %v", len(recs), recs[0].Value)
		}
	}
	t.Fatal("no error for an unsupported column type")
}

func TestDecimalAndTimeModes(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE m (id int PRIMARY KEY, n numeric(6,2), d date, tm time, ts timestamp);
		INSERT INTO m VALUES (1, 1234.5, '1970-01-02', '00:00:01.5', '1970-01-01 00:00:02.25')`)
	for _, c := range []struct {
		mode, time   string
		n            any
		dName, tName string
		tm, ts       any
	}{
		{"double", "connect", 1234.5, data.DateName, data.TimestampName, int32(1500), int64(2250)},
		{"string", "adaptive", "1234.50", "io.debezium.time.Date", "io.debezium.time.MicroTimestamp", int64(1500000), int64(2250000)},
	} {
		tk := openTask(t, baseConfig(pg, "decimal.handling.mode", c.mode, "time.precision.mode", c.time,
			"slot.name", "s_"+c.mode, "snapshot.mode", "initial_only"))
		row := after(pollUntil(t, tk, 1, 20*time.Second)[0])
		if got := row.Get("n"); got != c.n {
			t.Errorf("%s: numeric = %#v, want %#v", c.mode, got, c.n)
		}
		fd, _ := row.Schema().Field("d")
		fts, _ := row.Schema().Field("ts")
		if fd.Schema.Name != c.dName || fts.Schema.Name != c.tName {
			t.Errorf("%s: date/timestamp schemas %s/%s, want %s/%s", c.time, fd.Schema.Name, fts.Schema.Name, c.dName, c.tName)
		}
		if row.Get("d") != int32(1) || row.Get("tm") != c.tm || row.Get("ts") != c.ts {
			t.Errorf("%s: d=%v tm=%#v ts=%#v, want 1 %#v %#v", c.time, row.Get("d"), row.Get("tm"), row.Get("ts"), c.tm, c.ts)
		}
		tk.Close()
	}
}
