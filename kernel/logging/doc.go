// Package logging gives the kernel's log/slog output named loggers whose levels can be
// changed while the node runs, as Kafka Connect's /admin/loggers changes log4j's: each
// logger (one per kernel package, one per plugin binary) has its own level, "root" sets
// them all, and a level set takes effect on the next line logged.
//
// It owns the levels and the names, not where lines go (the handler it wraps) or what
// is logged: it reads no config and touches no other package's state.
package logging
