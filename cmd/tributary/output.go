package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// rpcTimeout bounds one client command's calls. A node bounds each plugin call itself, so
// this is only reached when the node cannot be reached.
const rpcTimeout = 2 * time.Minute

// withAdmin runs fn with a client of the admin service at --addr and turns the gRPC
// error it returns into the plain message the user should read.
func withAdmin(cmd *cobra.Command, fn func(ctx context.Context, c adminv1.AdminClient) error) error {
	c, done, err := dialAdmin()
	if err != nil {
		return fmt.Errorf("admin address %s: %w", flags.addr, err)
	}
	defer done()
	ctx, cancel := context.WithTimeout(cmd.Context(), rpcTimeout)
	defer cancel()
	return explain(cmd.Context(), c, fn(ctx, c))
}

// explain turns err into what the user should read. An UNAVAILABLE answer from a node
// that does answer is not "cannot reach": the node is asked what it knows, and a cluster
// with no leader is said to be one, with how many voters the node can reach.
func explain(ctx context.Context, c adminv1.AdminClient, err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unavailable {
		return rpcError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	info, ierr := c.ServerInfo(ctx, &adminv1.ServerInfoRequest{})
	if ierr != nil {
		return rpcError(err) // the node itself cannot be reached
	}
	if info.LeaderId == "" && info.Voters > 0 {
		return fmt.Errorf("no leader elected (%d of %d peers reachable from node %s): %s",
			info.VotersReachable, info.Voters, info.NodeId, st.Message())
	}
	return errors.New(st.Message())
}

// rpcError returns a gRPC status's message alone, without the "rpc error: code = …"
// wrapping; a node that cannot be reached also gets a hint where the CLI looked.
func rpcError(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if st.Code() == codes.Unavailable || (st.Code() == codes.DeadlineExceeded && strings.Contains(st.Message(), "context deadline")) {
		return fmt.Errorf("cannot reach a Tributary node at %s (set --addr or TRIBUTARY_ADDR): %s", flags.addr, st.Message())
	}
	return errors.New(st.Message())
}

// jsonOutput reports whether -o asks for JSON.
func jsonOutput() (bool, error) {
	switch strings.ToLower(flags.output) {
	case "json":
		return true, nil
	case "", "table", "text":
		return false, nil
	}
	return false, fmt.Errorf("unknown output format %q: use table or json", flags.output)
}

// printProto writes m as protojson, field names as in the .proto (the REST API's
// snake_case), every field present, indented by encoding/json: protojson varies its
// spacing on purpose, and output people diff and scripts read should not.
func printProto(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return err
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = out.WriteTo(w)
	return err
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// table writes aligned columns; call flush when done.
type table struct {
	w   io.Writer
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		// A tab or newline inside a cell would break the columns.
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", "").Replace(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// flush writes the table, without the padding an empty last cell leaves.
func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(t.buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimSuffix(l, "\n"), " ")
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	_, err := io.WriteString(t.w, strings.Join(lines, ""))
	return err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// firstLine is a stack trace's first line, for a table cell.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
