package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// snapshotter reads every captured table in one REPEATABLE READ transaction — on the
// snapshot the slot exported when it was created, when it was — through a cursor of
// snapshot.fetch.size rows, and emits each row as an op "r" record. It holds back one
// row so it can mark the first and last rows of each table and of the whole snapshot as
// Debezium does.
type snapshotter struct {
	t         *task
	conn      *pgx.Conn
	lsn       uint64 // the WAL position the snapshot is consistent with
	txID      int64
	tables    []*table
	done      []string // tables finished, schema.table
	cur       int      // index into tables of the table being read; -1 before the first
	open      bool     // a cursor on tables[cur] is open
	held      *heldRow
	tableRows int   // rows read from tables[cur]
	vals      []any // scratch for table.structs
}

// heldRow is the row held back until the next one says what marker it gets.
type heldRow struct {
	t            *table
	after, key   *data.Struct
	firstInTable bool
}

// beginSnapshot opens the snapshot transaction. exported is the slot's exported
// snapshot name ("" for a snapshot of now), lsn the position it is consistent with (0:
// the server's current position). Tables in skip were finished by an interrupted
// snapshot and are not read again.
func beginSnapshot(ctx context.Context, t *task, exported string, lsn uint64, skip []string) (*snapshotter, error) {
	s := &snapshotter{t: t, conn: t.conn, lsn: lsn, cur: -1, done: slices.Clone(skip)}
	if _, err := s.conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return nil, fmt.Errorf("snapshot: begin: %w", err)
	}
	if exported != "" {
		if _, err := s.conn.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+exported+"'"); err != nil {
			return nil, fmt.Errorf("snapshot: use the slot's exported snapshot %s: %w", exported, err)
		}
	}
	var cur string
	if err := s.conn.QueryRow(ctx, "SELECT txid_current(), pg_current_wal_lsn()::text").Scan(&s.txID, &cur); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if s.lsn == 0 {
		l, err := parseLSN(cur)
		if err != nil {
			return nil, err
		}
		s.lsn = l
	}
	tables, err := t.cat.capturedTables(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	for _, tb := range tables {
		if !slices.Contains(skip, tb.id()) {
			s.tables = append(s.tables, tb)
		}
	}
	t.log.Info("snapshot started", "tables", len(s.tables), "skipped_done", len(skip), "lsn", lsnString(s.lsn), "exported", exported != "")
	return s, nil
}

// next returns the records of the next fetch; done is true once every table is read,
// the transaction ended and the last record (marked "last") is in recs.
func (s *snapshotter) next(ctx context.Context) (recs []sdk.SourceRecord, done bool, err error) {
	for len(recs) == 0 {
		if !s.open {
			if s.cur >= 0 {
				s.done = append(s.done, s.tables[s.cur].id())
			}
			s.cur++
			if s.cur >= len(s.tables) {
				if s.held != nil {
					recs = append(recs, s.release(true, true))
				}
				if _, err := s.conn.Exec(ctx, "COMMIT"); err != nil {
					return nil, false, fmt.Errorf("snapshot: commit: %w", err)
				}
				s.t.log.Info("snapshot completed", "tables", len(s.done))
				return recs, true, nil
			}
			tb := s.tables[s.cur]
			sql := "DECLARE dbz_snapshot NO SCROLL CURSOR FOR SELECT * FROM " + pgx.Identifier{tb.Schema, tb.Name}.Sanitize()
			if _, err := s.conn.Exec(ctx, sql); err != nil {
				return nil, false, fmt.Errorf("snapshot of %s: %w", tb.id(), err)
			}
			s.open, s.tableRows = true, 0
			s.t.log.Info("snapshotting table", "table", tb.id())
		}
		tb := s.tables[s.cur]
		res := s.conn.PgConn().ExecParams(ctx, fmt.Sprintf("FETCH FORWARD %d FROM dbz_snapshot", s.t.cfg.FetchSize), nil, nil, nil, nil).Read()
		if res.Err != nil {
			return nil, false, fmt.Errorf("snapshot of %s: fetch: %w", tb.id(), res.Err)
		}
		cells := make([]cell, len(tb.cols))
		for _, row := range res.Rows {
			if len(row) != len(tb.cols) {
				return nil, false, fmt.Errorf("snapshot of %s: a row has %d columns, the table %d", tb.id(), len(row), len(tb.cols))
			}
			for i, v := range row {
				cells[i] = cell{null: v == nil, text: string(v)}
			}
			after, key, err := tb.structs(cells, true, &s.vals)
			if err != nil {
				return nil, false, fmt.Errorf("snapshot: %w", err)
			}
			if s.held != nil {
				recs = append(recs, s.release(false, false))
			}
			s.held = &heldRow{t: tb, after: after, key: key, firstInTable: s.tableRows == 0}
			s.tableRows++
		}
		if len(res.Rows) < s.t.cfg.FetchSize {
			if _, err := s.conn.Exec(ctx, "CLOSE dbz_snapshot"); err != nil {
				return nil, false, fmt.Errorf("snapshot of %s: %w", tb.id(), err)
			}
			s.open = false
			if s.held != nil && s.cur+1 < len(s.tables) {
				recs = append(recs, s.release(true, false))
			}
		}
	}
	return recs, false, nil
}

// release turns the held row into its record. endOfTable says it is its table's last
// row, last that it is the snapshot's.
func (s *snapshotter) release(endOfTable, last bool) sdk.SourceRecord {
	h := s.held
	s.held = nil
	marker := snapTrue
	switch {
	case last:
		marker = snapLast
	case h.firstInTable && h.t == s.tables[0]:
		marker = snapFirst // Debezium's FIRST: the first row of the first table
	case endOfTable:
		marker = snapLastTable
	case h.firstInTable:
		marker = snapFirstTable
	}
	now := time.Now()
	src := sourceInfo{tb: h.t, tsMs: now.UnixMilli(), snapshot: marker, sequence: sequence(0, s.lsn),
		txID: s.txID, lsn: lsnValue(s.lsn)}
	env := newEnvelope(h.t, nil, h.after, src.build(), "r", now)
	done := s.done
	if last {
		done = nil // the snapshot is over; nothing to resume
	}
	off := map[string]any{
		offSnapshot: true, offLastSnapshot: last, offLSN: int64(s.lsn), offTxID: s.txID,
		offTsUsec: now.UnixMicro(), offTablesDone: strings.Join(done, ","),
	}
	return s.t.record(h.t, h.key, env, sdk.OffsetOf(off), now)
}

// abort ends the snapshot transaction, for Close.
func (s *snapshotter) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.conn.Exec(ctx, "ROLLBACK")
}
