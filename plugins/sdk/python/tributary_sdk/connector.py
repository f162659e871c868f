"""What a connector author implements, as the Go SDK's interfaces: a Connector per
connector class, and the SourceTask or SinkTask it creates. The SDK never calls one
task's methods concurrently, so a task needs no locking of its own; different tasks run
in parallel on gRPC's thread pool. Plain Python: no protobuf here."""

import enum
import logging
import time

from .config import ConfigDef
from .records import same_source_map


class ConnectorType(enum.IntEnum):
    """Whether a connector reads into Kafka or writes out of it. The values are the
    protocol's."""

    SOURCE = 1
    SINK = 2

    def __str__(self):
        return self.name.lower()


SOURCE = ConnectorType.SOURCE
SINK = ConnectorType.SINK


class TaskError(Exception):
    """An expected failure of a task, reported to the kernel with its message (the task
    turns FAILED with it). Any other exception is treated as a bug: it is reported too,
    with its type, and its traceback goes to the log."""


class Connector:
    """One connector class served by a plugin, as the Go SDK's Connector (its Definition
    is the class attributes). Set the attributes and override what you need; the defaults
    validate nothing beyond the config definition, run one task with the connector's
    config, and have no task of either kind. Its methods may be called concurrently:
    keep no state in the connector between them."""

    name = ""  # what users write in connector.class, e.g. "py-counter-source"
    type = SOURCE  # SOURCE or SINK
    version = "0.0.0"
    aliases = ()  # other accepted connector.class values, e.g. Kafka Connect class names
    description = ""  # one sentence for listings
    config_def = ConfigDef()

    def validate(self, cfg):
        """Checks cfg (a Config, defaults applied) beyond the generic checks the SDK
        already made against config_def (required keys, types, one_of, at_least);
        returns a list of ConfigError."""
        return []

    def task_configs(self, cfg, max_tasks):
        """Splits the connector's work into at most max_tasks task configs (dicts of
        strings). cfg has defaults applied and has passed validation."""
        return [dict(cfg)]

    def new_source_task(self):
        """A new, unopened SourceTask of a source connector."""
        raise NotImplementedError(f"{self.name} is not a source connector")

    def new_sink_task(self):
        """A new, unopened SinkTask of a sink connector."""
        raise NotImplementedError(f"{self.name} is not a sink connector")


class TaskContext:
    """Tells a task who it is and how it is configured."""

    def __init__(self, handle, connector, task, class_name, config, log, committed=()):
        self.handle = handle  # names the task in this plugin process; the kernel chose it
        self.connector = connector  # the connector instance's name, e.g. "orders"
        self.task = task  # the task's number within its connector
        self.class_name = class_name  # the connector.class the kernel asked for (name or alias)
        self.config = config  # a Config with defaults applied; it passed the generic checks
        self.log = log  # a logging.LoggerAdapter tagging lines with connector and task
        # committed: when a source task opens, the connector's committed source offsets
        # (CommittedOffset), also of partitions other tasks own; offset() looks one up.
        self.committed = list(committed)

    def offset(self, partition):
        """The last committed Offset of source partition partition (a dict, compared by
        content), as Kafka Connect's OffsetStorageReader.offset; None when there is none."""
        for c in self.committed:
            if same_source_map(c.partition, partition):
                return c.offset
        return None


class PollContext:
    """Bounds one poll: it ends at the kernel's poll timeout, when the task is closed, or
    when the kernel gives up on the call."""

    def __init__(self, timeout, stop, max_records):
        self.deadline = time.monotonic() + max(timeout, 0.0)
        self._stop = stop  # a threading.Event
        # max_records is the kernel's batch limit (0: none). Returning more is fine (the SDK
        # hands out the rest on the next polls); it is a hint for sizing batches.
        self.max_records = max_records

    def remaining(self):
        """Seconds until the poll times out (0 when it has)."""
        return max(self.deadline - time.monotonic(), 0.0)

    def done(self):
        """Whether the poll should return now."""
        return self._stop.is_set() or time.monotonic() >= self.deadline

    def wait(self, seconds):
        """Sleeps for seconds, or less if the poll ends first. Returns True if the full
        time passed and polling may go on, False if the poll should return now."""
        remaining = self.remaining()
        if self._stop.wait(min(max(seconds, 0.0), remaining)):
            return False
        return seconds <= remaining


class SourceTask:
    """Reads from an outside system, as the Go SDK's SourceTask."""

    def open(self, ctx):
        """Starts the task. ctx is its TaskContext; ctx.offset(partition) gives the
        committed position to resume from."""

    def poll(self, ctx):
        """Returns the next records, a list of SourceRecord; [] when nothing arrived before
        ctx (a PollContext) is done. Every record must carry its source_partition and
        source_offset. The SDK hands the kernel at most as many records as it asks for and
        keeps the rest for the next polls."""
        raise NotImplementedError

    def commit(self, offsets):
        """The kernel has durably committed these positions (a list of CommittedOffset);
        acknowledge them upstream if the outside system needs it."""

    def close(self):
        """Releases the task's resources. Called once, also after a failed open, and when
        the plugin stops."""


class SinkTask:
    """Writes records the kernel consumed from Kafka to an outside system, as the Go
    SDK's SinkTask."""

    def open(self, ctx, partitions):
        """Starts the task on the given Kafka partitions (a list of TopicPartition)."""

    def put(self, records):
        """Takes a batch of SinkRecord; it may buffer them."""
        raise NotImplementedError

    def flush(self, offsets):
        """Makes everything put so far durable and returns the offsets (a dict of
        TopicPartition to the next offset to consume) that now are, normally exactly
        offsets. The kernel commits what flush returns; the SDK drops partitions the
        kernel did not give and refuses offsets beyond the ones it gave."""
        return dict(offsets)

    def close(self):
        """Releases the task's resources. Called once, also after a failed open, and when
        the plugin stops."""


class _TaskLogger(logging.LoggerAdapter):
    """Adds connector and task to every line, merged with the caller's extra."""

    def process(self, msg, kwargs):
        kwargs["extra"] = {**self.extra, **kwargs.get("extra", {})}
        return msg, kwargs


def task_logger(log, connector, task):
    return _TaskLogger(log, {"connector": connector, "task": task})


__all__ = ["ConnectorType", "SOURCE", "SINK", "TaskError", "Connector", "TaskContext", "PollContext",
           "SourceTask", "SinkTask"]
