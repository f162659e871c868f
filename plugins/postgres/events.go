package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// txn is the transaction being decoded.
type txn struct {
	xid        uint32
	commitLSN  uint64 // the commit record's LSN (Begin's final LSN)
	commitTime time.Time
	events     int64 // change events seen so far, emitted or skipped
}

// decoder turns pgoutput messages into Debezium change records. It holds back the
// records of the latest change event until the next event or the commit says which
// flush position its offset may carry: only the last event of a transaction can let
// the slot confirm that transaction's end.
type decoder struct {
	t          *task
	rels       map[uint32]*table // captured tables by relation OID; nil entry: not captured
	cur        *txn
	held       []sdk.SourceRecord
	heldOff    map[string]any
	lastEnd    uint64 // end LSN of the last transaction fully decoded
	lastCommit uint64 // commit LSN of the last transaction fully decoded
}

func newDecoder(t *task, start uint64) *decoder {
	return &decoder{t: t, rels: map[uint32]*table{}, lastEnd: start}
}

// idle reports whether no transaction is being decoded and nothing is held back.
func (d *decoder) idle() bool { return d.cur == nil && len(d.held) == 0 }

// handle decodes one message, appending finished records to out.
func (d *decoder) handle(ctx context.Context, m walMessage, out []sdk.SourceRecord) ([]sdk.SourceRecord, error) {
	msg, err := pglogrepl.Parse(m.data)
	if err != nil {
		return out, fmt.Errorf("decode pgoutput message at %s: %w", lsnString(m.start), err)
	}
	switch msg := msg.(type) {
	case *pglogrepl.BeginMessage:
		d.cur = &txn{xid: msg.Xid, commitLSN: uint64(msg.FinalLSN), commitTime: msg.CommitTime}
	case *pglogrepl.CommitMessage:
		out = d.release(out, uint64(msg.TransactionEndLSN))
		d.lastEnd, d.lastCommit = uint64(msg.TransactionEndLSN), uint64(msg.CommitLSN)
		d.cur = nil
	case *pglogrepl.RelationMessage:
		if !d.t.cfg.Filter.table(msg.Namespace, msg.RelationName) {
			d.rels[msg.RelationID] = nil
			return out, nil
		}
		tb, err := d.t.cat.fromRelation(ctx, msg)
		if err != nil {
			return out, err
		}
		d.rels[msg.RelationID] = tb
	case *pglogrepl.InsertMessage:
		return d.change(out, m.start, msg.RelationID, "c", 0, nil, msg.Tuple)
	case *pglogrepl.UpdateMessage:
		return d.change(out, m.start, msg.RelationID, "u", msg.OldTupleType, msg.OldTuple, msg.NewTuple)
	case *pglogrepl.DeleteMessage:
		return d.change(out, m.start, msg.RelationID, "d", msg.OldTupleType, msg.OldTuple, nil)
	case *pglogrepl.TruncateMessage:
		if d.cur != nil {
			d.cur.events++
		}
		d.t.log.Warn("TRUNCATE is not captured (Debezium's skipped.operations default skips it too); the tables' topics keep their rows", "relations", len(msg.RelationIDs))
	}
	return out, nil
}

func cellsOf(td *pglogrepl.TupleData) []cell {
	if td == nil {
		return nil
	}
	cells := make([]cell, len(td.Columns))
	for i, c := range td.Columns {
		switch c.DataType {
		case pglogrepl.TupleDataTypeNull:
			cells[i].null = true
		case pglogrepl.TupleDataTypeToast:
			cells[i].unchanged = true
		default:
			cells[i].text = string(c.Data)
		}
	}
	return cells
}

var messageTypes = map[string]string{"c": "INSERT", "u": "UPDATE", "d": "DELETE"}

