# Entry point of the tributary-pycounter executable (build.sh zips this directory into one
# file that /usr/bin/python3 runs). The checks come first and need only the standard
# library, so a missing handshake cookie or python3-grpcio gets a plain explanation.
from tributary_plugin import bootstrap

bootstrap.check("tributary-pycounter")

import pycounter  # noqa: E402

pycounter.main()
