// Package security owns how Tributary secures the connections it makes and the ones it
// serves. For Kafka it reads the client keys Kafka Connect users already set
// (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.* in PEM, with their
// producer./consumer./admin. prefixed forms and the connectors' *.override.* keys under
// connector.client.config.override.policy) and applies them to a *sarama.Config. For
// Tributary's own endpoints it issues certificates (a private CA, server and client
// certificates), reads credentials files, and provides the HTTP middleware and gRPC
// interceptors that authenticate callers and hold read-only callers to reads.
//
// It is a leaf: it takes resolved key maps and file names and returns configs, handlers
// and errors. It must not reach into Raft, the state, the runtime or the admin service,
// start listeners, or resolve config-provider placeholders itself (callers pass values
// already resolved through kernel/config). No error it returns carries a password, key or
// token.
package security
