"""dartgen: Janua's Dart generator. It reads a descriptor set of the contract (``buf build
-o janua.binpb``) and writes, for each ``janua/`` proto file, one Dart library with typed
classes and enums in the proto3 JSON mapping, and for each service a client over the REST
routes of its ``google.api.http`` annotations. The runtime those libraries call (JSON
helpers, the HTTP transport with token refresh) is hand-written in
``sdk-gen/dart/lib/src/runtime``; nothing here knows an RPC by name."""
