// Command tributary-file is the file connector plugin: a source that follows a text file
// line by line and a sink that appends one line per record, compatible with Apache Kafka
// Connect's FileStreamSourceConnector and FileStreamSinkConnector (their class names are
// aliases, and the source's partition and offset maps are the same, so offsets carry over).
//
// It owns reading and writing local files for those two connectors and nothing else: it
// knows the plugin protocol only through plugins/sdk, and never touches Kafka, the
// kernel's state or other connectors. It is built to bin/plugins/tributary-file and
// started by the kernel; run by hand it refuses to start.
package main
