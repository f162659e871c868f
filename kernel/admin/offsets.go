package admin

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
	clusterv1 "github.com/tributary-dev/tributary/proto/tributary/cluster/v1"
)

// The answers Kafka Connect gives to a successful PATCH and DELETE of
// /connectors/{name}/offsets.
const (
	msgOffsetsAltered = "The offsets for this connector have been altered successfully"
	msgOffsetsReset   = "The offsets for this connector have been reset successfully"
)

// The keys of a sink connector's partitions and offsets, as Kafka Connect names them.
const (
	sinkTopicKey     = "kafka_topic"
	sinkPartitionKey = "kafka_partition"
	sinkOffsetKey    = "kafka_offset"
)

// sinkPartition and sinkOffset are Kafka Connect's JSON shapes of a sink connector's
// partition and offset.
type sinkPartition struct {
	Topic     string `json:"kafka_topic"`
	Partition int32  `json:"kafka_partition"`
}

type sinkOffset struct {
	Offset int64 `json:"kafka_offset"`
}

// GetOffsets implements adminv1.AdminServer: the committed offsets, source partitions and
// offsets as the connector wrote them, sink ones in Kafka Connect's
// {"kafka_topic","kafka_partition"} → {"kafka_offset"} shape. It answers in any state.
func (s *Service) GetOffsets(_ context.Context, req *adminv1.ConnectorRequest) (*adminv1.Offsets, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	var (
		found  bool
		source []*clusterv1.SourceOffset
		sink   []*clusterv1.SinkOffset
	)
	s.cfg.Store.Read(func(st *state.State) {
		if st.Connector(req.GetName()) == nil {
			return
		}
		found = true
		source, sink = st.SourceOffsets(req.GetName()), st.SinkOffsets(req.GetName())
	})
	if !found {
		return nil, notFound(req.GetName())
	}
	out := &adminv1.Offsets{}
	for _, o := range source {
		out.Offsets = append(out.Offsets, &adminv1.Offset{Partition: string(o.Partition), Offset: string(o.Offset)})
	}
	for _, o := range sink {
		p, _ := json.Marshal(sinkPartition{o.Topic, o.Partition})
		off, _ := json.Marshal(sinkOffset{o.Offset})
		out.Offsets = append(out.Offsets, &adminv1.Offset{Partition: string(p), Offset: string(off)})
	}
	return out, nil
}

// AlterOffsets implements adminv1.AdminServer: PATCH /connectors/{name}/offsets. The
// connector must be STOPPED. Each offset sets its partition's, or with a null offset
// removes it; partitions not named keep theirs. Source partitions and offsets are JSON
// objects; sink ones are {"kafka_topic","kafka_partition"} and {"kafka_offset"}, the next
// offset to deliver, which the sink reads from once resumed.
func (s *Service) AlterOffsets(ctx context.Context, req *adminv1.AlterOffsetsRequest) (*adminv1.Message, error) {
	name := req.GetName()
	if len(req.GetOffsets()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "Partitions / offsets need to be provided for an alter offsets request")
	}
	c, err := s.stoppedConnector(name)
	if err != nil {
		return nil, err
	}
	cmd := &clusterv1.AlterOffsets{Connector: name}
	if c.Type == clusterv1.ConnectorType_CONNECTOR_TYPE_SINK {
		for _, o := range req.GetOffsets() {
			so, err := parseSinkOffset(o)
			if err != nil {
				return nil, err
			}
			cmd.Sink = append(cmd.Sink, so)
		}
	} else {
		// A partition given in another spelling than the connector wrote it (spaces, key
		// order) still names the stored one.
		stored := map[string][]byte{}
		s.cfg.Store.Read(func(st *state.State) {
			for _, o := range st.SourceOffsets(name) {
				stored[canonicalJSON(string(o.Partition))] = o.Partition
			}
		})
		for _, o := range req.GetOffsets() {
			so, err := parseSourceOffset(o)
			if err != nil {
				return nil, err
			}
			if p, ok := stored[string(so.Partition)]; ok {
				so.Partition = p
			}
			cmd.Source = append(cmd.Source, so)
		}
	}
	if err := s.applyOffsets(ctx, name, cmd); err != nil {
		return nil, err
	}
	s.log.Info("connector offsets altered", "connector", name, "partitions", len(req.GetOffsets()))
	return &adminv1.Message{Message: msgOffsetsAltered}, nil
}

// ResetOffsets implements adminv1.AdminServer: DELETE /connectors/{name}/offsets. The
// connector must be STOPPED. Every offset goes: once resumed, a source starts from the
// beginning of its data, a sink from the earliest offset of each partition.
func (s *Service) ResetOffsets(ctx context.Context, req *adminv1.ConnectorRequest) (*adminv1.Message, error) {
	name := req.GetName()
	if _, err := s.stoppedConnector(name); err != nil {
		return nil, err
	}
	if err := s.applyOffsets(ctx, name, &clusterv1.AlterOffsets{Connector: name, ResetOffsets: true}); err != nil {
		return nil, err
	}
	s.log.Info("connector offsets reset", "connector", name)
	return &adminv1.Message{Message: msgOffsetsReset}, nil
}

// stoppedConnector returns the named connector if it is STOPPED. The state machine checks
// again when the change is applied; checking first answers a running connector with
// "stop it" rather than with what is wrong with offsets it would refuse anyway, as
// Kafka Connect does.
func (s *Service) stoppedConnector(name string) (*clusterv1.Connector, error) {
	c := s.connector(name)
	if c == nil {
		return nil, notFound(name)
	}
	if c.TargetState != clusterv1.TargetState_TARGET_STATE_STOPPED {
		return nil, notStopped(name)
	}
	return c, nil
}

