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

	// What every event of the transaction carries, boxed once: xid, commitLSN,
	// commitTime in milliseconds and in microseconds.
	xidValue, commitLSNValue, tsMsValue, tsUsecValue any
}

func newTxn(b *pglogrepl.BeginMessage) *txn {
	x := &txn{xid: b.Xid, commitLSN: uint64(b.FinalLSN), commitTime: b.CommitTime}
	x.xidValue, x.commitLSNValue = int64(x.xid), int64(x.commitLSN)
	x.tsMsValue, x.tsUsecValue = x.commitTime.UnixMilli(), x.commitTime.UnixMicro()
	return x
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
	vals       []any  // a row's column values, by attribute (table.structs)
	lastEnd    uint64 // end LSN of the last transaction fully decoded
	lastCommit uint64 // commit LSN of the last transaction fully decoded
}

func newDecoder(t *task, start uint64) *decoder {
	return &decoder{t: t, rels: map[uint32]*table{}, lastEnd: start}
}

// idle reports whether no transaction is being decoded and nothing is held back.
func (d *decoder) idle() bool { return d.cur == nil && len(d.held) == 0 }

// catalogTimeout bounds the catalog lookup a relation message needs.
const catalogTimeout = time.Minute

// handle decodes one message, appending finished records to out. An error is final: the
// message is consumed, so the task must fail rather than poll on.
func (d *decoder) handle(ctx context.Context, m walMessage, out []sdk.SourceRecord) ([]sdk.SourceRecord, error) {
	if len(m.data) > 0 && (m.data[0] == 'I' || m.data[0] == 'U' || m.data[0] == 'D') {
		ch, err := parseRowChange(m.data)
		if err != nil {
			return out, fmt.Errorf("decode pgoutput message at %s: %w", lsnString(m.start), err)
		}
		return d.change(out, m.start, ch)
	}
	msg, err := pglogrepl.Parse(m.data)
	if err != nil {
		return out, fmt.Errorf("decode pgoutput message at %s: %w", lsnString(m.start), err)
	}
	switch msg := msg.(type) {
	case *pglogrepl.BeginMessage:
		d.cur = newTxn(msg)
	case *pglogrepl.CommitMessage:
		out = d.release(out, uint64(msg.TransactionEndLSN))
		d.lastEnd, d.lastCommit = uint64(msg.TransactionEndLSN), uint64(msg.CommitLSN)
		d.cur = nil
	case *pglogrepl.RelationMessage:
		if !d.t.cfg.Filter.table(msg.Namespace, msg.RelationName) {
			d.rels[msg.RelationID] = nil
			return out, nil
		}
		// The catalog lookup is not bounded by the poll: a poll that ends while it runs
		// would otherwise turn it into an empty poll, and the relation message, already
		// taken from the stream, would be lost ("a change … the server never described").
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), catalogTimeout)
		tb, err := d.t.cat.fromRelation(rctx, msg)
		cancel()
		if err != nil {
			return out, err
		}
		d.rels[msg.RelationID] = tb
	case *pglogrepl.TruncateMessage:
		if d.cur != nil {
			d.cur.events++
		}
		d.t.log.Warn("TRUNCATE is not captured (Debezium's skipped.operations default skips it too); the tables' topics keep their rows", "relations", len(msg.RelationIDs))
	}
	return out, nil
}

// rowChange is a pgoutput Insert, Update or Delete message.
type rowChange struct {
	rel      uint32
	op       string // c, u or d
	oldType  uint8  // K (the key columns) or O (the whole row) when old is set
	old, new []cell
	hasOld   bool
	hasNew   bool
}

// parseRowChange parses an Insert ('I'), Update ('U') or Delete ('D') message of
// pgoutput's protocol version 1. The cells' text shares one copy of data.
func parseRowChange(data []byte) (rowChange, error) {
	var ch rowChange
	if len(data) < 6 {
		return ch, fmt.Errorf("%c message of %d bytes is too short", data[0], len(data))
	}
	ch.rel = uint32(data[1])<<24 | uint32(data[2])<<16 | uint32(data[3])<<8 | uint32(data[4])
	text := string(data)
	p := 5
	next := func() byte {
		if p >= len(text) {
			return 0
		}
		p++
		return text[p-1]
	}
	var err error
	switch kind := data[0]; kind {
	case 'I':
		ch.op = "c"
		if t := next(); t != 'N' {
			return ch, fmt.Errorf("insert message: tuple type %q, expected N", t)
		}
		ch.new, p, err = parseTuple(text, p)
		ch.hasNew = true
	case 'U':
		ch.op = "u"
		t := next()
		if t == 'K' || t == 'O' {
			ch.oldType, ch.hasOld = t, true
			if ch.old, p, err = parseTuple(text, p); err != nil {
				return ch, fmt.Errorf("update message: old tuple: %w", err)
			}
			t = next()
		}
		if t != 'N' {
			return ch, fmt.Errorf("update message: tuple type %q, expected K, O or N", t)
		}
		ch.new, p, err = parseTuple(text, p)
		ch.hasNew = true
	case 'D':
		ch.op = "d"
		t := next()
		if t != 'K' && t != 'O' {
			return ch, fmt.Errorf("delete message: tuple type %q, expected K or O", t)
		}
		ch.oldType, ch.hasOld = t, true
		ch.old, p, err = parseTuple(text, p)
	}
	if err != nil {
		return ch, fmt.Errorf("%s message: %w", messageTypes[ch.op], err)
	}
	return ch, nil
}

