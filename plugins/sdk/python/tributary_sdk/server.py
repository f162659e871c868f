"""serve(): run connectors as a Tributary plugin process.

What the kernel (hashicorp/go-plugin's host, AutoMTLS on, gRPC only) expects, and what
this module does:

1. Refuse to start unless TRIBUTARY_PLUGIN holds the handshake cookie (bootstrap).
2. Listen on 127.0.0.1:0. When the host passes PLUGIN_CLIENT_CERT (AutoMTLS), serve TLS
   with a self-signed certificate for "localhost" made at startup, requiring that client
   certificate.
3. Serve the four tributary.plugin.v1 services, grpc.health.v1.Health (service "plugin"
   SERVING), plugin.GRPCController (Shutdown) and plugin.GRPCStdio (an empty stream).
4. Print the handshake line as the first line on stdout and flush:
       1|1|tcp|127.0.0.1:PORT|grpc|<the server certificate, DER, base64 without padding>
   then log to stderr only (hclog's JSON lines, which the kernel turns into its own
   structured log entries at their level); stdout is redirected to stderr.
5. On Shutdown, SIGTERM, or when the kernel process has gone: close every open task (for
   up to 1.5 s; the host kills the process 2 s after asking), stop, exit.
"""

import base64
import concurrent.futures
import datetime
import json
import logging
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import grpc

from . import bootstrap, codec
from ._proto import controller_pb2, controller_pb2_grpc, health_pb2, health_pb2_grpc
from ._proto import plugin_pb2 as pb
from ._proto import plugin_pb2_grpc as pb_grpc
from .config import ConfigError, ConfigErrors
from .connector import SINK, SOURCE, PollContext, TaskContext, TaskError, task_logger
from .data import DataError
from .records import TopicPartition

# LOG_LEVEL_ENV sets the log level: trace, debug, info, warn, error (default info), as
# for Go plugins.
LOG_LEVEL_ENV = "TRIBUTARY_PLUGIN_LOG_LEVEL"
# CERT_TOOL_ENV picks how the TLS certificate is made: "cryptography" (python3-cryptography)
# or "openssl" (the openssl command). Unset: cryptography when importable, else openssl.
CERT_TOOL_ENV = "TRIBUTARY_PLUGIN_CERT_TOOL"

# SHUTDOWN_TIMEOUT bounds closing the open tasks when the plugin stops.
SHUTDOWN_TIMEOUT = 1.5
# MAX_THREADS is serve()'s default bound on concurrent RPCs. Every open task's Poll holds
# a thread while it waits, and GRPCStdio holds one for the life of the process.
MAX_THREADS = 64

TRACE = 5
logging.addLevelName(TRACE, "TRACE")


# ---- logging ----

