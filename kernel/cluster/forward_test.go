package cluster

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestForwardedWriteGoesToTheNextLeaderWhileTheOldOneStalls: the leader stalls (its
// cluster service accepts a forwarded write and never answers, as a SIGSTOPped process
// does) and is cut off from the others, who elect a new leader. A follower's write must
// be applied by the new leader while the old one is still stalled, not wait on it until
// the caller's deadline.
func TestForwardedWriteGoesToTheNextLeaderWhileTheOldOneStalls(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three raft nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := startFencingCluster(t, ctx, 500*time.Millisecond)
	old := c.leader(nil)
	var follower *Node
	for _, n := range c.nodes {
		if n != old {
			follower = n
			break
		}
	}

	release := make(chan struct{})
	stalled := make(chan struct{}, 16)
	hook := func() {
		stalled <- struct{}{}
		<-release
	}
	old.rpcApplyHook.Store(&hook)
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	for _, n := range c.nodes {
		if n == old {
			continue
		}
		c.trans[old.ID()].setCut(n.ID(), true)
		c.trans[n.ID()].setCut(old.ID(), true)
	}

	done := make(chan error, 1)
	go func() {
		_, err := follower.Apply(context.Background(), putConnector("written-during-the-stall"))
		done <- err
	}()
	select {
	case <-stalled: // the first try reached the stalled leader, as the test means
	case err := <-done:
		t.Fatalf("the write returned (%v) before it reached the stalled leader; the test needs it to try the old leader first", err)
	}
	var err error
	testsvc.Eventually(t, testsvc.WaitLimit, "the forwarded write to return", func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	if err != nil {
		t.Fatalf("the write failed while the old leader stalled: %v; want it applied by the new leader", err)
	}
	if l := c.leader(old); l == nil || !slices.Contains(connectorNames(l), "written-during-the-stall") {
		t.Errorf("the new leader does not hold the connector written during the stall")
	}
	close(release)
	released = true
}