// change makes the records of one row change: c and u are one record, d a delete and
// (with tombstones.on.delete) a tombstone; an update that changes the key is a delete of
// the old key, its tombstone and a create of the new one, as Debezium emits it.
func (d *decoder) change(out []sdk.SourceRecord, lsn uint64, rel uint32, op string, oldType uint8, oldTD, newTD *pglogrepl.TupleData) ([]sdk.SourceRecord, error) {
	if d.cur == nil {
		return out, fmt.Errorf("a change at %s outside a transaction", lsnString(lsn))
	}
	d.cur.events++
	tb, known := d.rels[rel]
	if !known {
		return out, fmt.Errorf("a change at %s of relation %d the server never described", lsnString(lsn), rel)
	}
	if tb == nil {
		return out, nil
	}
	if d.t.pos.replayed(d.cur.commitLSN, d.cur.events) {
		return out, nil // the kernel committed it before the task restarted
	}
	out = d.release(out, d.lastEnd)

	oldCells, newCells := cellsOf(oldTD), cellsOf(newTD)
	var before, after, oldKey, newKey *data.Struct
	var err error
	if oldCells != nil {
		if oldKey, err = tb.keyStruct(oldCells); err != nil {
			return out, err
		}
		// The old row is all there only under REPLICA IDENTITY FULL ('O'); a key-only
		// old tuple ('K') makes a before of the key and fallbacks, as Debezium does, for
		// deletes, and no before for updates.
		if oldTD != nil && (op == "d" || oldType == 'O') {
			if before, err = tb.rowStruct(oldCells); err != nil {
				return out, err
			}
		}
	}
	if newCells != nil {
		if after, err = tb.rowStruct(newCells); err != nil {
			return out, err
		}
		if newKey, err = tb.keyStruct(newCells); err != nil {
			return out, err
		}
	}
	now := time.Now()
	src := sourceInfo{server: d.t.cfg.Prefix, db: d.t.cfg.DBName, tsMs: d.cur.commitTime.UnixMilli(), snapshot: snapFalse,
		lastCommitLSN: d.lastCommit, lsn: lsn, txID: int64(d.cur.xid), hasTx: true, schema: tb.Schema, table: tb.Name}
	source := src.build()
	d.heldOff = map[string]any{
		offLSN: int64(lsn), offLSNProc: int64(lsn), offLSNCommit: int64(d.cur.commitLSN), offTxID: int64(d.cur.xid),
		offTsUsec: d.cur.commitTime.UnixMicro(), offMessageType: messageTypes[op], offEvent: d.cur.events,
	}
	switch {
	case op == "u" && oldKey != nil && newKey != nil && !sameValues(oldKey, newKey):
		d.held = append(d.held, d.t.record(tb, oldKey, newEnvelope(tb, before, nil, source, "d", now), sdk.Offset{}, now))
		if d.t.cfg.Tombstones {
			d.held = append(d.held, d.t.tombstone(tb, oldKey, now))
		}
		d.held = append(d.held, d.t.record(tb, newKey, newEnvelope(tb, nil, after, source, "c", now), sdk.Offset{}, now))
	case op == "d":
		d.held = append(d.held, d.t.record(tb, oldKey, newEnvelope(tb, before, nil, source, "d", now), sdk.Offset{}, now))
		if d.t.cfg.Tombstones {
			d.held = append(d.held, d.t.tombstone(tb, oldKey, now))
		}
	default:
		d.held = append(d.held, d.t.record(tb, newKey, newEnvelope(tb, before, after, source, op, now), sdk.Offset{}, now))
	}
	return out, nil
}

// release hands out the held records with flush as the position their offset lets the
// slot confirm.
func (d *decoder) release(out []sdk.SourceRecord, flush uint64) []sdk.SourceRecord {
	if len(d.held) == 0 {
		return out
	}
	d.heldOff[offFlush] = int64(flush)
	off := sdk.OffsetOf(d.heldOff)
	for i := range d.held {
		d.held[i].SourceOffset = off
	}
	out = append(out, d.held...)
	d.held, d.heldOff = d.held[:0:0], nil
	return out
}

// sameValues reports whether two key structs of one schema hold equal values.
func sameValues(a, b *data.Struct) bool {
	for i := range a.Schema().Fields {
		if fmt.Sprint(a.At(i)) != fmt.Sprint(b.At(i)) {
			return false
		}
	}
	return true
}

// newEnvelope builds a change event value.
func newEnvelope(tb *table, before, after, source *data.Struct, op string, now time.Time) *data.Struct {
	return data.NewStruct(tb.envSchema).PutAt(0, orNil(before)).PutAt(1, orNil(after)).PutAt(2, source).PutAt(3, op).PutAt(4, now.UnixMilli())
}

// orNil returns s as a field value: nil, not a nil *data.Struct, when absent.
func orNil(s *data.Struct) any {
	if s == nil {
		return nil
	}
	return s
}
