package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/kernel/logging"
	"github.com/tributary-dev/tributary/kernel/security"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// upstreamLoggers maps the log4j logger names Kafka Connect users set (a package or a
// class, matched by prefix, longest first) to the Tributary logger that logs what they
// log, so a runbook's "PUT /admin/loggers/org.apache.kafka.connect.runtime" still works.
var upstreamLoggers = []struct{ prefix, logger string }{
	{"org.apache.kafka.connect.runtime.distributed", logging.Kernel + ".scheduler"},
	{"org.apache.kafka.connect.runtime.rest", logging.Kernel + ".admin"},
	{"org.apache.kafka.connect.runtime.isolation", logging.Kernel + ".pluginhost"},
	{"org.apache.kafka.connect.runtime", logging.Kernel + ".runtime"},
	{"org.apache.kafka.connect.file", logging.PluginPrefix + "file"},
	{"org.apache.kafka.connect", logging.Kernel},
	{"org.apache.kafka.clients", logging.Kernel + ".runtime"},
	{"io.debezium", logging.PluginPrefix + "postgres"},
	{"io.confluent.connect.jdbc", logging.PluginPrefix + "jdbc"},
	{"io.confluent.connect.elasticsearch", logging.PluginPrefix + "elasticsearch"},
	{"io.confluent.connect.s3", logging.PluginPrefix + "s3"},
	{"io.confluent.connect.http", logging.PluginPrefix + "http"},
	{"com.github.castorm.kafka.connect.http", logging.PluginPrefix + "http"},
	{"com.redis.kafka.connect", logging.PluginPrefix + "redis"},
	{"com.github.jcustenborder.kafka.connect.redis", logging.PluginPrefix + "redis"},
}

// loggerName is the Tributary logger a requested name stands for: itself, or for an
// upstream (log4j) name the logger upstreamLoggers maps it to.
func loggerName(name string) string {
	for _, u := range upstreamLoggers {
		if name == u.prefix || strings.HasPrefix(name, u.prefix+".") {
			return u.logger
		}
	}
	return name
}

// GetLoggers implements adminv1.AdminServer: this node's loggers and their levels. A
// Kafka Connect logger name (org.apache.kafka.connect.runtime, io.debezium, …) answers
// for the Tributary logger that logs the same.
func (s *Service) GetLoggers(_ context.Context, req *adminv1.GetLoggersRequest) (*adminv1.GetLoggersResponse, error) {
	if req.GetName() != "" {
		req = &adminv1.GetLoggersRequest{Name: loggerName(req.GetName())}
	}
	resp := &adminv1.GetLoggersResponse{}
	if s.cfg.Loggers == nil {
		if req.GetName() != "" {
			return nil, status.Errorf(codes.NotFound, "Logger %s not found.", req.GetName())
		}
		return resp, nil
	}
	for _, lg := range s.cfg.Loggers.List() {
		if req.GetName() != "" && lg.Name != req.GetName() {
			continue
		}
		l := &adminv1.LoggerLevel{Logger: lg.Name, Level: logging.LevelName(lg.Level)}
		if !lg.LastModified.IsZero() {
			l.LastModifiedMs = lg.LastModified.UnixMilli()
		}
		resp.Loggers = append(resp.Loggers, l)
	}
	if req.GetName() != "" && len(resp.Loggers) == 0 {
		return nil, status.Errorf(codes.NotFound, "Logger %s not found.", req.GetName())
	}
	return resp, nil
}

// SetLogLevel implements adminv1.AdminServer: the logger, and every logger below it,
// writes at level from the next line on, on this node.
func (s *Service) SetLogLevel(_ context.Context, req *adminv1.SetLogLevelRequest) (*adminv1.SetLogLevelResponse, error) {
	if s.cfg.Loggers == nil {
		return nil, status.Errorf(codes.FailedPrecondition, "node %s has no adjustable loggers", s.cfg.NodeID)
	}
	name := loggerName(strings.TrimSpace(req.GetName()))
	if name == "" {
		return nil, status.Error(codes.InvalidArgument, "name the logger to set (root sets every logger)")
	}
	level, err := logging.ParseLevel(req.GetLevel())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	changed := s.cfg.Loggers.Set(name, level)
	// Logged at WARN, so the change shows whatever the new level is.
	s.log.Warn("log level set", "logger", name, "level", logging.LevelName(level), "loggers", len(changed))
	return &adminv1.SetLogLevelResponse{Changed: changed}, nil
}