// parseTuple parses the TupleData at text[p:]: the number of columns, then each as n
// (null), u (an unchanged TOASTed value) or t/b and a length-prefixed value.
func parseTuple(text string, p int) ([]cell, int, error) {
	if p+2 > len(text) {
		return nil, p, fmt.Errorf("tuple data cut short")
	}
	n := int(text[p])<<8 | int(text[p+1])
	p += 2
	cells := make([]cell, n)
	for i := range cells {
		if p >= len(text) {
			return nil, p, fmt.Errorf("tuple data cut short at column %d of %d", i+1, n)
		}
		kind := text[p]
		p++
		switch kind {
		case pglogrepl.TupleDataTypeNull:
			cells[i].null = true
		case pglogrepl.TupleDataTypeToast:
			cells[i].unchanged = true
		case pglogrepl.TupleDataTypeText, pglogrepl.TupleDataTypeBinary:
			if p+4 > len(text) {
				return nil, p, fmt.Errorf("tuple data cut short at column %d of %d", i+1, n)
			}
			l := int(uint32(text[p])<<24 | uint32(text[p+1])<<16 | uint32(text[p+2])<<8 | uint32(text[p+3]))
			p += 4
			if l > len(text)-p {
				return nil, p, fmt.Errorf("column %d of %d claims %d bytes, %d are left", i+1, n, l, len(text)-p)
			}
			cells[i].text = text[p : p+l]
			p += l
		default:
			return nil, p, fmt.Errorf("column %d of %d: unknown kind %q", i+1, n, kind)
		}
	}
	return cells, p, nil
}

var messageTypes = map[string]any{"c": "INSERT", "u": "UPDATE", "d": "DELETE"}

// change makes the records of one row change: c and u are one record, d a delete and
// (with tombstones.on.delete) a tombstone; an update that changes the key is a delete of
// the old key, its tombstone and a create of the new one, as Debezium emits it.
func (d *decoder) change(out []sdk.SourceRecord, lsn uint64, ch rowChange) ([]sdk.SourceRecord, error) {
	if d.cur == nil {
		return out, fmt.Errorf("a change at %s outside a transaction", lsnString(lsn))
	}
	d.cur.events++
	tb, known := d.rels[ch.rel]
	if !known {
		return out, fmt.Errorf("a change at %s of relation %d the server never described", lsnString(lsn), ch.rel)
	}
	if tb == nil {
		return out, nil
	}
	if d.t.pos.replayed(d.cur.commitLSN, d.cur.events) {
		return out, nil // the kernel committed it before the task restarted
	}
	out = d.release(out, d.lastEnd)

	op := ch.op
	var before, after, oldKey, newKey *data.Struct
	var err error
	if ch.hasOld {
		// The old row is all there only under REPLICA IDENTITY FULL ('O'); a key-only
		// old tuple ('K') makes a before of the key and fallbacks, as Debezium does, for
		// deletes, and no before for updates.
		wantBefore := op == "d" || ch.oldType == 'O'
		if before, oldKey, err = tb.structs(ch.old, wantBefore, &d.vals); err != nil {
			return out, err
		}
	}
	if ch.hasNew {
		if after, newKey, err = tb.structs(ch.new, true, &d.vals); err != nil {
			return out, err
		}
	}
	now := time.Now()
	lsnV, srcLSN := any(int64(lsn)), any(nil) // one box for the offset and the source block
	if lsn != 0 {
		srcLSN = lsnV
	}
	source := (&sourceInfo{tb: tb, tsMs: d.cur.tsMsValue, snapshot: snapFalse, sequence: sequence(d.lastCommit, lsn),
		txID: d.cur.xidValue, lsn: srcLSN}).build()
	d.heldOff = map[string]any{
		offLSN: lsnV, offLSNProc: lsnV, offLSNCommit: d.cur.commitLSNValue, offTxID: d.cur.xidValue,
		offTsUsec: d.cur.tsUsecValue, offMessageType: messageTypes[op], offEvent: d.cur.events,
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
	clear(d.held) // out has them; their backing array is reused
	d.held, d.heldOff = d.held[:0], nil
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
	return data.NewStruct(tb.envSchema).PutAt(0, orNil(before)).PutAt(1, orNil(after)).PutAt(2, source).PutAt(3, opValue(op)).PutAt(4, now.UnixMilli())
}

// opValue is op boxed without an allocation.
func opValue(op string) any {
	switch op {
	case "c":
		return "c"
	case "u":
		return "u"
	case "d":
		return "d"
	case "r":
		return "r"
	}
	return op
}

// orNil returns s as a field value: nil, not a nil *data.Struct, when absent.
func orNil(s *data.Struct) any {
	if s == nil {
		return nil
	}
	return s
}
