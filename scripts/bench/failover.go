package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"
)

// benchFailover forms a 3-node cluster (bootstrap_expect 3, default lease and dead-after),
// runs one datagen connector, and per round SIGKILLs the node running its task, timing
// until a surviving node's admin API reports the task RUNNING on another node. Rounds
// alternate between that node being a follower and being the Raft leader (leadership is
// moved with the admin API's RaftTransferLeader first). The killed node is restarted and
// rejoins before the next round.
func benchFailover(ctx context.Context, env *benchEnv, t *table, rounds int) error {
	var nodes []*agent
	var join []string
	for i := 1; i <= 3; i++ {
		a, err := newAgent(env, agentOpts{id: fmt.Sprintf("fo%d", i)})
		if err != nil {
			return err
		}
		nodes = append(nodes, a)
		join = append(join, a.cluster)
	}
	defer func() {
		for _, a := range nodes {
			if a.proc != nil {
				a.shutdown()
			}
		}
	}()
	for _, a := range nodes {
		a.setJoin(join, 3)
		if err := a.launch(env); err != nil {
			return err
		}
	}
	for _, a := range nodes {
		if err := a.waitReady(); err != nil {
			return err
		}
	}
	if err := waitMembers(ctx, nodes[0], 3); err != nil {
		return err
	}
	topic := "failover"
	if err := env.kafka.createTopic(topic, 1); err != nil {
		return err
	}
	defer env.kafka.deleteTopic(topic)
	const conn = "failover-gen"
	if err := createConnector(ctx, nodes[0].client, conn, map[string]string{
		"connector.class": "datagen", "topic": topic, "rate": "1000", "value.type": "bytes",
		"value.converter": byteArrayConverter}); err != nil {
		return err
	}

	var times []time.Duration
	var notes []string
	for round := range rounds {
		st, err := waitRunning(ctx, nodes[0].client, conn, time.Minute)
		if err != nil {
			return err
		}
		victimID := st.Tasks[0].WorkerId
		var victim *agent
		var survivors []*agent
		for _, a := range nodes {
			if a.id == victimID {
				victim = a
			} else {
				survivors = append(survivors, a)
			}
		}
		if victim == nil {
			return fmt.Errorf("task runs on unknown node %q", victimID)
		}
		// Rounds alternate: the node running the task is a follower, or it is made the
		// Raft leader first, so the failover includes an election.
		lead := victim
		if round%2 == 0 {
			lead = survivors[round/2%len(survivors)]
		}
		if err := makeLeader(ctx, lead); err != nil {
			return fmt.Errorf("round %d: %w", round+1, err)
		}
		role := "follower"
		if m, err := members(ctx, survivors[0]); err == nil && m.LeaderId == victimID {
			role = "leader"
		}
		time.Sleep(time.Second) // let records flow on the victim

		victim.kill9()
		killed := time.Now()
		var took time.Duration
		var on string
		err = waitFor(ctx, "task RUNNING on a survivor", time.Minute, 5*time.Millisecond, func() (bool, error) {
			for _, s := range survivors {
				st, err := connectorStatus(ctx, s.client, conn)
				if err != nil || len(st.Tasks) == 0 {
					continue
				}
				tk := st.Tasks[0]
				if tk.State == "RUNNING" && tk.WorkerId != victimID {
					took, on = time.Since(killed), tk.WorkerId
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("round %d: %w", round+1, err)
		}
		times = append(times, took)
		notes = append(notes, role)
		fmt.Printf("   round %d: SIGKILL of %s (%s) → task RUNNING on %s after %s\n", round+1, victimID, role, on, ms(took))

		// Bring the node back for the next round.
		if err := victim.launch(env); err != nil {
			return err
		}
		if err := victim.waitReady(); err != nil {
			return err
		}
		if err := waitMembers(ctx, survivors[0], 3); err != nil {
			return err
		}
		time.Sleep(2 * time.Second)
	}
	_ = deleteConnector(ctx, nodes[0].client, conn)
	med := medianDuration(times)
	t.add(row{group: "failover", metric: "SIGKILL of the task's node → RUNNING elsewhere, 3 nodes", value: ms(med),
		baseline: "Kafka Connect: 300 s", target: "≤ 3 s median",
		verdict: verdict(med <= 3*time.Second, fmt.Sprintf("%.0f%% over", (med.Seconds()/3-1)*100))})
	for _, role := range []string{"follower", "leader"} {
		var rs []time.Duration
		for i, n := range notes {
			if n == role {
				rs = append(rs, times[i])
			}
		}
		if len(rs) > 0 {
			m := medianDuration(rs)
			t.add(row{metric: fmt.Sprintf("  the task's node was the Raft %s (median of %d)", role, len(rs)), value: ms(m),
				target: "≤ 3 s", verdict: verdict(m <= 3*time.Second, fmt.Sprintf("%.0f%% over", (m.Seconds()/3-1)*100))})
		}
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	t.add(row{metric: fmt.Sprintf("  p99 over %d kills (nearest rank: the slowest)", len(times)), value: ms(percentile(sorted, 99)),
		baseline: "Kafka Connect: 300 s"})
	t.add(row{group: "", metric: "  rounds (victim's role)", value: roundList(times, notes)})
	return nil
}

// makeLeader transfers Raft leadership to a node and waits until it leads.
func makeLeader(ctx context.Context, a *agent) error {
	return waitFor(ctx, "leadership moved to "+a.id, 30*time.Second, 200*time.Millisecond, func() (bool, error) {
		m, err := members(ctx, a)
		if err != nil {
			return false, err
		}
		if m.LeaderId == a.id {
			return true, nil
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err = a.client.RaftTransferLeader(cctx, &adminv1.RaftPeerRequest{Id: a.id})
		return false, err
	})
}

func roundList(times []time.Duration, notes []string) string {
	parts := make([]string, len(times))
	for i := range times {
		parts[i] = fmt.Sprintf("%s (%s)", ms(times[i]), notes[i])
	}
	return strings.Join(parts, ", ")
}

func members(ctx context.Context, via *agent) (*adminv1.ListMembersResponse, error) {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return via.client.ListMembers(cctx, &adminv1.ListMembersRequest{})
}

// waitMembers waits until via reports n alive members and a leader.
func waitMembers(ctx context.Context, via *agent, n int) error {
	return waitFor(ctx, fmt.Sprintf("%d alive members", n), time.Minute, 50*time.Millisecond, func() (bool, error) {
		m, err := members(ctx, via)
		if err != nil {
			return false, err
		}
		alive := slices.IndexFunc(m.Members, func(x *adminv1.Member) bool { return !x.Alive }) < 0
		return m.LeaderId != "" && len(m.Members) == n && alive, nil
	})
}
