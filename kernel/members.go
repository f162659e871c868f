package kernel

import (
	"github.com/hashicorp/raft"

	"github.com/tributary-dev/tributary/kernel/state"
	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// members joins the three views of the cluster an operator wants side by side: the nodes
// registered in the state, the Raft configuration (voter or not), and the leader's
// liveness record.
func (n *Node) members() []*adminv1.Member {
	c := n.Cluster
	leader := c.LeaderID()
	suffrage := map[string]raft.ServerSuffrage{}
	if servers, err := c.Servers(); err == nil {
		for _, s := range servers {
			suffrage[string(s.ID)] = s.Suffrage
		}
	}
	live := c.Live()
	var out []*adminv1.Member
	c.Read(func(s *state.State) {
		for _, nd := range s.Nodes() {
			m := &adminv1.Member{
				Id: nd.Id, RaftAddr: nd.RaftAddr, RpcAddr: nd.RpcAddr, AdminAddr: nd.AdminAddr,
				Voter: suffrage[nd.Id] == raft.Voter, Leader: nd.Id == leader,
				Tasks: int32(len(s.AssignmentsOf(nd.Id))), Plugins: nd.Plugins,
				LastContactMs: -1, Alive: live[nd.Id],
			}
			if _, inRaft := suffrage[nd.Id]; !inRaft {
				m.Voter = false
			}
			if d, ok := c.LastContact(nd.Id); ok && c.IsLeader() {
				m.LastContactMs = d.Milliseconds()
			}
			out = append(out, m)
		}
	})
	return out
}
