package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Two instances on one database deliver each event once per webhook: both
// workers claim from the one outbox, and a claim holds a delivery for one
// of them. Sign-ups alternate between the instances; the receiver counts
// the deliveries of each webhook-id.
func TestInstancesDeliverEachEventOncePerWebhook(t *testing.T) {
	t.Parallel()
	a, b := startAndHook(t)
	h1, h2 := a.receivers[0], a.receivers[1]
	const n = 12
	for i := range n {
		ts := a.server
		if i%2 == 1 {
			ts = b
		}
		ts.signup(t, fmt.Sprintf("twin%d", i), testPassword)
	}
	for _, h := range []*hookReceiver{h1, h2} {
		got := h.waitFor(t, fmt.Sprintf("%d sign-ups", n), func(g []hookReceived) bool { return len(delivered(g, "user.signed_up")) >= n })
		time.Sleep(300 * time.Millisecond) // a second delivery of any would come now
		seen := map[string]int{}
		for _, d := range delivered(h.received(), "user.signed_up") {
			seen[d.ID]++
			if d.SigErr != nil {
				t.Errorf("delivery %s: signature refused: %v", d.ID, d.SigErr)
			}
		}
		if len(seen) != n {
			t.Errorf("distinct sign-ups delivered: %d, want %d (%d requests)", len(seen), n, len(got))
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("event %s delivered %d times to one webhook, want once", id, c)
			}
		}
	}
}

type hookedInstance struct {
	server    *testServer
	receivers []*hookReceiver
}

// startAndHook starts two instances with fast polling and two webhooks
// (one receiver each) for sign-ups.
func startAndHook(t *testing.T) (hookedInstance, *testServer) {
	t.Helper()
	servers := startInstances(t, 2, withWebhooks(50*time.Millisecond))
	// The instance that made the bootstrap token logged it.
	if !strings.Contains(servers[0].logs.String(), "bootstrap_token=") {
		servers[0], servers[1] = servers[1], servers[0]
	}
	root := servers[0].admin(t)
	hooks := []*hookReceiver{startHookReceiver(t), startHookReceiver(t)}
	for _, h := range hooks {
		subscribe(t, servers[0], root.AccessToken, h, "user.signed_up")
	}
	return hookedInstance{server: servers[0], receivers: hooks}, servers[1]
}