class _HCLogFormatter(logging.Formatter):
    """Formats records as go-hclog's JSON lines; extra fields become key/value pairs."""

    _LEVELS = {TRACE: "trace", logging.DEBUG: "debug", logging.INFO: "info",
               logging.WARNING: "warn", logging.ERROR: "error", logging.CRITICAL: "error"}
    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record):
        level = self._LEVELS.get(record.levelno)
        if level is None:
            level = "error" if record.levelno > logging.ERROR else "debug" if record.levelno < logging.INFO else "info"
        ts = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        entry = {
            "@level": level,
            "@message": record.getMessage(),
            "@timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z",
        }
        if record.name != "root":
            entry["@module"] = record.name
        for k, v in vars(record).items():
            if k not in self._STANDARD and not k.startswith("_"):
                entry[k] = v
        if record.exc_info:
            entry["stack"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _setup_logging():
    level = {"trace": TRACE, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
             "warning": logging.WARNING, "error": logging.ERROR}.get(
        os.environ.get(LOG_LEVEL_ENV, "").strip().lower(), logging.INFO)
    handler = logging.StreamHandler(sys.__stderr__)
    handler.setFormatter(_HCLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return logging.getLogger("tributary_sdk")


# ---- TLS ----

def _server_cert():
    """A new self-signed ECDSA P-256 certificate for "localhost", usable for server and
    client auth. Returns (cert PEM, key PEM, cert DER, the tool that made it)."""
    tool = os.environ.get(CERT_TOOL_ENV, "").strip().lower()
    if tool not in ("", "cryptography", "openssl"):
        raise RuntimeError(f"{CERT_TOOL_ENV}={tool!r}: want cryptography or openssl")
    if tool in ("", "cryptography"):
        try:
            return (*_cert_with_cryptography(), "cryptography")
        except ImportError:
            if tool == "cryptography":
                raise RuntimeError("python3-cryptography is not installed") from None
    if shutil.which("openssl") is None:
        raise RuntimeError("need python3-cryptography or the openssl command to make the TLS "
                           "certificate AutoMTLS asks for; apt-get install python3-cryptography")
    return (*_cert_with_openssl(), "openssl")


def _cert_with_cryptography():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tributary"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert_pem, key_pem, cert.public_bytes(serialization.Encoding.DER)


def _cert_with_openssl():
    with tempfile.TemporaryDirectory(prefix="tributary-plugin-") as d:
        key_path, cert_path = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key_path, "-out", cert_path, "-days", "3650",
             "-subj", "/O=Tributary/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
             "-addext", "extendedKeyUsage=serverAuth,clientAuth"],
            check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(cert_path, "rb") as f:
            cert_pem = f.read()
        with open(key_path, "rb") as f:
            key_pem = f.read()
    return cert_pem, key_pem, ssl.PEM_cert_to_DER_cert(cert_pem.decode("ascii"))


# ---- errors ----

class _Status(Exception):
    """A gRPC status to answer with."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _rpc(method):
    """Turns what a service method raises into the call's gRPC status."""

    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except _Status as s:
            context.abort(s.code, s.message)
        except Exception as e:  # a bug in the SDK itself
            self.log.error("internal error", exc_info=True, extra={"rpc": method.__name__})
            context.abort(grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}")

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _config_status(errors):
    return _Status(grpc.StatusCode.INVALID_ARGUMENT, str(ConfigErrors(errors)))


# ---- tasks ----

class _Task:
    """One open task. lock serialises every call into the author's task; state guards
    closing and the stop event of the call in progress, which closing sets so a Poll
    returns at once."""

    def __init__(self, kind, impl, ctx):
        self.kind = kind
        self.impl = impl
        self.ctx = ctx
        self.lock = threading.Lock()
        self.closed = False  # guarded by lock
        self.pending = []  # polled beyond the kernel's max_records; guarded by lock
        self.encoder = codec.RecordEncoder()  # guarded by lock
        self.decoder = codec.RecordDecoder()  # guarded by lock
        self._state = threading.Lock()
        self._closing = False
        self._stop = None

    def call_stop(self, rpc_context):
        """A new stop event for the call in progress (lock held): set when the task is
        closed or the RPC ends (the kernel cancelled it or gave up)."""
        ev = threading.Event()
        with self._state:
            if self._closing:
                ev.set()
            self._stop = ev
        if rpc_context is not None and not rpc_context.add_callback(ev.set):
            ev.set()  # the RPC has already ended
        return ev

    def interrupt(self):
        with self._state:
            self._closing = True
            if self._stop is not None:
                self._stop.set()


def _kind_name(kind):
    return "sink" if kind == SINK else "source"


class _Plugin(pb_grpc.PluginServicer, pb_grpc.ConnectorServicer):
    """Holds the connectors and the open tasks by handle; serves the four protocol
    services. Each task RPC runs the author's code under the task's lock."""

    def __init__(self, connectors, log):
        self.log = log
        self.by_class = {}
        self.descs = []
        problems = []
        for c in connectors:
            if not c.name:
                problems.append(f"a connector ({type(c).__name__}) has no name")
                continue
            if c.type not in (SOURCE, SINK):
                problems.append(f"connector {c.name!r}: type must be SOURCE or SINK")
                continue
            for cls in (c.name, *c.aliases):
                if cls in self.by_class:
                    problems.append(f"connector class {cls!r} declared by both "
                                    f"{self.by_class[cls].name!r} and {c.name!r}")
                    continue
                self.by_class[cls] = c
            self.descs.append(codec.descriptor(c))
        if problems:
            raise ValueError("invalid connectors: " + "; ".join(problems))
        self._mu = threading.Lock()
        self._tasks = {}
        self._closing = False

    # -- author code --

    def _safely(self, call, fn, log=None):
        """Runs connector code, turning what it raises into a _Status: config errors are
        INVALID_ARGUMENT, TaskError UNKNOWN, anything else (a bug) INTERNAL, logged with
        its traceback."""
        try:
            return fn()
        except _Status:
            raise
        except ConfigErrors as e:
            raise _config_status(e.errors) from None
        except ConfigError as e:
            raise _config_status([e]) from None
        except TaskError as e:
            raise _Status(grpc.StatusCode.UNKNOWN, str(e)) from None
        except Exception as e:
            (log or self.log).error(f"exception in connector code ({call})", exc_info=True)
            raise _Status(grpc.StatusCode.INTERNAL, f"{call}: {type(e).__name__}: {e}") from None

    def _connector(self, cls, kind=None):
        c = self.by_class.get(cls)
        if c is None:
            raise _Status(grpc.StatusCode.NOT_FOUND,
                          f"unknown connector class {cls!r}; this plugin serves: "
                          + ", ".join(d.name for d in self.descs))
        if kind is not None and c.type != kind:
            raise _Status(grpc.StatusCode.INVALID_ARGUMENT,
                          f"connector class {cls!r} is a {_kind_name(c.type)} connector, "
                          f"not a {_kind_name(kind)} connector")
        return c

    # -- task registry --

    def _open(self, kind, req, rpc_context, new_task, open_task, committed=()):
        c = self._connector(req.connector_class, kind)
        cfg, errors = c.config_def.parse(req.config)
        if errors:
            raise _config_status(errors)
        ref = req.task
        if not ref.handle:
            raise _Status(grpc.StatusCode.INVALID_ARGUMENT, "task handle is empty")
        log = task_logger(logging.getLogger(c.name), ref.connector, ref.task)
        impl = self._safely("new task", new_task(c), log)
        if impl is None:
            raise _Status(grpc.StatusCode.INTERNAL, f"connector {c.name} returned no {_kind_name(kind)} task")
        ctx = TaskContext(ref.handle, ref.connector, ref.task, req.connector_class, cfg, log, committed)
        t = _Task(kind, impl, ctx)
        with t.lock:  # calls racing the open wait for it
            with self._mu:
                if self._closing:
                    raise _Status(grpc.StatusCode.UNAVAILABLE, "plugin is shutting down")
                if ref.handle in self._tasks:
                    raise _Status(grpc.StatusCode.ALREADY_EXISTS, f"task handle {ref.handle!r} is already open")
                self._tasks[ref.handle] = t
            try:
                self._safely("open", lambda: open_task(impl, ctx), log)
            except _Status as s:
                log.warning(f"open {_kind_name(kind)} task failed", extra={"error": s.message})
                t.closed = True
                try:
                    self._safely("close", impl.close, log)
                except _Status:
                    pass
                with self._mu:
                    if self._tasks.get(ref.handle) is t:
                        del self._tasks[ref.handle]
                raise
        log.debug(f"{_kind_name(kind)} task opened", extra={"handle": ref.handle})

    def _lookup(self, handle, kind):
        """The open task of kind under handle, with its lock held: release it."""
        with self._mu:
            t = self._tasks.get(handle)
        if t is None or t.kind != kind:
            raise _Status(grpc.StatusCode.NOT_FOUND, f"no open {_kind_name(kind)} task with handle {handle!r}")
        t.lock.acquire()
        if t.closed:
            t.lock.release()
            raise _Status(grpc.StatusCode.NOT_FOUND, f"no open {_kind_name(kind)} task with handle {handle!r}")
        return t

    def _close(self, handle, kind):
        with self._mu:
            t = self._tasks.get(handle)
            if t is not None and t.kind == kind:
                del self._tasks[handle]
        if t is None or t.kind != kind:
            raise _Status(grpc.StatusCode.NOT_FOUND, f"no open {_kind_name(kind)} task with handle {handle!r}")
        self._close_task(t)

    def _close_task(self, t):
        t.interrupt()  # a Poll in progress returns
        with t.lock:
            if t.closed:
                return
            t.closed = True
            t.pending = []
            self._safely("close", t.impl.close, t.ctx.log)
            t.ctx.log.debug("task closed", extra={"handle": t.ctx.handle})

    def close_all(self, timeout):
        """Closes every open task, giving them timeout seconds together, and refuses new
        ones: the plugin's graceful shutdown."""
        with self._mu:
            self._closing = True
            tasks, self._tasks = self._tasks, {}
        if not tasks:
            return

        def close(handle, t):
            try:
                self._close_task(t)
            except _Status as s:
                self.log.warning("close task at shutdown", extra={"handle": handle, "error": s.message})

        threads = [threading.Thread(target=close, args=item, daemon=True) for item in tasks.items()]
        for th in threads:
            th.start()
        deadline = time.monotonic() + timeout
        for th in threads:
            th.join(max(deadline - time.monotonic(), 0))
        if any(th.is_alive() for th in threads):
            self.log.warning("tasks did not close in time at shutdown", extra={"timeout_s": timeout})
        else:
            self.log.debug("closed open tasks at shutdown", extra={"tasks": len(tasks)})

    # -- Plugin --

    @_rpc
    def Describe(self, request, context):
        return pb.DescribeResponse(connectors=self.descs)

    # -- Connector --

    @_rpc
    def Validate(self, request, context):
        c = self._connector(request.connector_class)
        cfg, errors = c.config_def.parse(request.config)
        if not errors:
            errors = list(self._safely("validate", lambda: c.validate(cfg)) or [])
        return pb.ValidateResponse(errors=[pb.ConfigError(key=e.key, message=e.message) for e in errors])

    @_rpc
    def TaskConfigs(self, request, context):
        c = self._connector(request.connector_class)
        cfg, errors = c.config_def.parse(request.config)
        if errors:
            raise _config_status(errors)
        max_tasks = max(request.max_tasks, 1)
        configs = list(self._safely("task_configs", lambda: c.task_configs(cfg, max_tasks)) or [])
        if len(configs) > max_tasks:
            raise _Status(grpc.StatusCode.UNKNOWN, f"connector {c.name} returned {len(configs)} task "
                                                   f"configs, more than the maximum of {max_tasks}")
        return pb.TaskConfigsResponse(tasks=[
            pb.TaskConfig(config={str(k): str(v) for k, v in tc.items()}) for tc in configs])

    # -- SourceTask and SinkTask (registered through _SourceService and _SinkService) --

    @_rpc
    def _open_source(self, request, context):
        try:
            committed = codec.committed_offsets(request.offsets)
        except ValueError as e:
            raise _Status(grpc.StatusCode.INVALID_ARGUMENT, str(e)) from None
        self._open(SOURCE, request, context, lambda c: c.new_source_task,
                   lambda impl, ctx: impl.open(ctx), committed)
        return pb.OpenSourceResponse()

    @_rpc
    def _open_sink(self, request, context):
        partitions = [TopicPartition(p.topic, p.partition) for p in request.partitions]
        self._open(SINK, request, context, lambda c: c.new_sink_task,
                   lambda impl, ctx: impl.open(ctx, partitions))
        return pb.OpenSinkResponse()

    @_rpc
    def _poll(self, request, context):
        t = self._lookup(request.handle, SOURCE)
        try:
            if not t.pending:
                stop = t.call_stop(context)
                pctx = PollContext(max(request.timeout_ms, 0) / 1000.0, stop, max(request.max_records, 0))
                recs = self._safely("poll", lambda: t.impl.poll(pctx), t.ctx.log)
                t.pending = list(recs or [])
            n = len(t.pending)
            if 0 < request.max_records < n:
                n = request.max_records
            try:
                out = t.encoder.records(t.pending[:n])
            except DataError as e:
                # The batch cannot be sent: fail the task visibly rather than drop records.
                t.pending = []
                raise _Status(grpc.StatusCode.INVALID_ARGUMENT,
                              f"sdk: the task produced an invalid record: {e}") from None
            t.pending = t.pending[n:]
            return pb.PollResponse(records=out)
        finally:
            t.lock.release()

    @_rpc
    def _commit(self, request, context):
        t = self._lookup(request.handle, SOURCE)
        try:
            try:
                offsets = codec.committed_offsets(request.offsets)
            except ValueError as e:
                raise _Status(grpc.StatusCode.INVALID_ARGUMENT, str(e)) from None
            self._safely("commit", lambda: t.impl.commit(offsets), t.ctx.log)
            return pb.CommitResponse()
        finally:
            t.lock.release()

    @_rpc
    def _put(self, request, context):
        t = self._lookup(request.handle, SINK)
        try:
            try:
                records = t.decoder.records(request.records)
            except DataError as e:
                raise _Status(grpc.StatusCode.INVALID_ARGUMENT, f"sdk: {e}") from None
            self._safely("put", lambda: t.impl.put(records), t.ctx.log)
            return pb.PutResponse()
        finally:
            t.lock.release()

    @_rpc
    def _flush(self, request, context):
        t = self._lookup(request.handle, SINK)
        try:
            given = {TopicPartition(o.topic, o.partition): o.offset for o in request.offsets}
            done = self._safely("flush", lambda: t.impl.flush(dict(given)), t.ctx.log) or {}
            out = []
            for tp, off in sorted(dict(done).items()):
                tp = TopicPartition(*tp)
                most = given.get(tp)
                if most is None:
                    continue  # the kernel did not ask about it
                if off > most:
                    raise _Status(grpc.StatusCode.INTERNAL,
                                  f"sdk: flush reported offset {off} for {tp.topic}-{tp.partition}, "
                                  f"beyond the {most} the kernel gave")
                out.append(pb.TopicPartitionOffset(topic=tp.topic, partition=tp.partition, offset=off))
            return pb.FlushResponse(offsets=out)
        finally:
            t.lock.release()


class _SourceService(pb_grpc.SourceTaskServicer):
    def __init__(self, p):
        self.p = p
        self.log = p.log

    def Open(self, request, context):
        return self.p._open_source(request, context)

    def Poll(self, request, context):
        return self.p._poll(request, context)

    def Commit(self, request, context):
        return self.p._commit(request, context)

    @_rpc
    def Close(self, request, context):
        self.p._close(request.handle, SOURCE)
        return pb.CloseResponse()


class _SinkService(pb_grpc.SinkTaskServicer):
    def __init__(self, p):
        self.p = p
        self.log = p.log

    def Open(self, request, context):
        return self.p._open_sink(request, context)

    def Put(self, request, context):
        return self.p._put(request, context)

    def Flush(self, request, context):
        return self.p._flush(request, context)

    @_rpc
    def Close(self, request, context):
        self.p._close(request.handle, SINK)
        return pb.CloseResponse()


# ---- go-plugin's services ----

class _Health(health_pb2_grpc.HealthServicer):
    """grpc.health.v1.Health: "plugin" (go-plugin's name) and "" are SERVING until the
    plugin stops."""

    def __init__(self, stopped):
        self.stopped = stopped

    def _status(self, service):
        if service not in ("", "plugin"):
            return None
        if self.stopped.is_set():
            return health_pb2.HealthCheckResponse.NOT_SERVING
        return health_pb2.HealthCheckResponse.SERVING

    def Check(self, request, context):
        st = self._status(request.service)
        if st is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=st)

    def Watch(self, request, context):
        st = self._status(request.service)
        yield health_pb2.HealthCheckResponse(
            status=health_pb2.HealthCheckResponse.SERVICE_UNKNOWN if st is None else st)
        while context.is_active() and not self.stopped.wait(1.0):
            pass
        if context.is_active() and st is not None:
            yield health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.NOT_SERVING)


