"""What a connector author implements: a Connector per connector class, and the source
or sink tasks it creates. The SDK never calls one task's methods concurrently, so a task
needs no locking of its own; different tasks run in parallel on gRPC's thread pool."""

import logging
import time

from tributary.plugin.v1 import plugin_pb2 as pb

from .config import ConfigDef

SOURCE = pb.CONNECTOR_TYPE_SOURCE
SINK = pb.CONNECTOR_TYPE_SINK


class TaskError(Exception):
    """An expected failure of a task, reported to the kernel with its message (the task
    turns FAILED with it). Any other exception is treated as a bug: it is reported too,
    with its type, and its traceback goes to the log."""


class Connector:
    """One connector class. Set the class attributes and override what you need; the
    defaults validate nothing beyond the config definition and run one task with the
    connector's config."""

    name = ""  # what users write in connector.class, e.g. "py-counter-source"
    type = SOURCE  # SOURCE or SINK
    version = "0.0.0"
    aliases = ()  # other accepted connector.class values
    description = ""
    config_def = ConfigDef()

    def descriptor(self):
        return pb.ConnectorDescriptor(
            name=self.name, type=self.type, version=self.version, aliases=list(self.aliases),
            description=self.description, config=self.config_def.keys())

    def validate(self, cfg):
        """Checks cfg (defaults applied, generic checks passed) beyond the definition;
        returns a list of ConfigError."""
        return []

    def task_configs(self, cfg, max_tasks):
        """Splits the work into at most max_tasks task configs (dicts of strings)."""
        return [dict(cfg)]

    def new_source_task(self):
        raise NotImplementedError(f"{self.name} is not a source connector")

    def new_sink_task(self):
        raise NotImplementedError(f"{self.name} is not a sink connector")


class TaskContext:
    """Who a task is and how it is configured."""

    def __init__(self, handle, connector, task, class_name, config, log):
        self.handle = handle  # names the task in this plugin process; the kernel chose it
        self.connector = connector  # the connector instance's name, e.g. "orders"
        self.task = task  # the task's number within its connector
        self.class_name = class_name  # the connector.class the kernel asked for
        self.config = config  # a config.Config with defaults applied
        self.log = log  # a logging.LoggerAdapter tagging lines with connector and task


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
    """Reads from an outside system. Every record must carry its source_partition and
    source_offset (values.source_map of a dict)."""

    def open(self, ctx, offsets):
        """Starts the task. offsets are the SourceOffsets last committed for the
        connector's source partitions (possibly of partitions another task owns); use
        values.find_offset to find yours."""

    def poll(self, ctx):
        """Returns the next records (a list of Record), or [] when nothing arrived before
        ctx is done. ctx is a PollContext."""
        raise NotImplementedError

    def commit(self, offsets):
        """The kernel has durably committed these positions; acknowledge them upstream if
        the outside system needs it."""

    def close(self):
        """Releases the task's resources. Called once, also after a failed open, and when
        the plugin stops."""


class SinkTask:
    """Writes records the kernel consumed from Kafka to an outside system."""

    def open(self, ctx, partitions):
        """Starts the task on the given TopicPartitions."""

    def put(self, records):
        """Takes a batch of records; it may buffer them."""
        raise NotImplementedError

    def flush(self, offsets):
        """Makes everything put so far durable and returns the TopicPartitionOffsets that
        now are, normally exactly offsets. The kernel commits what flush returns."""
        return list(offsets)

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


__all__ = ["SOURCE", "SINK", "TaskError", "Connector", "TaskContext", "PollContext",
           "SourceTask", "SinkTask"]
