package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// The REST API decodes bodies anyone who reaches the port can send: whatever the bytes,
// the answer is a 400 naming the problem, never a panic or a 500.

func FuzzReadConfig(f *testing.F) {
	for _, s := range []string{`{"connector.class":"FileStreamSource","tasks.max":1,"x":true}`, `{"a":null}`,
		`{"a":{"b":1}}`, `{"a":[1]}`, `null`, `[]`, ``, `{"a":1}{"b":2}`, `{"a":1e999}`, `"str"`, `{"a":"\ud800"}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, keepNull bool) {
		req := httptest.NewRequest(http.MethodPut, "/connectors/x/config", bytes.NewReader(body))
		cfg, err := readConfig(req, keepNull)
		if err != nil {
			if code, msg := httpStatus(err); code != http.StatusBadRequest || msg == "" {
				t.Fatalf("readConfig(%q) = %d %q; want a 400 saying what is wrong", body, code, msg)
			}
			return
		}
		// Accepted: a JSON object whose every value became a string (or, kept, null).
		var raw map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber() // as the API reads numbers: 1e999 is the string "1e999"
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("readConfig accepted %q, which is not one JSON object: %v", body, err)
		}
		for k, v := range cfg {
			if _, ok := raw[k]; !ok {
				t.Fatalf("readConfig(%q) invented key %q", body, k)
			}
			if v == nil && (!keepNull || raw[k] != nil) {
				t.Fatalf("readConfig(%q) has %q nil; only a kept null may be", body, k)
			}
		}
	})
}

func FuzzParseOffsets(f *testing.F) {
	for _, p := range [][2]string{
		{`{"filename":"/in"}`, `{"position":4}`}, {`{"kafka_topic":"t","kafka_partition":0}`, `{"kafka_offset":5}`},
		{`{"kafka_topic":"t","kafka_partition":"3"}`, `{"kafka_offset":"9223372036854775808"}`},
		{`{"kafka_topic":null,"kafka_partition":-1}`, `null`}, {`null`, ``}, {`[1]`, `{}`},
		{`{"kafka_topic":"t","kafka_partition":1.5}`, `{"kafka_offset":1e3}`},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, partition, offset string) {
		o := &adminv1.Offset{Partition: partition, Offset: offset}
		if so, err := parseSourceOffset(o); err == nil {
			var m map[string]any
			if json.Unmarshal(so.Partition, &m) != nil || m == nil {
				t.Fatalf("source partition %q accepted as %q, not a JSON object", partition, so.Partition)
			}
			if so.Offset != nil && json.Unmarshal(so.Offset, &m) != nil {
				t.Fatalf("source offset %q accepted as %q, not a JSON object", offset, so.Offset)
			}
		} else if code, msg := httpStatus(err); code != http.StatusBadRequest || msg == "" {
			t.Fatalf("parseSourceOffset(%q, %q) = %d %q; want a 400", partition, offset, code, msg)
		}
		if so, err := parseSinkOffset(o); err == nil {
			if so.Topic == "" || so.Partition < 0 || so.Offset < -1 {
				t.Fatalf("sink offset (%q, %q) accepted as %v", partition, offset, so)
			}
		} else if code, msg := httpStatus(err); code != http.StatusBadRequest || msg == "" {
			t.Fatalf("parseSinkOffset(%q, %q) = %d %q; want a 400", partition, offset, code, msg)
		}
	})
}