class _StopRequest:
    """Set once something asks the plugin to stop; the first reason wins."""

    def __init__(self):
        self.event = threading.Event()
        self.reason = ""
        self._mu = threading.Lock()

    def set(self, reason):
        with self._mu:
            if not self.reason:
                self.reason = reason
        self.event.set()


class _Controller(controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop_requested):
        self.stop_requested = stop_requested

    def Shutdown(self, request, context):
        # Answer first; the main thread closes the tasks and stops the server.
        self.stop_requested.set("the kernel asked")
        return controller_pb2.Empty()


class _Stdio(controller_pb2_grpc.GRPCStdioServicer):
    """An empty stdio stream: the plugin logs to stderr, which the host reads itself."""

    def __init__(self, stopped):
        self.stopped = stopped

    def StreamStdio(self, request, context):
        while context.is_active() and not self.stopped.wait(1.0):
            pass
        return
        yield  # a generator: a server-streaming method


# ---- serve ----

def serve(*connectors, name=None, max_threads=MAX_THREADS):
    """Serves connectors to the kernel until it stops the plugin, then exits the process.
    name is the executable's name for messages (default: from sys.argv[0]); max_threads
    bounds concurrent RPCs: allow at least two per task the plugin runs at once.

    Exits with status 1 when run by hand (without the kernel's handshake cookie), when a
    dependency is missing, or when the connectors are misdeclared. Also stops, after
    closing the open tasks, on SIGTERM or when the kernel process has gone."""
    name = name or os.path.basename(sys.argv[0]) or "plugin"
    bootstrap.check(name)
    log = _setup_logging()
    try:
        plugin = _Plugin(connectors, log)
    except ValueError as e:
        log.error("cannot serve", extra={"error": str(e)})
        sys.stderr.write(f"{name}: {e}\n")
        sys.exit(1)

    stop_requested = _StopRequest()  # Shutdown or SIGTERM
    stopped = threading.Event()  # the tasks are closed: end the long-lived streams
    server = grpc.server(
        concurrent.futures.ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="rpc"),
        options=[
            # The kernel sends and accepts messages of any size (big Put batches).
            ("grpc.max_send_message_length", -1),
            ("grpc.max_receive_message_length", -1),
            ("grpc.so_reuseport", 0),
        ])
    pb_grpc.add_PluginServicer_to_server(plugin, server)
    pb_grpc.add_ConnectorServicer_to_server(plugin, server)
    pb_grpc.add_SourceTaskServicer_to_server(_SourceService(plugin), server)
    pb_grpc.add_SinkTaskServicer_to_server(_SinkService(plugin), server)
    health_pb2_grpc.add_HealthServicer_to_server(_Health(stopped), server)
    controller_pb2_grpc.add_GRPCControllerServicer_to_server(_Controller(stop_requested), server)
    controller_pb2_grpc.add_GRPCStdioServicer_to_server(_Stdio(stopped), server)

    handshake = f"1|{bootstrap.APP_PROTOCOL_VERSION}|tcp|127.0.0.1:{{port}}|grpc"
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT", "")
    cert_tool = ""
    try:
        if client_cert:  # AutoMTLS
            try:
                ssl.PEM_cert_to_DER_cert(client_cert)
            except ValueError:
                raise RuntimeError("PLUGIN_CLIENT_CERT is not a PEM certificate") from None
            cert_pem, key_pem, der, cert_tool = _server_cert()
            creds = grpc.ssl_server_credentials(
                [(key_pem, cert_pem)], root_certificates=client_cert.encode("ascii"),
                require_client_auth=True)
            port = server.add_secure_port("127.0.0.1:0", creds)
            handshake += "|" + base64.b64encode(der).decode("ascii").rstrip("=")
        else:
            port = server.add_insecure_port("127.0.0.1:0")
    except Exception as e:
        log.error("cannot listen", exc_info=not isinstance(e, RuntimeError), extra={"error": str(e)})
        sys.stderr.write(f"{name}: cannot listen: {e}\n")
        sys.exit(1)
    if not port:
        log.error("cannot listen on 127.0.0.1:0")
        sys.exit(1)
    server.start()

    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set("signal SIGTERM"))
    # The kernel's terminal may send SIGINT to the whole process group; the kernel stops
    # its plugins itself (go-plugin's Go servers ignore SIGINT too).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    sys.stdout.write(handshake.format(port=port) + "\n")
    sys.stdout.flush()
    sys.stdout = sys.stderr  # stray prints must not reach the host's stdout reader
    log.debug("serving", extra={"port": port, "connectors": [d.name for d in plugin.descs], "tls": bool(client_cert),
                               "cert_tool": cert_tool})

    code = 0
    while not stop_requested.event.wait(1.0):
        if os.getppid() != parent:
            log.warning("kernel process has gone; stopping")
            code = 1
            break
    else:
        log.debug("stopping", extra={"reason": stop_requested.reason})
    plugin.close_all(SHUTDOWN_TIMEOUT)
    stopped.set()
    server.stop(grace=0.25).wait(1.0)
    log.debug("stopped")
    for f in (sys.__stdout__, sys.__stderr__):
        try:
            f.flush()
        except Exception:
            pass
    # os._exit: a connector thread stuck in a call must not hold the process up.
    os._exit(code)


__all__ = ["serve", "LOG_LEVEL_ENV", "CERT_TOOL_ENV", "TRACE"]
