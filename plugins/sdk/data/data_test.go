package data

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		scale   int32
	}{
		{"12.34", "12.34", 2}, {"-0.005", "-0.005", 3}, {"100", "100", 0},
		{"1.5E+3", "1500", -2}, {"1.5e-3", "0.0015", 4}, {"-7", "-7", 0},
	} {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != tc.out || d.Scale != tc.scale {
			t.Errorf("ParseDecimal(%q) = %s scale %d, want %s scale %d", tc.in, d, d.Scale, tc.out, tc.scale)
		}
	}
	for _, bad := range []string{"", "1.2.3", "abc", "1e", "1_000"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) accepted", bad)
		}
	}
	d, _ := ParseDecimal("1.5")
	if r, err := d.Rescale(3); err != nil || r.String() != "1.500" {
		t.Errorf("Rescale(3) = %v, %v", r, err)
	}
	if _, err := d.Rescale(0); err == nil {
		t.Error("Rescale(0) of 1.5 did not refuse to round")
	}
}

// TestTwosComplement checks the bytes against Java's BigInteger.toByteArray.
func TestTwosComplement(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want []byte
	}{
		{0, []byte{0}}, {1, []byte{1}}, {127, []byte{0x7f}}, {128, []byte{0, 0x80}},
		{-1, []byte{0xff}}, {-128, []byte{0x80}}, {-129, []byte{0xff, 0x7f}}, {-12345, []byte{0xcf, 0xc7}},
	} {
		got := AppendTwosComplement(nil, big.NewInt(tc.n))
		if string(got) != string(tc.want) {
			t.Errorf("%d: % x, want % x", tc.n, got, tc.want)
		}
		if back := FromTwosComplement(got); back.Int64() != tc.n {
			t.Errorf("% x read back as %v, want %d", got, back, tc.n)
		}
	}
}

func TestDateAndTime(t *testing.T) {
	day := time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	if DateDays(day) != -1 || !DateOf(-1).Equal(day) {
		t.Errorf("1969-12-31 is day %d (back: %v)", DateDays(day), DateOf(-1))
	}
	at := time.Date(2024, 2, 29, 13, 14, 15, 16e6, time.UTC)
	if got := TimeMillis(at); got != ((13*60+14)*60+15)*1000+16 {
		t.Errorf("TimeMillis = %d", got)
	}
	if got := TimeOf(TimeMillis(at)); got.Format("15:04:05.000") != "13:14:15.016" {
		t.Errorf("TimeOf = %v", got)
	}
}

func TestValidate(t *testing.T) {
	s := StructOf("row",
		NewField("id", Int32Schema),
		NewField("note", OptionalStringSchema),
		NewField("tags", ArrayOf(StringSchema)),
		NewField("price", DecimalSchema(2)),
	)
	ok := NewStruct(s).Put("id", int32(1)).Put("tags", []any{"a"}).Put("price", NewDecimal(5, 2))
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid struct: %v", err)
	}
	for name, tc := range map[string]struct {
		st   *Struct
		want string
	}{
		"missing":    {NewStruct(s).Put("tags", []any{}).Put("price", NewDecimal(1, 2)), "id: a value is required"},
		"wrong type": {NewStruct(s).Put("id", "1").Put("tags", []any{}).Put("price", NewDecimal(1, 2)), "id: expected INT32, got string"},
		"range":      {NewStruct(s).Put("id", int64(1)<<40).Put("tags", []any{}).Put("price", NewDecimal(1, 2)), "out of range for INT32"},
		"element":    {NewStruct(s).Put("id", 1).Put("tags", []any{1}).Put("price", NewDecimal(1, 2)), "tags[0]: expected STRING"},
		"decimal":    {NewStruct(s).Put("id", 1).Put("tags", []any{}).Put("price", 1.5), "price: expected Decimal"},
	} {
		if err := tc.st.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `no field "nope"`) {
			t.Errorf("Put of an unknown field: panic %v", r)
		}
	}()
	NewStruct(s).Put("nope", 1)
}

func TestBuildersCopy(t *testing.T) {
	o := Optional(StringSchema)
	if !o.Optional || StringSchema.Optional {
		t.Fatal("Optional changed the shared schema or did not make a copy optional")
	}
	p := DecimalSchema(2).WithParameter("connect.decimal.precision", "10")
	if p.Parameters["scale"] != "2" || p.Parameters["connect.decimal.precision"] != "10" {
		t.Fatalf("parameters = %v", p.Parameters)
	}
	st := NewStruct(StructOf("s", NewField("flag", BooleanSchema.WithDefault(true))))
	if st.Get("flag") != true || !st.Bool("flag") {
		t.Fatal("an unset field did not read as its default")
	}
}

func TestAppendJSON(t *testing.T) {
	s := StructOf("r", NewField("a", Int64Schema), NewField("b", StringSchema))
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "null"}, {"x\"<", `"x\"<"`}, {[]byte("hi"), `"aGk="`}, {int8(-3), "-3"},
		{3.5, "3.5"}, {float32(0.1), "0.1"}, {NewDecimal(-105, 2), "-1.05"},
		{NewStruct(s).Put("a", int64(1)).Put("b", "z"), `{"a":1,"b":"z"}`},
		{map[string]any{"z": 1, "a": []any{true, nil}}, `{"a":[true,null],"z":1}`},
		{Map{{Key: int32(1), Value: "one"}}, `[[1,"one"]]`},
		{time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), `"2020-01-02T03:04:05Z"`},
	} {
		if got := string(AppendJSON(nil, tc.v)); got != tc.want {
			t.Errorf("AppendJSON(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
	if got := string(AppendText(nil, "plain")); got != "plain" {
		t.Errorf("AppendText(string) = %q", got)
	}
}
