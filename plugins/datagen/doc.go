// Command tributary-datagen is the datagen connector plugin: a source that generates
// records of a configured size, key space and rate, bounded or unbounded, for demos, load
// tests and benchmarks.
//
// Every value carries a fixed-width header with its task, its sequence number within the
// task and, with timestamp=true, the time it was generated (see package record), so a
// consumer can check order and loss and measure latency. Each task's source partition is
// {"task":N} and each record's offset {"seq":M}, so a restarted task resumes after the last
// committed record and a bounded run never exceeds its count.
//
// For load tests, TRIBUTARY_PLUGIN_CPUPROFILE=PREFIX in the kernel's environment (which
// plugins inherit) makes it, as every Go plugin, write a CPU profile of its life to
// PREFIX-tributary-datagen.pprof when the kernel stops it (make bench -profile does).
//
// It knows the plugin protocol only through plugins/sdk and never touches Kafka or the
// kernel's state. It is built to bin/plugins/tributary-datagen and started by the kernel;
// run by hand it refuses to start.
package main
