package transform

import (
	"strings"
	"testing"
	"time"
)

func TestTimestampConverter(t *testing.T) {
	const v = "TimestampConverter$Value"
	const ms = 1700000000000 // 2023-11-14T22:13:20Z
	optTs := tsSch()
	optTs.Optional = true
	event := structSch("Event", sfield("id", sch(sInt32)), sfield("at", optTs))
	eventString := structSch("Event", sfield("id", sch(sInt32)), sfield("at", optSch(sString)))
	eventWithDefault := structSch("Event", sfield("at", tsSch()))
	eventWithDefault.DefaultValue = vstruct(fld("at", vi(0)))
	eventWithDefaultUnix := structSch("Event", sfield("at", sch(sInt64)))
	eventWithDefaultUnix.DefaultValue = vstruct(fld("at", vi(0)))

	runCases(t, []tcase{
		// Schemaless.
		{name: "string to unix", class: v, props: props("target.type", "unix", "format", "yyyy-MM-dd HH:mm:ss"),
			in: vrec(nil, vs("2023-11-14 22:13:20")), want: vrec(nil, vi(ms))},
		{name: "unix to string", class: v, props: props("target.type", "string", "format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
			in: vrec(nil, vi(ms+7)), want: vrec(nil, vs("2023-11-14T22:13:20.007Z"))},
		{name: "unix seconds to Timestamp", class: v, props: props("target.type", "Timestamp", "unix.precision", "seconds"),
			in: vrec(nil, vi(ms/1000)), want: vrec(nil, vi(ms))},
		{name: "unix microseconds to string", class: v, props: props("target.type", "string", "format", "HH:mm:ss.SSS", "unix.precision", "microseconds"),
			in: vrec(nil, vi(ms*1000+999)), want: vrec(nil, vs("22:13:20.000"))},
		{name: "field of a map", class: v, props: props("field", "ts", "target.type", "string", "format", "yyyy-MM-dd"),
			in: vrec(nil, vmap("ts", vi(ms), "x", vi(1))), want: vrec(nil, vmap("ts", vs("2023-11-14"), "x", vi(1)))},
		{name: "missing field of a map", class: v, props: props("field", "ts", "target.type", "unix"),
			in: vrec(nil, vmap("x", vi(1))), want: vrec(nil, vmap("x", vi(1), "ts", nil))},
		{name: "schemaless null", class: v, props: props("field", "ts", "target.type", "unix"),
			in: vrec(nil, nil), want: vrec(nil, nil)},
		{name: "schemaless double", class: v, props: props("target.type", "unix"),
			in: vrec(nil, vf(1.5)), wantErr: "TimestampConverter does not support double objects as timestamps"},
		{name: "unparsable string", class: v, props: props("target.type", "unix", "format", "yyyy-MM-dd"),
			in: vrec(nil, vs("nope")), wantErr: "Could not parse timestamp: value (nope) does not match pattern (yyyy-MM-dd)"},
		{name: "string without a format", class: v, props: props("target.type", "unix"),
			in: vrec(nil, vs("2023")), wantErr: "TimestampConverter requires format option to be specified when using string timestamps"},

		// With a schema.
		{name: "Timestamp to Date", class: v, props: props("target.type", "Date"),
			in: vrec(tsSch(), vi(ms)), want: vrec(dateSch(), vi(19675))},
		{name: "Timestamp to Time", class: v, props: props("target.type", "Time"),
			in: vrec(tsSch(), vi(ms)), want: vrec(timeSch(), vi(80_000_000))},
		{name: "Date to Timestamp", class: v, props: props("target.type", "Timestamp"),
			in: vrec(dateSch(), vi(19675)), want: vrec(tsSch(), vi(19675*msPerDay))},
		{name: "before the epoch to Date", class: v, props: props("target.type", "Date"),
			in: vrec(tsSch(), vi(-1)), want: vrec(dateSch(), vi(-1))},
		{name: "Timestamp to unix nanoseconds", class: v, props: props("target.type", "unix", "unix.precision", "nanoseconds"),
			in: vrec(optTs, vi(ms)), want: vrec(optSch(sInt64), vi(ms*1_000_000))},
		{name: "int64 is unix", class: v, props: props("target.type", "string", "format", "yyyy"),
			in: vrec(sch(sInt64), vi(ms)), want: vrec(sch(sString), vs("2023"))},
		{name: "field of a struct", class: v, props: props("field", "at", "target.type", "string", "format", "dd/MM/yyyy"),
			in: vrec(event, vstruct(fld("id", vi(1)), fld("at", vi(ms)))), want: vrec(eventString, vstruct(fld("id", vi(1)), fld("at", vs("14/11/2023"))))},
		{name: "null field of a struct", class: v, props: props("field", "at", "target.type", "string", "format", "yyyy"),
			in: vrec(event, vstruct(fld("id", vi(1)), fld("at", nil))), want: vrec(eventString, vstruct(fld("id", vi(1)), fld("at", nil)))},
		{name: "null struct", class: v, props: props("field", "at", "target.type", "string", "format", "yyyy"),
			in: vrec(event, nil), want: vrec(eventString, nil)},
		{name: "struct default converted too", class: v, props: props("field", "at", "target.type", "unix"),
			in: vrec(eventWithDefault, vstruct(fld("at", vi(5)))), want: vrec(eventWithDefaultUnix, vstruct(fld("at", vi(5))))},
		{name: "not a timestamp schema", class: v, props: props("target.type", "unix"),
			in: vrec(sch(sInt32), vi(5)), wantErr: "Schema INT32 schema does not correspond to a known timestamp type format"},
		{name: "key", class: "TimestampConverter$Key", props: props("target.type", "Timestamp"),
			in: krec(sch(sInt64), vi(ms)), want: krec(tsSch(), vi(ms))},
	})
}

func TestSimpleDateFormat(t *testing.T) {
	at := time.Date(2024, 2, 29, 13, 5, 9, 42e6, time.UTC).UnixMilli() // a Thursday
	tests := []struct {
		pattern, want string
	}{
		{"yyyyMMdd", "20240229"},
		{"yy-M-d", "24-2-29"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2024-02-29T13:05:09.042+0000"},
		{"EEE, d MMM yyyy hh:mm a z", "Thu, 29 Feb 2024 01:05 PM UTC"},
		{"EEEE MMMM D", "Thursday February 60"},
		{"DDD", "060"},
		{"'it''s' k K h H X u", "it's 13 1 1 13 Z 4"},
		{"''yyyy''", "'2024'"},
		{"w W F G", "9 5 5 AD"},
		{"SSSSSS", "000042"},
	}
	for _, tt := range tests {
		f, err := newSimpleDateFormat(tt.pattern)
		if err != nil {
			t.Fatalf("newSimpleDateFormat(%q): %v", tt.pattern, err)
		}
		if got := f.format(at); got != tt.want {
			t.Errorf("format(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	if f, _ := newSimpleDateFormat("YYYY-ww"); f.format(time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC).UnixMilli()) != "2025-01" {
		t.Errorf("week year of 2024-12-30 = %s, want 2025-01", f.format(time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC).UnixMilli()))
	}

	parses := []struct {
		pattern, text string
		want          time.Time
	}{
		{"yyyy-MM-dd HH:mm:ss", "2024-02-29 13:05:09", time.Date(2024, 2, 29, 13, 5, 9, 0, time.UTC)},
		{"yyyyMMddHHmmss", "20240229130509", time.Date(2024, 2, 29, 13, 5, 9, 0, time.UTC)},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-02-29T13:05:09.042+02:00", time.Date(2024, 2, 29, 11, 5, 9, 42e6, time.UTC)},
		{"yyyy-MM-dd'T'HH:mm:ssZ", "2024-02-29T13:05:09-0130", time.Date(2024, 2, 29, 14, 35, 9, 0, time.UTC)},
		{"yyyy-MM-dd'T'HH:mm:ssX", "2024-02-29T13:05:09Z", time.Date(2024, 2, 29, 13, 5, 9, 0, time.UTC)},
		{"dd MMM yyyy hh:mm a", "29 feb 2024 01:05 PM", time.Date(2024, 2, 29, 13, 5, 0, 0, time.UTC)},
		{"dd MMMM yyyy h a", "1 March 2024 12 AM", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"EEE, d MMM yyyy", "Thu, 29 Feb 2024", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"yyyy-MM-dd", "2024-02-30", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},           // lenient
		{"yyyy-MM-dd", "2024-02-29 and more", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}, // trailing text ignored
		{"HH:mm", "07:30", time.Date(1970, 1, 1, 7, 30, 0, 0, time.UTC)},
		{"yyyy D", "2024 60", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"z yyyy", "GMT+01:00 2024", time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC)},
	}
	for _, tt := range parses {
		f, err := newSimpleDateFormat(tt.pattern)
		if err != nil {
			t.Fatalf("newSimpleDateFormat(%q): %v", tt.pattern, err)
		}
		got, err := f.parse(tt.text)
		if err != nil || got != tt.want.UnixMilli() {
			t.Errorf("parse(%q, %q) = %v, %v; want %v", tt.pattern, tt.text, time.UnixMilli(got).UTC(), err, tt.want)
		}
	}
	f, _ := newSimpleDateFormat("yy-MM-dd")
	if got, _ := f.parse("24-01-02"); time.UnixMilli(got).UTC().Year() != 2024 {
		t.Errorf("two-digit year 24 parsed as %d", time.UnixMilli(got).UTC().Year())
	}
	for _, bad := range []struct{ pattern, text string }{
		{"yyyy-MM-dd", "2024/02/29"},
		{"yyyy-MM-dd", ""},
		{"MMM", "Foo"},
		{"a", "XM"},
		{"X", "+"},
	} {
		f, _ := newSimpleDateFormat(bad.pattern)
		if _, err := f.parse(bad.text); err == nil || !strings.Contains(err.Error(), "does not match pattern") {
			t.Errorf("parse(%q, %q) error = %v", bad.pattern, bad.text, err)
		}
	}
	for _, bad := range []string{"yyyy-qq", "'open", "bb"} {
		if _, err := newSimpleDateFormat(bad); err == nil {
			t.Errorf("newSimpleDateFormat(%q) succeeded", bad)
		}
	}
}

func TestJavaFormatting(t *testing.T) {
	// Double.toString and Float.toString are kc's, tested there against Java.
	decimals := []struct {
		b     []byte
		scale string
		want  string
	}{
		{[]byte{0x30, 0x39}, "2", "123.45"},
		{[]byte{0xcf, 0xc7}, "2", "-123.45"},
		{[]byte{0x01}, "3", "0.001"},
		{[]byte{0x01}, "10", "1E-10"},
		{[]byte{0x7b}, "-2", "1.23E+4"},
		{[]byte{0x00}, "0", "0"},
	}
	for _, tt := range decimals {
		d, err := readDecimal(decSch(tt.scale), tt.b)
		if err != nil || d.String() != tt.want {
			t.Errorf("decimal %x scale %s = %q, %v; want %q", tt.b, tt.scale, d.String(), err, tt.want)
		}
		if back := decimalBytes(d.unscaled); string(back) != string(tt.b) {
			t.Errorf("decimalBytes round trip of %x = %x", tt.b, back)
		}
	}
	if got := javaDateString(-1); got != "23:59:59.999Z" {
		t.Errorf("javaDateString(-1) = %q (upstream prints a time for anything below one day)", got)
	}
}

func TestJavaReplacement(t *testing.T) {
	re, err := compileJavaRegex(`(a)(b)?(?<tail>c*)`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ repl, want, err string }{
		{"[$1|$2|${tail}]", "[a||cc]x", ""},
		{`\$1\\`, `$1\x`, ""},
		{"$3$31", "cccc1x", ""},
		{"$", "", "group index is missing"},
		{"$x", "", "Illegal group reference"},
		{"$4", "", "No group 4"},
		{"${nope}", "", "No group with name {nope}"},
		{"${tail", "", "missing trailing '}'"},
		{`\`, "", "character to be escaped is missing"},
	}
	for _, tt := range tests {
		got, err := re.replaceFirst("accx", tt.repl)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("replaceFirst(%q) error = %v, want %q", tt.repl, err, tt.err)
			}
			if cerr := checkJavaReplacement(re.find, tt.repl); cerr == nil {
				t.Errorf("checkJavaReplacement(%q) accepted it", tt.repl)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("replaceFirst(%q) = %q, %v; want %q", tt.repl, got, err, tt.want)
		}
	}
}
