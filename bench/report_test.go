package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestReportTargets(t *testing.T) {
	lost := int64(0)
	rep := &report{
		Date:   time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Server: serverInfo{URL: "http://x", PID: 1, IdleRSSMB: 25},
		// The tool's own bound differs from the server's: the server's decides.
		Hash: &hashCost{PerHash: 20 * time.Millisecond, Cores: 2, Limit: 100},
		Load: loadInfo{Clients: 32, DurationS: 10},
		Results: []*result{
			{Scenario: "healthz", Clients: 32, RPS: 10000},
			{Scenario: "me", Clients: 32, RPS: 2500},
			{Scenario: "refresh", Clients: 32, RPS: 1500, Lost: &lost},
			{Scenario: "login", Clients: 32, RPS: 48, P50Ms: 600, P99Ms: 800, ServerHash: &serverHash{PerHashMs: 40, Cores: 2, Limit: 50}},
			{Scenario: "users", Clients: 32, Requests: 10, P99Ms: 12},
			{Scenario: "signup", Clients: 32, Failed: "boom"},
			{Scenario: "logins-burst", Clients: 1000, PeakRSSMB: 300, Burst: &burstResult{Clients: 1000, Answered: 990, Timeouts: 10}},
		},
	}
	rep.finish()
	met := map[string]bool{}
	for _, tg := range rep.Targets {
		met[tg.Goal] = tg.Met
	}
	want := map[string]bool{
		"me ≥ 30% of healthz req/s":                       false, // 25 %
		"refresh ≥ 10% of healthz req/s":                  true,  // 15 %
		"refresh: no lost rotation":                       true,
		"login ≥ 95% of hash-bound limit":                 true, // 96 %
		"login p99 ≤ 1.5 × p50":                           true,
		"users page of 50: p99 ≤ 10 ms":                   false,
		"logins-burst: every one of 1000 logins answered": false,
		"logins-burst: server RSS ≤ 250 MB":               false,
		"idle RSS ≤ 30 MB":                                true,
	}
	for goal, w := range want {
		if got, ok := met[goal]; !ok || got != w {
			t.Errorf("target %q: met %v (present %v), want %v", goal, got, ok, w)
		}
	}
	if len(met) != len(want) {
		t.Errorf("targets %v, want exactly %d", rep.Targets, len(want))
	}
	var text, js bytes.Buffer
	if err := rep.writeText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"25% of healthz", "96% of hash bound 50.0/s (server: 40.0 ms/hash)", "48% of the tool's bound", "FAILED: boom", "answered 990/1000 (0 refused)", "MISSED"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, text.String())
		}
	}
	if err := rep.writeJSON(&js); err != nil || !json.Valid(js.Bytes()) {
		t.Errorf("writeJSON: %v", err)
	}
}

func TestServerHashFromTotals(t *testing.T) {
	start := hashTotals{hashes: 10, seconds: 0.5}
	end := hashTotals{hashes: 110, seconds: 4.5} // 100 hashes in 4 s
	sh := end.since(start)
	if sh == nil || sh.Hashes != 100 || sh.PerHashMs != 40 {
		t.Fatalf("since = %+v, want 100 hashes of 40 ms", sh)
	}
	if want := float64(sh.Cores) / 0.040; sh.Limit < want-0.01 || sh.Limit > want+0.01 {
		t.Errorf("limit %.2f/s, want cores ÷ 40 ms = %.2f/s", sh.Limit, want)
	}
	if end.since(end) != nil {
		t.Error("a window without hashes has no cost")
	}
}
