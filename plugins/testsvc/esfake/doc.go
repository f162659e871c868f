// Package esfake is an in-process Elasticsearch look-alike for tests and demos: an HTTP
// server that answers the parts of Elasticsearch 8's REST API a sink uses — the _bulk
// NDJSON contract (index, create, update with doc/doc_as_upsert/upsert, delete; external
// versions; per-item status, result, _version and error; top-level errors and took),
// single-document index/get/delete, index create/exists, _count, a match_all _search,
// _refresh, data streams, and the root cluster info with the X-Elastic-Product header the
// Go client checks — and validates requests the way Elasticsearch does, so that a wrong
// request from a client fails its test (a bulk body without its final newline, an unknown
// action, a source line missing, an upper-case index name, an unsupported content type).
//
// Tests inject faults (whole-request or per-item 429 and 5xx answers, slow responses),
// declare field mappings whose violations answer mapper_parsing_exception, turn on basic
// auth and TLS, and read request counters.
//
// It owns only this imitation: it imports no testing package (so a script can serve it,
// see cmd/fake-elasticsearch), nothing of the kernel and nothing of the SDK.
package esfake
