package main

import (
	"strings"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// Offset keys. lsn, txId, ts_usec, lsn_proc, lsn_commit, messageType, snapshot and
// last_snapshot_record are Debezium 2.x's; the others are this connector's, needed to
// resume exactly (Debezium keeps the same facts in memory).
const (
	offLSN          = "lsn"
	offTxID         = "txId"
	offTsUsec       = "ts_usec"
	offLSNProc      = "lsn_proc"
	offLSNCommit    = "lsn_commit"
	offMessageType  = "messageType"
	offSnapshot     = "snapshot"
	offLastSnapshot = "last_snapshot_record"
	// offEvent is the event's index within its transaction: events of one multi-row
	// WAL record (COPY) share an LSN, so the LSN alone cannot say which were delivered.
	offEvent = "event_index"
	// offFlush is the WAL position the slot may confirm once this record is committed:
	// the end of the last transaction all of whose events are at or before this one.
	offFlush = "lsn_flush"
	// offTablesDone lists the tables (schema.table, comma separated) a snapshot in
	// progress has finished, so a restarted snapshot resumes by table.
	offTablesDone = "snapshot_tables_done"
	// offHeartbeat marks a heartbeat's offset.
	offHeartbeat = "heartbeat"
)

// position is where a committed offset says the task is.
type position struct {
	snapshotting bool     // a snapshot was in progress (not its last record)
	tablesDone   []string // the tables it had finished
	snapshotLSN  uint64   // the WAL position the snapshot is consistent with
	commitLSN    uint64   // commit LSN of the transaction of the last record
	event        int64    // index of the last record within that transaction; -1 none
	flush        uint64   // WAL position safe to confirm
}

// partition returns the connector's one source partition, {"server": topic.prefix}.
func partition(prefix string) sdk.Partition { return sdk.Partition{"server": prefix} }

// readPosition turns a committed offset into a position; ok is false without one.
func readPosition(o sdk.Offset) (position, bool) {
	if o.IsZero() {
		return position{}, false
	}
	p := position{event: -1}
	u := func(key string) uint64 { n, _ := o.Int(key); return uint64(n) }
	if snap, _ := o.Bool(offSnapshot); snap {
		last, _ := o.Bool(offLastSnapshot)
		p.snapshotting = !last
		p.snapshotLSN = u(offLSN)
		if s, _ := o.String(offTablesDone); s != "" {
			p.tablesDone = strings.Split(s, ",")
		}
		if last {
			// The snapshot completed: streaming starts at its consistent point.
			p.flush = p.snapshotLSN
		}
		return p, true
	}
	p.commitLSN = u(offLSNCommit)
	if n, ok := o.Int(offEvent); ok {
		p.event = n
	}
	p.flush = u(offFlush)
	if hb, _ := o.Bool(offHeartbeat); hb {
		p.commitLSN, p.event = p.flush, -1
	}
	return p, true
}

// replayed reports whether event idx of the transaction committing at commitLSN is at
// or before the committed position: the kernel already has it.
func (p position) replayed(commitLSN uint64, idx int64) bool {
	if commitLSN < p.commitLSN {
		return true
	}
	return commitLSN == p.commitLSN && idx <= p.event
}
