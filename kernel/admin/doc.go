// Package admin is the operator's door into a Tributary node: the admin gRPC service
// (tributary.admin.v1.Admin, with gRPC health and server reflection so grpcurl needs no
// .proto files) and, mapped onto the same methods, the Kafka Connect–compatible REST API.
//
// The service is a face: it holds no state and makes no decision of its own. Reads are
// answered from the node's local replica of the replicated state, and refused (503,
// Retry-After) while that replica is still catching up after a restart, never answered
// from an old snapshot; statuses say what the node knows of the cluster (Config.Health):
// tasks on nodes that missed their lease show UNASSIGNED, and an answer with no leader
// says so. Writes are state commands submitted through state.Store, which forwards them
// to the Raft leader; connector configs are written by the herder (kernel/herder.Configs),
// which checks them (kernel/config and the plugin's own Validate) and splits them into
// task configs before they are written, so an invalid config never reaches the state.
// Secret config values are masked in every answer, including errors in which a plugin
// quotes them. Lifecycle and offsets follow Kafka Connect: pause, stop, resume and
// restart (includeTasks, onlyFailed, one task), and offsets read in any state but altered
// or reset only while a connector is STOPPED.
//
// Beyond Kafka Connect's calls: WatchStatus streams statuses as they change (the
// replica's change signal, and a recheck each second for what Health says);
// DescribeConnectors answers `connectors list` in one read; GetLag reads a sink's end
// offsets from Kafka; GetWorker describes the workers as a Strimzi KafkaConnect; and
// GetLoggers / SetLogLevel change the node's named loggers (kernel/logging), which the
// REST API's /admin/loggers with scope=cluster calls on every member.
package admin
