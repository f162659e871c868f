package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// walMessage is one pgoutput message as the server sent it.
type walMessage struct {
	start uint64 // the WAL position of the change
	data  []byte // the pgoutput message, owned by the receiver
}

// replicationReader owns the replication connection once streaming starts: it reads
// the copy stream into a bounded channel, answers keepalives, and reports the flush
// position [replicationReader.confirm] was given to the server, never a position the
// kernel has not committed. It is the only goroutine that touches the connection.
type replicationReader struct {
	conn     *pgconn.PgConn
	log      hclog.Logger
	interval time.Duration // between status updates

	messages chan walMessage
	done     chan struct{} // closed when run returns
	err      error         // why run returned; read after done

	flush   atomic.Uint64 // highest position the kernel committed
	walEnd  atomic.Uint64 // the server's sent position from its last keepalive
	kick    chan struct{} // a new flush position to send now
	cancel  context.CancelFunc
	flushed uint64 // last flush position sent (run's own)
}

// startReplication starts streaming slot from lsn and returns the running reader.
func startReplication(ctx context.Context, conn *pgconn.PgConn, slot, publication string, lsn uint64, interval time.Duration, log hclog.Logger) (*replicationReader, error) {
	args := []string{"proto_version '1'", "publication_names '" + publication + "'"}
	if err := pglogrepl.StartReplication(ctx, conn, slot, pglogrepl.LSN(lsn), pglogrepl.StartReplicationOptions{PluginArgs: args}); err != nil {
		return nil, fmt.Errorf("start replication on slot %q at %s: %w", slot, pglogrepl.LSN(lsn), err)
	}
	r := &replicationReader{conn: conn, log: log, interval: interval,
		messages: make(chan walMessage, 4096), done: make(chan struct{}), kick: make(chan struct{}, 1)}
	r.flush.Store(lsn)
	var rctx context.Context
	rctx, r.cancel = context.WithCancel(context.Background())
	go r.run(rctx)
	return r, nil
}

// confirm records that the kernel committed everything up to lsn.
func (r *replicationReader) confirm(lsn uint64) {
	for {
		old := r.flush.Load()
		if lsn <= old {
			return
		}
		if r.flush.CompareAndSwap(old, lsn) {
			break
		}
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// stop ends the reader and waits for it.
func (r *replicationReader) stop() {
	r.cancel()
	<-r.done
}

// receiveWait bounds one wait for a message, so a new flush position goes out promptly.
const receiveWait = 200 * time.Millisecond

func (r *replicationReader) run(ctx context.Context) {
	defer close(r.done)
	next := time.Now().Add(r.interval)
	var win receiveWindow
	defer win.stop()
	for {
		if err := ctx.Err(); err != nil {
			r.err = err
			return
		}
		select {
		case <-r.kick:
			next = time.Time{}
		default:
		}
		if !time.Now().Before(next) {
			if err := r.sendStatus(ctx); err != nil {
				r.err = err
				return
			}
			next = time.Now().Add(r.interval)
		}
		msg, err := r.conn.ReceiveMessage(win.context(ctx))
		if err != nil {
			if pgconn.Timeout(err) && ctx.Err() == nil {
				continue
			}
			r.err = fmt.Errorf("replication stream: %w", err)
			return
		}
		switch msg := msg.(type) {
		case *pgproto3.ErrorResponse:
			r.err = fmt.Errorf("replication stream: %w", pgconn.ErrorResponseToPgError(msg))
			return
		case *pgproto3.CopyData:
			if len(msg.Data) == 0 {
				continue
			}
			switch msg.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(msg.Data[1:])
				if err != nil {
					r.err = fmt.Errorf("replication keepalive: %w", err)
					return
				}
				r.walEnd.Store(uint64(ka.ServerWALEnd))
				if ka.ReplyRequested {
					next = time.Time{}
				}
			case pglogrepl.XLogDataByteID:
				x, err := pglogrepl.ParseXLogData(msg.Data[1:])
				if err != nil {
					r.err = fmt.Errorf("replication data: %w", err)
					return
				}
				m := walMessage{start: uint64(x.WALStart), data: append([]byte(nil), x.WALData...)}
				if !r.deliver(ctx, m, &next) {
					return
				}
			}
		}
	}
}

// receiveWindow bounds receives to receiveWait each, with one context per window of
// receiveWait rather than one (and a timer) per message: a receive waits at most until
// its window ends.
type receiveWindow struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (w *receiveWindow) context(parent context.Context) context.Context {
	if w.ctx == nil || w.ctx.Err() != nil {
		w.stop()
		w.ctx, w.cancel = context.WithTimeout(parent, receiveWait)
	}
	return w.ctx
}

func (w *receiveWindow) stop() {
	if w.cancel != nil {
		w.cancel()
	}
}

// deliver hands m to the task, answering the server while the channel is full.
func (r *replicationReader) deliver(ctx context.Context, m walMessage, next *time.Time) bool {
	for {
		select {
		case r.messages <- m:
			return true
		case <-ctx.Done():
			r.err = ctx.Err()
			return false
		case <-time.After(time.Until(*next)):
			if err := r.sendStatus(ctx); err != nil {
				r.err = err
				return false
			}
			*next = time.Now().Add(r.interval)
		}
	}
}

func (r *replicationReader) sendStatus(ctx context.Context) error {
	lsn := pglogrepl.LSN(r.flush.Load())
	err := pglogrepl.SendStandbyStatusUpdate(ctx, r.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: lsn, WALFlushPosition: lsn, WALApplyPosition: lsn})
	if err != nil {
		return fmt.Errorf("send standby status: %w", err)
	}
	if uint64(lsn) != r.flushed {
		r.flushed = uint64(lsn)
		r.log.Debug("confirmed flush position", "lsn", lsn.String())
	}
	return nil
}

// failure returns why the reader stopped, once it has.
func (r *replicationReader) failure() error {
	select {
	case <-r.done:
		if r.err == nil || errors.Is(r.err, context.Canceled) {
			return errors.New("replication stream ended")
		}
		return r.err
	default:
		return nil
	}
}
