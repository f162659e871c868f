package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/redis/go-redis/v9"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// writer sends a batch's commands to Redis as one pipeline (in MULTI/EXEC with
// redis.multiexec), waits for replicas with redis.wait.replicas, and retries through
// connection losses. It returns only when every command was applied, or with the error
// that stops it: a retriable one for an outage, a plain one naming the record Redis
// refused.
type writer struct {
	c       redis.UniversalClient
	cfg     *config
	log     hclog.Logger
	typeKey string // redis.type or redis.command, for the module refusal

	cmds  []redis.Cmder
	owner []int // owner[i] is the index in ops of cmds[i]
}

// backoff bounds between attempts of one batch.
const (
	firstBackoff = 50 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

// write applies ops; records are the batch they come from, for messages. In a cluster a
// transaction cannot span hash slots (CROSSSLOT), so with redis.multiexec there each
// slot's commands are one MULTI/EXEC, in the order of their first record.
func (w *writer) write(ctx context.Context, ops []op, records []sdk.SinkRecord) error {
	if len(ops) == 0 {
		return nil
	}
	if !w.cfg.cluster || !w.cfg.multiExec {
		return w.writeAll(ctx, ops, records)
	}
	for _, group := range bySlot(ops) {
		if err := w.writeAll(ctx, group, records); err != nil {
			return err
		}
	}
	return nil
}

// bySlot splits ops by the cluster hash slot of their keys, keeping their order.
func bySlot(ops []op) [][]op {
	index := map[uint16]int{}
	var groups [][]op
	for _, o := range ops {
		s := slot(o.key)
		i, ok := index[s]
		if !ok {
			i = len(groups)
			index[s] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], o)
	}
	return groups
}

// slot is a key's Redis Cluster hash slot: CRC16 (XMODEM) of the key, or of its hash tag
// (the part between the first { and the next }, when not empty), modulo 16384.
func slot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}

// writeAll applies ops as one pipeline (or transaction), retrying through outages.
func (w *writer) writeAll(ctx context.Context, ops []op, records []sdk.SinkRecord) error {
	defer clear(w.cmds) // the commands refer to the batch's memory
	deadline := time.Now().Add(w.cfg.opTimeout)
	start := 0
	wait := firstBackoff
	for attempt := 1; ; attempt++ {
		failed, err := w.attempt(ctx, ops[start:])
		if err == nil {
			return nil
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return ctx.Err()
		}
		at := -1
		if failed >= 0 {
			at = start + failed
		}
		if !isOutage(err) {
			if at < 0 {
				return fmt.Errorf("redis: %w", err)
			}
			return w.refused(&records[ops[at].rec], ops[at], err)
		}
		if at >= 0 && !w.cfg.multiExec {
			start = at // the commands before it were applied: resend from it, in order
		}
		if time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			return retriable("writing %d commands to %s still failing after %d attempts within %s: %v", len(ops)-start, w.cfg.display, attempt, w.cfg.opTimeout, err)
		}
		w.log.Warn("redis write failed; retrying", "attempt", attempt, "pending", len(ops)-start, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return retriable("writing to %s: %v", w.cfg.display, err)
		}
		wait = min(2*wait, maxBackoff)
	}
}

