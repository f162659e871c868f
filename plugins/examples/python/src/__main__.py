# Entry point of the tributary-pycounter executable, which build.sh packs from this
# directory with tributary_sdk.pack. serve() checks the handshake cookie and that
# python3-grpcio is installed before anything imports grpc.
import pycounter

pycounter.main()