// setClusterLogLevel sets the level on every member: this node directly, the others
// through their admin service. It tries them all and reports those it could not reach.
func (s *Service) setClusterLogLevel(ctx context.Context, name, level string) error {
	if _, err := logging.ParseLevel(level); err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	req := &adminv1.SetLogLevelRequest{Name: name, Level: level}
	members, _ := s.members()
	if s.cfg.Operator != nil {
		if resp, err := s.cfg.Operator.Members(ctx); err == nil {
			members = resp.Members
		}
	}
	var failed []string
	self := false
	for _, m := range members {
		if m.Id == s.cfg.NodeID {
			self = true
			if _, err := s.SetLogLevel(ctx, req); err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", m.Id, status.Convert(err).Message()))
			}
			continue
		}
		if err := s.setRemoteLogLevel(ctx, m.AdminAddr, req); err != nil {
			failed = append(failed, fmt.Sprintf("%s (%s): %v", m.Id, m.AdminAddr, status.Convert(err).Message()))
		}
	}
	if !self {
		if _, err := s.SetLogLevel(ctx, req); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return status.Errorf(codes.Unavailable, "log level of %s set to %s on every node but: %s", name, level, strings.Join(failed, "; "))
	}
	return nil
}

func (s *Service) setRemoteLogLevel(ctx context.Context, addr string, req *adminv1.SetLogLevelRequest) error {
	if addr == "" {
		return status.Error(codes.Unavailable, "no admin address known")
	}
	opts := s.cfg.AdminDialOptions
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	ctx = security.ForwardAuth(ctx)
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return err
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = adminv1.NewAdminClient(cc).SetLogLevel(ctx, req)
	return err
}

// ---- REST: KIP-495 and KIP-976 ----

type loggerLevelJSON struct {
	Level        string `json:"level"`
	LastModified *int64 `json:"last_modified"`
}

func loggerJSON(l *adminv1.LoggerLevel) loggerLevelJSON {
	out := loggerLevelJSON{Level: l.GetLevel()}
	if l.GetLastModifiedMs() != 0 {
		ms := l.GetLastModifiedMs()
		out.LastModified = &ms
	}
	return out
}

// listLoggers answers GET /admin/loggers: {"<logger>": {"level", "last_modified"}}.
func (r *rest) listLoggers(w http.ResponseWriter, req *http.Request) error {
	resp, err := r.s.GetLoggers(req.Context(), &adminv1.GetLoggersRequest{})
	if err != nil {
		return err
	}
	out := map[string]loggerLevelJSON{}
	for _, l := range resp.Loggers {
		out[l.Logger] = loggerJSON(l)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getLogger answers GET /admin/loggers/{logger}: {"level", "last_modified"}.
func (r *rest) getLogger(w http.ResponseWriter, req *http.Request) error {
	resp, err := r.s.GetLoggers(req.Context(), &adminv1.GetLoggersRequest{Name: req.PathValue("logger")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, loggerJSON(resp.Loggers[0]))
	return nil
}

// putLogger answers PUT /admin/loggers/{logger} {"level": …}: with scope=worker (the
// default; an unknown scope is taken as worker, as upstream) 200 and the loggers set on
// this node; with scope=cluster 204 once every node has it.
func (r *rest) putLogger(w http.ResponseWriter, req *http.Request) error {
	var body map[string]any
	if err := decodeBody(req, &body); err != nil {
		return err
	}
	level, _ := body["level"].(string)
	if level == "" {
		return badRequest("Desired 'level' parameter was not specified in request.")
	}
	if _, err := logging.ParseLevel(level); err != nil {
		return &httpError{http.StatusNotFound, fmt.Sprintf("invalid log level '%s'.", level)}
	}
	name := req.PathValue("logger")
	if strings.EqualFold(req.URL.Query().Get("scope"), "cluster") {
		if err := r.s.setClusterLogLevel(req.Context(), name, level); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	resp, err := r.s.SetLogLevel(req.Context(), &adminv1.SetLogLevelRequest{Name: name, Level: level})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp.Changed)
	return nil
}
