package main

import (
	"fmt"

	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// jsonWriterFor is the writer of JsonFormat: JsonConverter's output with
// schemas.enable=false, decimals as json.decimal.format says.
func jsonWriterFor(cfg *config) data.JSONWriter {
	if cfg.numericDec {
		return data.JSONWriter{Decimals: data.DecimalNumeric}
	}
	return data.JSONWriter{}
}

func mismatch(s *data.Schema, v any) error {
	return fmt.Errorf("Invalid type for %s: %T", s.Type, v)
}
