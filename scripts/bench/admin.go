package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

const byteArrayConverter = "org.apache.kafka.connect.converters.ByteArrayConverter"

func createConnector(ctx context.Context, cl adminv1.AdminClient, name string, config map[string]string) error {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := cl.CreateConnector(cctx, &adminv1.CreateConnectorRequest{Name: name, Config: config}); err != nil {
		return fmt.Errorf("create connector %s: %w", name, err)
	}
	return nil
}

func deleteConnector(ctx context.Context, cl adminv1.AdminClient, name string) error {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := cl.DeleteConnector(cctx, &adminv1.ConnectorRequest{Name: name}); err != nil {
		return fmt.Errorf("delete connector %s: %w", name, err)
	}
	return nil
}

func connectorStatus(ctx context.Context, cl adminv1.AdminClient, name string) (*adminv1.ConnectorStatus, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return cl.GetConnectorStatus(cctx, &adminv1.ConnectorRequest{Name: name})
}

// allRunning reports whether a connector has tasks and all of them are RUNNING; a FAILED
// task ends the wait with an error.
func allRunning(st *adminv1.ConnectorStatus) (bool, error) {
	if len(st.GetTasks()) == 0 {
		return false, nil
	}
	for _, t := range st.Tasks {
		switch t.State {
		case "RUNNING":
		case "FAILED":
			return true, fmt.Errorf("task %d FAILED on %s: %s", t.Id, t.WorkerId, t.Trace)
		default:
			return false, nil
		}
	}
	return true, nil
}

func waitRunning(ctx context.Context, cl adminv1.AdminClient, name string, timeout time.Duration) (*adminv1.ConnectorStatus, error) {
	var st *adminv1.ConnectorStatus
	err := waitFor(ctx, "connector "+name+" RUNNING", timeout, 20*time.Millisecond, func() (bool, error) {
		var err error
		if st, err = connectorStatus(ctx, cl, name); err != nil {
			return false, err
		}
		return allRunning(st)
	})
	return st, err
}

// metricSum scrapes the node's Prometheus metrics and sums the samples of a metric whose
// connector label is connector.
func metricSum(ctx context.Context, a *agent, metric, connector string) (float64, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, "http://"+a.rest+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var sum float64
	label := fmt.Sprintf(`connector=%q`, connector)
	for line := range strings.SplitSeq(string(body), "\n") {
		if !strings.HasPrefix(line, metric+"{") || !strings.Contains(line, label) {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			v, err := strconv.ParseFloat(line[i+1:], 64)
			if err == nil {
				sum += v
			}
		}
	}
	return sum, nil
}
