package main

import (
	"context"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// A poll whose context ends while a relation message is being looked up in the catalog
// must not lose that message: it is already taken from the stream, and the changes after
// it cannot be decoded without it. (Under load a poll's deadline often falls there.)
func TestPollEndingDuringRelationLookupLosesNothing(t *testing.T) {
	pg := startPG(t)
	pg.Exec(`CREATE TABLE public.items (id int PRIMARY KEY, name text)`)
	tk := openTask(t, baseConfig(pg, "snapshot.mode", "no_data"))
	pollQuiet(t, tk, 300*time.Millisecond) // streaming has started
	pg.Exec(`INSERT INTO items VALUES (1, 'a')`)
	// BEGIN, RELATION, INSERT and COMMIT wait in the reader's channel.
	testsvc.Eventually(t, testsvc.WaitLimit, "the insert's messages to arrive", func() bool { return len(tk.reader.messages) >= 4 })

	ended, cancel := context.WithCancel(context.Background())
	cancel()
	recs, err := tk.Poll(ended)
	if err != nil {
		t.Fatalf("a poll whose context had ended failed: %v", err)
	}
	recs = append(recs, pollUntil(t, tk, 1-len(recs), 20*time.Second)...)
	if len(recs) != 1 || op(recs[0]) != "c" || after(recs[0]).Get("id") != int32(1) {
		t.Fatalf("polled %v, want the insert of id 1", recs)
	}
}