// attempt sends ops once. It returns the index in ops of the first command that failed
// (-1 when no command did, e.g. WAIT fell short) and its error.
func (w *writer) attempt(ctx context.Context, ops []op) (int, error) {
	w.cmds, w.owner = w.cmds[:0], w.owner[:0]
	queue := func(p redis.Pipeliner) {
		for i := range ops {
			w.cmds = append(w.cmds, p.Do(ctx, ops[i].args...))
			w.owner = append(w.owner, i)
			if ops[i].ttl > 0 {
				w.cmds = append(w.cmds, p.Expire(ctx, ops[i].key, time.Duration(ops[i].ttl)*time.Second))
				w.owner = append(w.owner, i)
			}
		}
	}
	var waitCmd *redis.Cmd
	waitArgs := []any{"WAIT", w.cfg.waitReplicas, w.cfg.waitTimeout.Milliseconds()}
	var execErr error
	switch {
	case w.cfg.waitReplicas > 0 && w.cfg.multiExec:
		// WAIT counts the replicas that have this connection's writes: run it on the
		// connection of the transaction, after EXEC.
		cl, ok := w.c.(*redis.Client)
		if !ok {
			return -1, errors.New("redis.wait.replicas with redis.multiexec needs a standalone server")
		}
		execErr = cl.Watch(ctx, func(tx *redis.Tx) error {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { queue(p); return nil })
			if err != nil {
				return err
			}
			waitCmd = tx.Do(ctx, waitArgs...)
			return waitCmd.Err()
		})
	case w.cfg.multiExec:
		_, execErr = w.c.TxPipelined(ctx, func(p redis.Pipeliner) error { queue(p); return nil })
	default:
		p := w.c.Pipeline()
		queue(p)
		if w.cfg.waitReplicas > 0 {
			waitCmd = p.Do(ctx, waitArgs...)
		}
		_, execErr = p.Exec(ctx)
	}
	for i, cmd := range w.cmds {
		if err := cmd.Err(); err != nil && !isExecAbort(err) {
			return w.owner[i], err
		}
	}
	for i, cmd := range w.cmds {
		if err := cmd.Err(); err != nil {
			return w.owner[i], err
		}
	}
	if waitCmd != nil {
		if err := waitCmd.Err(); err != nil {
			return -1, err
		}
		if n, err := waitCmd.Int64(); err != nil || n < int64(w.cfg.waitReplicas) {
			return -1, &replicaError{got: n, want: w.cfg.waitReplicas, timeout: w.cfg.waitTimeout}
		}
	}
	if execErr != nil {
		return -1, execErr
	}
	return -1, nil
}

// refused is the error of a command Redis refused for its record.
func (w *writer) refused(r *sdk.SinkRecord, o op, err error) error {
	cmd, _ := o.args[0].(string)
	if isUnknownCommand(err) {
		if _, c := moduleFor(w.cfg.kind); c != "" && strings.EqualFold(cmd, c) {
			return fmt.Errorf("redis: %w", errNoModule(w.cfg, w.typeKey))
		}
	}
	return fmt.Errorf("redis: %w", &recordError{rec: r, msg: fmt.Sprintf("%s %s refused: %v", cmd, o.key, err)})
}

// replicaError is a WAIT that fewer replicas acknowledged than redis.wait.replicas asks.
type replicaError struct {
	got     int64
	want    int
	timeout time.Duration
}

func (e *replicaError) Error() string {
	return fmt.Sprintf("WAIT: %d of the %d replicas (%s) acknowledged the writes within %s (%s)",
		e.got, e.want, keyWaitReplicas, e.timeout, keyWaitTimeout)
}

// outagePrefixes are the Redis error replies that say the server cannot take writes
// now, not that a record is wrong: retried, never blamed on a record.
var outagePrefixes = []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY",
	"OOM", "NOREPLICAS", "NOAUTH", "WRONGPASS", "NOPERM", "MOVED", "ASK", "ERR max number of clients"}

// isOutage reports whether err means Redis (or the way to it) is down, busy or failing
// over, so the same commands may succeed later: connection errors, timeouts, the
// replies above, and too few replicas for WAIT.
func isOutage(err error) bool {
	var re *replicaError
	if errors.As(err, &re) {
		return true
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // not a reply: the connection, a timeout, the pool
	}
	msg := rerr.Error()
	for _, p := range outagePrefixes {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// isExecAbort reports whether err is EXEC's refusal of a transaction because another of
// its commands was refused when queued; that command's own error says why.
func isExecAbort(err error) bool { return strings.HasPrefix(err.Error(), "EXECABORT") }
