// Command tributary-http is the HTTP source, a plugin binary on the Go SDK that answers
// to Confluent's io.confluent.connect.http.HttpSourceConnector and to castorm's
// com.github.castorm.kafka.connect.http.HttpSourceConnector: it polls a JSON HTTP API
// and turns each element of the response into a record, keeping a position per entity
// (source partition) so a restarted task continues the count, the chain or the page
// cursor where the kernel's committed offset says.
//
// One file per concern: config.go declares both classes' keys and yields the typed
// settings, template.go renders ${offset} and ${entityName}, pointer.go resolves JSON
// pointers and jsonvalue.go decodes responses into Connect values, tls.go builds the TLS
// config from PEM, client.go sends requests (auth, OAuth2 client credentials, retries,
// Retry-After, masked errors), entity.go is one entity's position and the offset modes,
// task.go the source task and its pollers, and connector.go the two connector classes
// and the spreading of entities over tasks.
//
// The package owns only the HTTP side and the records it makes. It must not touch Kafka
// or the kernel: positions go back only through the SDK's source offsets.
package main
