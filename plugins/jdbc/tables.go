package main

import (
	"context"
	"database/sql"
	"hash/fnv"
	"slices"
)

// matchesList says whether table t is named in list, by name, schema.name or fully
// qualified name, as Confluent's table.whitelist matches.
func matchesList(t tableID, list []string) bool {
	for _, l := range list {
		if l == t.name || l == t.fqn() || (t.schema != "" && l == t.schema+"."+t.name) || (t.catalog != "" && l == t.catalog+"."+t.name) {
			return true
		}
	}
	return false
}

// selectTables lists the tables the source reads: of table.types, in catalog.pattern
// and schema.pattern, on the include list (when there is one) and not on the exclude
// list.
func selectTables(ctx context.Context, d dialect, db *sql.DB, cfg *sourceConfig) ([]tableID, error) {
	all, err := d.listTables(ctx, db, cfg.catalogPattern, cfg.schemaPattern, cfg.types)
	if err != nil {
		return nil, err
	}
	var out []tableID
	for _, t := range all {
		if len(cfg.include) > 0 && !matchesList(t, cfg.include) {
			continue
		}
		if matchesList(t, cfg.exclude) {
			continue
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b tableID) int {
		if a.fqn() < b.fqn() {
			return -1
		}
		if a.fqn() > b.fqn() {
			return 1
		}
		return 0
	})
	return out, nil
}

// groupTables spreads tables over at most n groups of consecutive tables, the first
// groups one larger when they do not divide evenly, as Kafka Connect's
// ConnectorUtils.groupPartitions (which Confluent's source uses).
func groupTables(tables []string, n int) [][]string {
	n = min(n, len(tables))
	if n <= 0 {
		return nil
	}
	out := make([][]string, n)
	per, extra := len(tables)/n, len(tables)%n
	at := 0
	for i := range n {
		size := per
		if i < extra {
			size++
		}
		out[i] = tables[at : at+size]
		at += size
	}
	return out
}

// slotOf is the task that picks up a table created after the tasks started: the hash
// of its fully qualified name modulo the tasks' count.
func slotOf(fqn string, slots int) int {
	h := fnv.New32a()
	h.Write([]byte(fqn))
	return int(h.Sum32() % uint32(slots))
}
