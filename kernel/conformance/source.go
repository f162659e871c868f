package conformance

import (
	"bytes"
	"encoding/json"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// polls is how many polls the kit makes waiting for a source's records.
const polls = 10

// source runs the source task checks on a task opened with cfg.
func (r *run) source(d *pluginv1.ConnectorDescriptor, cfg map[string]string) {
	h := r.handle()
	if !r.check("source.open", r.open(d, h, cfg, nil), "opened without offsets") {
		return
	}
	var polled []*pluginv1.Record
	maxOK := true
	for _, max := range []int32{1, 3} {
		recs, err := r.pollSome(h, max)
		if err != nil {
			r.add("source.poll.max-records", Fail, "%v", err)
			return
		}
		if len(recs) > int(max) {
			maxOK = r.add("source.poll.max-records", Fail, "asked for at most %d records, got %d", max, len(recs))
		}
		polled = append(polled, recs...)
	}
	switch {
	case len(polled) == 0:
		r.add("source.poll.max-records", Skip, "no records in %d polls; give a config that produces records", 2*polls)
	case maxOK:
		r.add("source.poll.max-records", Pass, "max_records 1 and 3 honoured")
	}
	polled = append(polled, r.pollIdle(h)...)
	r.recordOffsets(polled)
	r.recordValues(polled)

	committed := firstPerPartition(polled)
	ctx, cancel := r.call(0)
	_, err := r.c.Source.Commit(ctx, &pluginv1.CommitRequest{Handle: h, Offsets: committed})
	cancel()
	r.check("source.commit", err, "committed %d position(s)", len(committed))

	if !r.closeSource(h) {
		return
	}
	r.reopen(d, cfg, committed)
}

func (r *run) open(d *pluginv1.ConnectorDescriptor, h string, cfg map[string]string, offsets []*pluginv1.SourceOffset) error {
	ctx, cancel := r.call(0)
	defer cancel()
	_, err := r.c.Source.Open(ctx, &pluginv1.OpenSourceRequest{
		Task: &pluginv1.TaskRef{Handle: h, Connector: "conformance"}, ConnectorClass: d.GetName(), Config: cfg, Offsets: offsets})
	return err
}

func (r *run) poll(h string, max int32, timeout time.Duration) ([]*pluginv1.Record, error) {
	ctx, cancel := r.call(timeout)
	defer cancel()
	resp, err := r.c.Source.Poll(ctx, &pluginv1.PollRequest{Handle: h, MaxRecords: max, TimeoutMs: int32(timeout.Milliseconds())})
	return resp.GetRecords(), err
}

// pollSome polls until a batch has records, at most polls times.
func (r *run) pollSome(h string, max int32) ([]*pluginv1.Record, error) {
	for range polls {
		recs, err := r.poll(h, max, idlePoll)
		if err != nil || len(recs) > 0 {
			return recs, err
		}
	}
	return nil, nil
}

// pollIdle polls until a poll comes back empty; each poll must return within idleBound
// of its timeout. It returns the records it polled on the way.
func (r *run) pollIdle(h string) []*pluginv1.Record {
	var all []*pluginv1.Record
	for range 5 * polls {
		start := time.Now()
		recs, err := r.poll(h, 1000, idlePoll)
		took := time.Since(start)
		switch {
		case err != nil:
			r.add("source.poll.idle", Fail, "%v", err)
			return all
		case took > idleBound:
			r.add("source.poll.idle", Fail, "a poll with timeout %s took %s", idlePoll, took.Round(time.Millisecond))
			return all
		case len(recs) == 0:
			r.add("source.poll.idle", Pass, "an empty poll with timeout %s returned in %s", idlePoll, took.Round(time.Millisecond))
			return all
		}
		all = append(all, recs...)
	}
	r.add("source.poll.idle", Skip, "the source never ran out of records in %d polls; give a config that does (e.g. a count)", 5*polls)
	return all
}

// recordOffsets checks that every record's source partition and offset are JSON objects.
func (r *run) recordOffsets(recs []*pluginv1.Record) {
	if len(recs) == 0 {
		r.add("source.record.offsets", Skip, "no records polled")
		return
	}
	for i, rec := range recs {
		for name, b := range map[string][]byte{"source_partition": rec.GetSourcePartition(), "source_offset": rec.GetSourceOffset()} {
			var obj map[string]any
			if json.Unmarshal(b, &obj) != nil || obj == nil {
				r.add("source.record.offsets", Fail, "record %d: %s %q is not a JSON object", i, name, b)
				return
			}
		}
	}
	r.add("source.record.offsets", Pass, "%d records carry JSON source partitions and offsets", len(recs))
}

// firstPerPartition returns the position of the first record of each source partition.
func firstPerPartition(recs []*pluginv1.Record) []*pluginv1.SourceOffset {
	var out []*pluginv1.SourceOffset
	seen := map[string]bool{}
	for _, rec := range recs {
		if p := string(rec.GetSourcePartition()); !seen[p] {
			seen[p] = true
			out = append(out, &pluginv1.SourceOffset{Partition: rec.GetSourcePartition(), Offset: rec.GetSourceOffset()})
		}
	}
	return out
}

// closeSource closes h; a poll on it afterwards must fail with NotFound.
func (r *run) closeSource(h string) bool {
	ctx, cancel := r.call(0)
	_, err := r.c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: h})
	cancel()
	if err != nil {
		return r.add("source.close", Fail, "%v", err)
	}
	_, err = r.poll(h, 1, 0)
	if status.Code(err) != codes.NotFound {
		return r.add("source.close", Fail, "a poll on the closed task answered %v, want code NotFound", err)
	}
	return r.add("source.close", Pass, "a poll on the closed task fails NotFound")
}

// reopen opens a task at the committed positions; the first record it polls on each of
// those partitions must not carry the committed offset.
func (r *run) reopen(d *pluginv1.ConnectorDescriptor, cfg map[string]string, committed []*pluginv1.SourceOffset) {
	if len(committed) == 0 {
		r.add("source.reopen", Skip, "no records polled, so no position committed")
		return
	}
	h := r.handle()
	if err := r.open(d, h, cfg, committed); err != nil {
		r.add("source.reopen", Fail, "open with committed offsets: %v", err)
		return
	}
	defer r.closeQuietly(h)
	recs, err := r.pollSome(h, 1000)
	if err != nil {
		r.add("source.reopen", Fail, "poll: %v", err)
		return
	}
	seen := map[string]bool{}
	for _, rec := range recs {
		p := string(rec.GetSourcePartition())
		if seen[p] {
			continue
		}
		seen[p] = true
		for _, c := range committed {
			if string(c.GetPartition()) == p && bytes.Equal(c.GetOffset(), rec.GetSourceOffset()) {
				r.add("source.reopen", Fail, "reopened at %s %s, the first record re-delivers that committed offset", p, c.GetOffset())
				return
			}
		}
	}
	r.add("source.reopen", Pass, "reopened at %d committed position(s); polled %d record(s), none re-delivered", len(committed), len(recs))
}

func (r *run) closeQuietly(h string) {
	ctx, cancel := r.call(0)
	defer cancel()
	_, _ = r.c.Source.Close(ctx, &pluginv1.CloseRequest{Handle: h})
}
