package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// filter decides which schemas, tables and columns are captured, as Debezium's
// include/exclude lists do: each list item is a regular expression that must match the
// whole identifier ("schema", "schema.table" or "schema.table.column"), compared case
// insensitively as Debezium compiles them.
type filter struct {
	schemaInclude, schemaExclude []*regexp.Regexp
	tableInclude, tableExclude   []*regexp.Regexp
	columnInclude, columnExclude []*regexp.Regexp
}

// parseFilter compiles the six lists; an include list and the exclude list of the same
// kind together are refused, as Debezium refuses them.
func parseFilter(c sdk.Config) (filter, []sdk.ConfigError) {
	var f filter
	var errs []sdk.ConfigError
	compile := func(key string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, item := range c.List(key) {
			if strings.TrimSpace(item) == "" {
				continue
			}
			re, err := regexp.Compile("(?i)^(?:" + item + ")$")
			if err != nil {
				errs = append(errs, sdk.ConfigError{Key: key, Message: fmt.Sprintf("%q is not a valid regular expression: %v", item, err)})
				continue
			}
			out = append(out, re)
		}
		return out
	}
	f.schemaInclude, f.schemaExclude = compile(keySchemaInclude), compile(keySchemaExclude)
	f.tableInclude, f.tableExclude = compile(keyTableInclude), compile(keyTableExclude)
	f.columnInclude, f.columnExclude = compile(keyColumnInclude), compile(keyColumnExclude)
	both := func(inc, exc string, a, b []*regexp.Regexp) {
		if len(a) > 0 && len(b) > 0 {
			errs = append(errs, sdk.ConfigError{Key: exc, Message: fmt.Sprintf("%s and %s cannot both be set (Debezium refuses it too); keep one of them", inc, exc)})
		}
	}
	both(keySchemaInclude, keySchemaExclude, f.schemaInclude, f.schemaExclude)
	both(keyTableInclude, keyTableExclude, f.tableInclude, f.tableExclude)
	both(keyColumnInclude, keyColumnExclude, f.columnInclude, f.columnExclude)
	return f, errs
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// table reports whether table schema.name is captured.
func (f *filter) table(schema, name string) bool {
	if schema == "pg_catalog" || schema == "information_schema" {
		return false
	}
	if len(f.schemaInclude) > 0 && !anyMatch(f.schemaInclude, schema) {
		return false
	}
	if anyMatch(f.schemaExclude, schema) {
		return false
	}
	id := schema + "." + name
	if len(f.tableInclude) > 0 && !anyMatch(f.tableInclude, id) {
		return false
	}
	return !anyMatch(f.tableExclude, id)
}

// column reports whether column col of schema.table is emitted.
func (f *filter) column(schema, table, col string) bool {
	id := schema + "." + table + "." + col
	if len(f.columnInclude) > 0 && !anyMatch(f.columnInclude, id) {
		return false
	}
	return !anyMatch(f.columnExclude, id)
}
