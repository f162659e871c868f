package main

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// task is a source task: one poller goroutine per entity sends each request in turn
// and hands its records to Poll, so that a slow API never holds Poll past the kernel's
// timeout and an entity's records stay in order.
type task struct {
	s       *settings
	log     hclog.Logger
	batches chan batch
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// batch is one response's records, or the error that ends the task.
type batch struct {
	recs []sdk.SourceRecord
	err  error
}

func (t *task) Open(_ context.Context, tc sdk.TaskContext) error {
	parse := parseConfluent
	if isCastorm(tc.Class) {
		parse = parseCastorm
	}
	s, errs := parse(tc.Config)
	if len(errs) > 0 {
		return sdk.ConfigErrors(errs)
	}
	t.s, t.log = s, tc.Logger
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	c, err := newClient(s, t.log)
	if err != nil {
		return err
	}
	var entities []*entity
	for _, name := range s.entities {
		e, err := newEntity(s, name, tc.Offset)
		if err != nil {
			return err
		}
		entities = append(entities, e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.batches = make(chan batch)
	for _, e := range entities {
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.pollEntity(ctx, c, e)
		}()
	}
	return nil
}

// pollEntity requests e's data at once, then every interval, until the task closes or a
// request fails for good.
func (t *task) pollEntity(ctx context.Context, c *client, e *entity) {
	for {
		req := e.request()
		res, err := c.do(ctx, req)
		var recs []sdk.SourceRecord
		if err == nil {
			recs, err = e.records(req, res)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil || len(recs) > 0 {
			select {
			case t.batches <- batch{recs, err}:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			return
		}
		wait := t.s.interval
		if t.s.castorm && len(recs) > 0 {
			wait = t.s.catchup
		}
		if sleep(ctx, wait) != nil {
			return
		}
	}
}

// Poll returns the records of the responses that have come, waiting for one until ctx
// ends.
func (t *task) Poll(ctx context.Context) ([]sdk.SourceRecord, error) {
	var out []sdk.SourceRecord
	select {
	case b := <-t.batches:
		if b.err != nil {
			return nil, b.err
		}
		out = b.recs
	case <-ctx.Done():
		return nil, nil
	}
	for { // and whatever else is ready, without waiting
		select {
		case b := <-t.batches:
			if b.err != nil {
				return nil, b.err
			}
			out = append(out, b.recs...)
		default:
			return out, nil
		}
	}
}

// Commit does nothing: the entities' positions live in the kernel's offsets.
func (t *task) Commit(context.Context, []sdk.CommittedOffset) error { return nil }

// Close stops the pollers, cancelling requests in flight.
func (t *task) Close() error {
	if t.cancel != nil {
		t.cancel()
		done := make(chan struct{})
		go func() { t.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.log.Warn("pollers did not stop within 5s of close")
		}
	}
	return nil
}
