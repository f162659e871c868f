// Command tributary-s3 is the S3 sink connector plugin, accepted as Confluent's
// io.confluent.connect.s3.S3SinkConnector with its keys: it writes each Kafka partition's
// records into objects named as Confluent names them
// (<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.<ext>), as
// JSON lines, raw bytes, Parquet or Avro, spread over directories by the Default, Field or
// TimeBased (Daily, Hourly) partitioner, rotated by flush.size, rotate.interval.ms and
// rotate.schedule.interval.ms. Flush reports only offsets whose records are in uploaded
// objects, and a file's name depends only on its first record, so after a crash the same
// objects are written again with the same records (exactly once, for rotations that
// depend on the records alone).
//
// It owns the keys (config.go), the partitioners and time extractors (partitioner.go,
// pathformat.go: Joda-Time's path.format), the formats (format.go, jsonvalue.go,
// parquet.go, avro.go), rotation and object names per partition (writer.go), uploads
// (storage.go) and the task's offsets (task.go). It knows the plugin protocol only
// through plugins/sdk and never touches Kafka, the kernel's state or other connectors. It
// is built to bin/plugins/tributary-s3 and started by the kernel; run by hand it refuses
// to start.
package main
