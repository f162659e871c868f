// Package config understands connector configurations: it checks a config against a
// plugin's definitions and the keys every connector shares (Validate), fills in defaults
// (Effective), hides secret values before a config leaves the kernel (Mask), resolves
// config provider placeholders such as ${file:/etc/db.properties:password} when a task
// starts (Resolve), and reads the manifest files `tributary apply` takes — Tributary's own
// Connector files, Strimzi KafkaConnector resources unchanged, and Kafka Connect REST
// bodies (ParseManifests). Secrets is the set of secret values the runtime and the plugin
// host hide in what they log.
//
// Everything but the providers is pure: no I/O, no clocks. The admin service, the runtime
// and the CLI are its callers.
package config
