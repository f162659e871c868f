package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// decodeJSON decodes one JSON document into the schemaless Connect values a record
// carries: objects become data.Map (string keys, in the document's order, a repeated
// key keeping its last value), arrays []any, integers that fit int64 int64, other
// numbers float64, and strings, booleans and null as themselves. Anything after the
// document other than whitespace is an error.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON document")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("empty body, not a JSON document")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := data.Map{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				replaced := false
				for i := range m {
					if m[i].Key == k {
						m[i].Value, replaced = v, true
						break
					}
				}
				if !replaced {
					m = append(m, data.MapEntry{Key: k, Value: v})
				}
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			list := []any{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return list, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil // a number beyond a double is ±Inf, as Jackson reads it as a double
	default:
		return t, nil // string, bool or nil
	}
}

// text returns v as a template or an offset carries it: a string as it is, null as "",
// anything else as its JSON.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return string(appendJSON(nil, v))
}

// appendJSON appends a value from decodeJSON as JSON: a data.Map (string keys) as an
// object in its order, which data.AppendJSON would write as pairs.
func appendJSON(dst []byte, v any) []byte {
	switch x := v.(type) {
	case data.Map:
		dst = append(dst, '{')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, _ := e.Key.(string)
			dst = data.AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSON(dst, e.Value)
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		for i, item := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, item)
		}
		return append(dst, ']')
	case float64:
		if x == 0 && math.Signbit(x) {
			// Go writes -0 as "-0", which reads back as the integer 0: keep it a double,
			// as Jackson writes it.
			return append(dst, "-0.0"...)
		}
	}
	return data.AppendJSON(dst, v)
}
