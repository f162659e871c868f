"""tributary-pycounter: an example Tributary connector plugin written in Python.

py-counter-source  emits numbered string records ("1", "2", …) to a topic. Each task
                   counts on its own source partition {"counter": N}; the offset of record
                   n is {"n": n}, so a restarted task resumes after the last committed one.
py-log-sink        appends each record's value, one line each, to a file, and reports the
                   offsets it has written and fsynced on flush.
"""

import datetime
import os
import time

from tributary_sdk import (HIGH, LONG, MEDIUM, SINK, SOURCE, STRING, ConfigDef, ConfigError, Connector,
                           Offset, Partition, SinkTask, SourceRecord, SourceTask, TaskError, data, serve)

VERSION = "0.1.0"
# COUNTER_ID is the key task_configs adds to tell the tasks of one connector apart.
COUNTER_ID = "counter.id"


class PyCounterSource(Connector):
    name = "py-counter-source"
    type = SOURCE
    version = VERSION
    description = "Emits numbered string records; an example connector written in Python."
    config_def = (
        ConfigDef()
        .define("topic", STRING, HIGH, "Topic to write the records to.", required=True)
        .define("count", LONG, MEDIUM,
                "How many records each task emits before going quiet; 0 means without end.",
                default=0, at_least=0)
        .define("interval.ms", LONG, MEDIUM,
                "Pause between two records, in milliseconds; 0 emits as fast as the kernel polls.",
                default=1000, at_least=0)
    )

    def task_configs(self, cfg, max_tasks):
        # One counter per task, each with its own source partition.
        return [{**cfg, COUNTER_ID: str(i)} for i in range(max_tasks)]

    def new_source_task(self):
        return CounterTask()


class CounterTask(SourceTask):
    def open(self, ctx):
        cfg = ctx.config
        self.log = ctx.log
        self.topic = cfg.string("topic")
        self.count = cfg.int("count")
        self.interval = cfg.int("interval.ms") / 1000.0
        counter = cfg.int(COUNTER_ID) if COUNTER_ID in cfg else 0
        if counter < 0:
            raise ConfigError(COUNTER_ID, "must not be negative")
        # One Partition object for all the task's records: the SDK encodes it once a batch.
        self.partition = Partition(counter=counter)
        self.next = 1
        committed = ctx.offset(self.partition)
        if committed is not None:
            n = committed.int("n")
            if n is None or n < 0:
                raise TaskError(f"py-counter-source: committed offset {dict(committed)} of counter {counter} has no valid n")
            self.next = n + 1
        self.due = time.monotonic()
        self.log.info("counting", extra={"topic": self.topic, "counter": counter, "from": self.next})

    def _exhausted(self):
        return self.count and self.next > self.count

    def poll(self, ctx):
        out = []
        limit = ctx.max_records or 1000
        while len(out) < limit and not self._exhausted():
            now = time.monotonic()
            if self.due > now:
                if out or not ctx.wait(self.due - now):
                    return out  # hand over what is ready, or the poll has ended
                continue
            out.append(self._record(self.next))
            self.next += 1
            if self.interval > 0:
                # Fall behind by at most one record when the kernel polls late.
                self.due = max(self.due + self.interval, now)
        if not out and self._exhausted():
            ctx.wait(ctx.remaining())  # nothing more, ever: an empty poll
        return out

    def _record(self, n):
        return SourceRecord(
            source_partition=self.partition,
            source_offset=Offset(n=n),
            topic=self.topic,  # kafka_partition None: the producer's partitioner chooses
            value=str(n),
            value_schema=data.STRING_SCHEMA,
            timestamp=datetime.datetime.now(datetime.timezone.utc),
        )

    def commit(self, offsets):
        for o in offsets:
            if o.partition == self.partition:
                self.log.debug("committed", extra={"offset": dict(o.offset)})

    def close(self):
        if hasattr(self, "log"):
            self.log.info("stopped counting", extra={"next": self.next})


class PyLogSink(Connector):
    name = "py-log-sink"
    type = SINK
    version = VERSION
    description = "Appends each record's value as a line to a file; an example connector written in Python."
    config_def = ConfigDef().define(
        "file", STRING, HIGH, "Path of the file to append the records to.", required=True)

    def validate(self, cfg):
        d = os.path.dirname(os.path.abspath(cfg.string("file")))
        if not os.path.isdir(d):
            return [ConfigError("file", f"directory {d} does not exist")]
        return []

    def new_sink_task(self):
        return LogSinkTask()


class LogSinkTask(SinkTask):
    f = None

    def open(self, ctx, partitions):
        self.log = ctx.log
        self.path = ctx.config.string("file")
        self.lines = []
        try:
            self.f = open(self.path, "a", encoding="utf-8")
        except OSError as e:
            raise TaskError(f"py-log-sink: open {self.path}: {e.strerror}") from None

    def put(self, records):
        for r in records:
            self.lines.append(data.to_text(r.value).replace("\n", "\\n") + "\n")

    def _write(self):
        if self.lines:
            self.f.writelines(self.lines)
            self.lines = []
        self.f.flush()
        os.fsync(self.f.fileno())

    def flush(self, offsets):
        try:
            self._write()
        except OSError as e:
            raise TaskError(f"py-log-sink: write {self.path}: {e.strerror}") from None
        # Everything put so far is on disk: all of offsets is durable.
        return offsets

    def close(self):
        if self.f is not None:
            try:
                self._write()  # records put since the last flush are not lost on a clean stop
            finally:
                self.f.close()


def main():
    serve(PyCounterSource(), PyLogSink(), name="tributary-pycounter")


if __name__ == "__main__":
    main()