// notStopped is Kafka Connect's refusal to change the offsets of a connector that is not
// STOPPED.
func notStopped(name string) error {
	return status.Errorf(codes.FailedPrecondition,
		"Connectors must be in the STOPPED state before their offsets can be modified. "+
			"This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name)
}

func (s *Service) applyOffsets(ctx context.Context, name string, cmd *clusterv1.AlterOffsets) error {
	_, err := s.apply(ctx, &clusterv1.Command{Cmd: &clusterv1.Command_AlterOffsets{AlterOffsets: cmd}})
	if status.Code(err) == codes.FailedPrecondition {
		return notStopped(name) // resumed since we looked
	}
	return connectorErr(name, err)
}

// isNull reports whether a JSON text given for a partition or offset is absent or null.
func isNull(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "null"
}

// jsonObject decodes s as a JSON object whose values stay raw; ok is false for anything
// else.
func jsonObject(s string) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// parseSourceOffset checks a source partition and offset: the partition a JSON object,
// the offset a JSON object or null (remove). The partition comes back canonical (see
// canonicalJSON), the offset as given.
func parseSourceOffset(o *adminv1.Offset) (*clusterv1.SourceOffset, error) {
	if isNull(o.GetPartition()) {
		return nil, status.Error(codes.InvalidArgument, "The partition for a source connector offset cannot be null or missing")
	}
	if _, ok := jsonObject(o.GetPartition()); !ok {
		return nil, status.Errorf(codes.InvalidArgument,
			"The partition for a source connector offset must be a JSON object, got %s", o.GetPartition())
	}
	so := &clusterv1.SourceOffset{Partition: []byte(canonicalJSON(o.GetPartition()))}
	if !isNull(o.GetOffset()) {
		off := strings.TrimSpace(o.GetOffset())
		if _, ok := jsonObject(off); !ok {
			return nil, status.Errorf(codes.InvalidArgument,
				"The offset for a source connector must either be null or a JSON object, got %s", o.GetOffset())
		}
		so.Offset = []byte(off)
	}
	return so, nil
}

// parseSinkOffset checks a sink partition and offset as Kafka Connect does
// (SinkUtils.parseSinkConnectorOffsets), with its messages: the partition
// {"kafka_topic": <string>, "kafka_partition": <int>}, the offset {"kafka_offset": <long>}
// or null (remove); numbers may also be given as strings. Tributary also refuses negative
// partitions and offsets. A removed partition's offset is -1.
func parseSinkOffset(o *adminv1.Offset) (*clusterv1.SinkOffset, error) {
	if isNull(o.GetPartition()) {
		return nil, status.Error(codes.InvalidArgument, "The partition for a sink connector offset cannot be null or missing")
	}
	p, ok := jsonObject(o.GetPartition())
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument,
			"The partition for a sink connector offset must be a JSON object with the keys '%s' and '%s', got %s",
			sinkTopicKey, sinkPartitionKey, o.GetPartition())
	}
	rawTopic, hasTopic := p[sinkTopicKey]
	rawPartition, hasPartition := p[sinkPartitionKey]
	if !hasTopic || !hasPartition {
		return nil, status.Errorf(codes.InvalidArgument,
			"The partition for a sink connector offset must contain the keys '%s' and '%s'", sinkTopicKey, sinkPartitionKey)
	}
	var topic string
	if err := json.Unmarshal(rawTopic, &topic); err != nil || isNull(string(rawTopic)) || topic == "" {
		return nil, status.Error(codes.InvalidArgument, "Kafka topic names must be valid strings and may not be null")
	}
	if isNull(string(rawPartition)) {
		return nil, status.Error(codes.InvalidArgument, "Kafka partitions must be valid numbers and may not be null")
	}
	partition, err := jsonInt(rawPartition, 32)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument,
			"Failed to parse the following Kafka partition value in the provided offsets: '%s'. "+
				"Partition values for sink connectors need to be non-negative integers.", err)
	}
	so := &clusterv1.SinkOffset{Topic: topic, Partition: int32(partition), Offset: -1}
	if isNull(o.GetOffset()) {
		return so, nil
	}
	off, ok := jsonObject(o.GetOffset())
	rawOffset, hasOffset := off[sinkOffsetKey]
	if !ok || !hasOffset {
		return nil, status.Errorf(codes.InvalidArgument,
			"The offset for a sink connector should either be null or contain the key '%s'", sinkOffsetKey)
	}
	if so.Offset, err = jsonInt(rawOffset, 64); err != nil {
		return nil, status.Errorf(codes.InvalidArgument,
			"Failed to parse the following Kafka offset value in the provided offsets: '%s'. "+
				"Offset values for sink connectors need to be non-negative integers.", err)
	}
	return so, nil
}

// jsonInt reads a non-negative whole number given as a JSON number or string. Its error
// is the value as given, for the caller's message.
func jsonInt(raw json.RawMessage, bits int) (int64, error) {
	text := strings.TrimSpace(string(raw))
	var str string
	if json.Unmarshal(raw, &str) == nil {
		text = str
	}
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, bits)
	if err != nil || n < 0 {
		return 0, valueError(text)
	}
	return n, nil
}

// valueError carries a value that could not be read.
type valueError string

func (v valueError) Error() string { return string(v) }

// canonicalJSON re-encodes a JSON object with sorted keys and no spaces, the form a
// source partition is stored in, so the same partition written two ways is one key.
func canonicalJSON(s string) string {
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(b)
}
