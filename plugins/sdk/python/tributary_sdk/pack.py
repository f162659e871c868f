"""Packs a connector directory into one executable plugin file.

    python3 -m tributary_sdk.pack CONNECTOR_DIR OUT [--main MODULE:FUNCTION]
    tributary-pack CONNECTOR_DIR OUT              (the same, installed by pip)

OUT is a Python zip application: CONNECTOR_DIR's files and this SDK (tributary_sdk, with
its generated protobuf modules) in one file that starts with #!/usr/bin/python3 and has
its execute bit set. Installing the plugin is copying that file into a plugin directory;
running it needs only /usr/bin/python3 with python3-grpcio and python3-protobuf (from
apt), no pip. OUT's file name must start with "tributary-": the kernel runs only those.

The plugin starts at CONNECTOR_DIR/__main__.py, which calls tributary_sdk.serve; or, with
--main pkg.mod:fn, at that function (a __main__.py calling it is generated). Packing needs
only the standard library.
"""

import argparse
import os
import pathlib
import sys
import tempfile
import zipapp

INTERPRETER = "/usr/bin/python3"
PREFIX = "tributary-"
SDK_PACKAGE = "tributary_sdk"


class PackError(Exception):
    """A connector directory or output that cannot be packed."""


def _skip(rel):
    return "__pycache__" in rel.parts or rel.suffix in (".pyc", ".pyo") or any(
        p.startswith(".") for p in rel.parts)


def _files(root):
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not _skip(rel):
            yield path, rel


def pack(connector_dir, out, main=None, interpreter=INTERPRETER):
    """Writes the plugin executable out from connector_dir and this SDK; returns out."""
    src = pathlib.Path(connector_dir)
    out = pathlib.Path(out)
    if not src.is_dir():
        raise PackError(f"{src} is not a directory")
    if not out.name.startswith(PREFIX):
        raise PackError(f"{out.name}: a plugin's file name must start with {PREFIX!r}, "
                        f"or the kernel will not run it (e.g. {PREFIX}{out.name})")
    has_main = (src / "__main__.py").is_file()
    if main is None and not has_main:
        raise PackError(f"{src} has no __main__.py; add one that calls tributary_sdk.serve, "
                        f"or name the entry point with --main MODULE:FUNCTION")
    if main is not None and has_main:
        raise PackError(f"{src} has a __main__.py and --main was given; use one of them")
    if main is not None and ":" not in main:
        raise PackError(f"--main {main}: want MODULE:FUNCTION, e.g. myconnector:main")
    if (src / SDK_PACKAGE).exists():
        raise PackError(f"{src} holds its own {SDK_PACKAGE}; remove it, pack adds the SDK")
    sdk = pathlib.Path(__file__).resolve().parent

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pack-", dir=out.parent) as tmp:
        tree = pathlib.Path(tmp, "tree")
        for root, prefix in ((src, pathlib.PurePath()), (sdk, pathlib.PurePath(SDK_PACKAGE))):
            for path, rel in _files(root):
                dest = tree / prefix / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(path.read_bytes())
        archive = pathlib.Path(tmp, out.name)
        # main= makes zipapp write a __main__.py calling the function.
        zipapp.create_archive(tree, archive, interpreter=interpreter, main=main, compressed=True)
        archive.chmod(0o755)
        os.replace(archive, out)  # whole, or not at all
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="tributary-pack",
        description="Pack a Python connector directory and the Tributary SDK into one "
                    "executable plugin file (a zip application).")
    parser.add_argument("connector_dir", help="the connector's directory, with its __main__.py")
    parser.add_argument("out", help="the plugin file to write; its name must start with tributary-")
    parser.add_argument("--main", metavar="MODULE:FUNCTION",
                        help="the entry point, when the directory has no __main__.py")
    parser.add_argument("--python", default=INTERPRETER, metavar="PATH",
                        help=f"the interpreter of the #! line (default {INTERPRETER}, which has "
                             f"Debian's python3-grpcio)")
    args = parser.parse_args(argv)
    try:
        pack(args.connector_dir, args.out, main=args.main, interpreter=args.python)
    except (PackError, OSError) as e:
        print(f"tributary-pack: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
