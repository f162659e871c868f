import contextlib
import io
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest
import zipfile

from tributary_sdk import pack

HELLO = '''
from tributary_sdk import SOURCE, Connector, serve

class Hello(Connector):
    name, type = "hello-source", SOURCE

def main():
    serve(Hello(), name="tributary-hello")
'''


class PackTest(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="pack-test-"))
        self.src = self.tmp / "hello"
        (self.src / "__pycache__").mkdir(parents=True)
        (self.src / "hello.py").write_text(HELLO)
        (self.src / "__pycache__" / "hello.cpython-311.pyc").write_bytes(b"stale")

    def tearDown(self):
        import shutil
        shutil.rmtree(self.tmp)

    def test_packs_connector_and_sdk_into_one_executable(self):
        (self.src / "__main__.py").write_text("import hello\nhello.main()\n")
        out = pack.pack(self.src, self.tmp / "bin" / "tributary-hello")
        self.assertTrue(os.access(out, os.X_OK))
        self.assertEqual(out.read_bytes().split(b"\n", 1)[0], b"#!/usr/bin/python3")
        names = zipfile.ZipFile(out).namelist()
        for want in ("__main__.py", "hello.py", "tributary_sdk/__init__.py", "tributary_sdk/server.py",
                     "tributary_sdk/_proto/plugin_pb2.py"):
            self.assertIn(want, names)
        self.assertFalse([n for n in names if "__pycache__" in n or n.endswith(".pyc")], names)
        # Run by hand, without the kernel's cookie, it explains itself and exits 1, with
        # only the standard library imported so far.
        r = subprocess.run([sys.executable, str(out)], capture_output=True, text=True,
                           env={"PATH": os.environ.get("PATH", "")})
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn("tributary-hello is a Tributary connector plugin", r.stderr)

    def test_main_option_writes_the_entry_point(self):
        out = pack.pack(self.src, self.tmp / "tributary-hello", main="hello:main")
        main = zipfile.ZipFile(out).read("__main__.py").decode()
        self.assertIn("hello.main()", main)

    def test_refusals(self):
        for kwargs, want in [
            ({"out": self.tmp / "hello"}, "must start with 'tributary-'"),
            ({"out": self.tmp / "tributary-hello"}, "has no __main__.py"),
            ({"out": self.tmp / "tributary-hello", "main": "hello"}, "want MODULE:FUNCTION"),
        ]:
            with self.assertRaisesRegex(pack.PackError, want):
                pack.pack(self.src, **kwargs)
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            self.assertEqual(pack.main([str(self.src), str(self.tmp / "x")]), 1)
        self.assertTrue(stderr.getvalue().startswith("tributary-pack: x: "), stderr.getvalue())
        self.assertFalse((self.tmp / "x").exists())
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()), ["hello"])  # no temp files left


if __name__ == "__main__":
    unittest.main()
