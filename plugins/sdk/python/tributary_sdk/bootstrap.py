"""Checks run before anything else: the handshake cookie and the Python dependencies.

Standard library only, so the messages are readable even when grpc is not installed.
"""

import datetime
import json
import os
import sys

# The go-plugin handshake shared with the kernel (plugins/sdk.Handshake in Go).
MAGIC_COOKIE_KEY = "TRIBUTARY_PLUGIN"
MAGIC_COOKIE_VALUE = "7c1d0f3e-tributary-connector-plugin"
# The application protocol version: the second field of the handshake line.
APP_PROTOCOL_VERSION = 1


def check_cookie(name):
    """Exits with status 1 and an explanation unless the kernel started this process."""
    if os.environ.get(MAGIC_COOKIE_KEY) == MAGIC_COOKIE_VALUE:
        return
    sys.stderr.write(
        f"{name} is a Tributary connector plugin, not a program to run by hand.\n"
        f"Put it in the kernel's plugin directory (plugin_dir in the agent config, or bin/plugins\n"
        f"for `tributary dev`); the kernel starts it with {MAGIC_COOKIE_KEY} set to the handshake\n"
        f"cookie and talks to it over gRPC. See plugins/sdk/python/README.md.\n"
    )
    sys.exit(1)


def _fail(message):
    """Exits with status 1 after logging message. Past the cookie check the kernel reads
    stderr, so the message goes out as a go-hclog JSON line: the kernel logs it at error
    level, next to its own "plugin failed to start"."""
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    sys.stderr.write(json.dumps({"@level": "error", "@message": message, "@timestamp": ts}) + "\n")
    sys.stderr.flush()
    sys.exit(1)


def check_protocol_version(name):
    """Exits with status 1 unless the host accepts our application protocol version."""
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "")
    if not offered:
        return
    versions = {v.strip() for v in offered.split(",")}
    if str(APP_PROTOCOL_VERSION) not in versions:
        _fail(f"{name} speaks Tributary plugin protocol version {APP_PROTOCOL_VERSION}; "
              f"the kernel accepts only {offered}. Upgrade the plugin or the kernel.")


def check_dependencies(name):
    """Exits with status 1 and the apt command to run if grpc or protobuf is missing."""
    missing = []
    try:
        import grpc  # noqa: F401
    except ImportError:
        missing.append("python3-grpcio")
    try:
        import google.protobuf  # noqa: F401
    except ImportError:
        missing.append("python3-protobuf")
    if missing:
        _fail(f"{name} cannot start: {sys.executable} lacks {' and '.join(missing)}; "
              f"install with: apt-get install {' '.join(missing)}")


def check(name):
    """All the checks, in order: cookie, protocol version, dependencies."""
    check_cookie(name)
    check_protocol_version(name)
    check_dependencies(name)
