package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one run measured.
type report struct {
	Date    time.Time  `json:"date"`
	Machine machine    `json:"machine"`
	Server  serverInfo `json:"server"`
	Hash    *hashCost  `json:"hashCost,omitempty"`
	Load    loadInfo   `json:"load"`
	Results []*result  `json:"results"`
	Targets []target   `json:"targets"`
}

type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	MemTotalMB int    `json:"memTotalMB"`
	Go         string `json:"go"`
	OS         string `json:"os"`
}

type serverInfo struct {
	URL       string  `json:"url"`
	PID       int     `json:"pid,omitempty"`
	Started   bool    `json:"startedByTool"`
	Args      string  `json:"args,omitempty"`
	IdleRSSMB float64 `json:"idleRSSMB,omitempty"` // 0: not measured
}

type loadInfo struct {
	Clients    int     `json:"clients"`
	WarmupS    float64 `json:"warmupSeconds"`
	DurationS  float64 `json:"durationSeconds"`
	Population int     `json:"population"`
}

// result is one row of the table.
type result struct {
	Scenario       string         `json:"scenario"`
	Clients        int            `json:"clients"`
	DurationS      float64        `json:"durationSeconds"`
	Requests       int            `json:"requests"` // successful, in the measured window
	RPS            float64        `json:"requestsPerSecond"`
	P50Ms          float64        `json:"p50Ms"`
	P95Ms          float64        `json:"p95Ms"`
	P99Ms          float64        `json:"p99Ms"`
	MaxMs          float64        `json:"maxMs"`
	Errors         int            `json:"errors"`
	ErrorKinds     map[string]int `json:"errorKinds,omitempty"`
	Lost           *int64         `json:"lostRotations,omitempty"` // refresh only
	Extra          string         `json:"extra,omitempty"`
	CPUSeconds     float64        `json:"serverCPUSeconds,omitempty"`
	ToolCPUSeconds float64        `json:"toolCPUSeconds,omitempty"`
	// MachineCPUSeconds is every core's busy time in the window: server,
	// tool and anything else running (noise).
	MachineCPUSeconds float64      `json:"machineCPUSeconds,omitempty"`
	PeakRSSMB         float64      `json:"serverPeakRSSMB,omitempty"`
	PeakExact         bool         `json:"peakFromVmHWM,omitempty"`
	Profile           string       `json:"profile,omitempty"`
	Burst             *burstResult `json:"burst,omitempty"`
	// Hash is the hash cost measured right before login and signup.
	Hash *hashCost `json:"hashCost,omitempty"`
	// ServerHash is the server's own hash cost during the window.
	ServerHash *serverHash `json:"serverHashCost,omitempty"`
	Failed     string      `json:"failed,omitempty"`
}

// fill sets the counts and percentiles from ok requests with sorted
// latencies over window.
func (r *result) fill(ok int, errs map[string]int, sorted []time.Duration, window time.Duration) {
	r.Requests = ok
	if window > 0 {
		r.RPS = float64(ok) / window.Seconds()
	}
	r.P50Ms, r.P95Ms, r.P99Ms = ms(percentile(sorted, 50)), ms(percentile(sorted, 95)), ms(percentile(sorted, 99))
	if len(sorted) > 0 {
		r.MaxMs = ms(sorted[len(sorted)-1])
	}
	for _, n := range errs {
		r.Errors += n
	}
	if r.Errors > 0 {
		r.ErrorKinds = errs
	}
}

func (r *result) measured(p proc, m measured) {
	if p.ok() {
		r.CPUSeconds, r.PeakRSSMB, r.PeakExact = m.CPU.Seconds(), mb(m.PeakRSS), m.PeakExact
	}
}

// otherCPU is the machine's busy time in the window that neither the
// server nor the tool used: other processes, interrupts, a hypervisor's
// steal. Large values make the run's figures unreliable.
func (r *result) otherCPU() float64 {
	return max(0, r.MachineCPUSeconds-r.ToolCPUSeconds-r.CPUSeconds)
}

// target is one goal of the performance issue, evaluated on this run.
// The goals are stated for 2 cores and 32 clients; other settings are
// reported the same way but are not the stated condition.
type target struct {
	Goal string `json:"goal"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

// finish computes the relative figures (against healthz and the hash
// bound) and evaluates the targets.
func (rep *report) finish() {
	find := func(name string) *result {
		for _, r := range rep.Results {
			if r.Scenario == name && r.Failed == "" {
				return r
			}
		}
		return nil
	}
	addTarget := func(goal, got string, met bool) { rep.Targets = append(rep.Targets, target{goal, got, met}) }
	health := find("healthz")
	ofHealth := func(r *result) (float64, bool) {
		if health == nil || health.RPS == 0 {
			return 0, false
		}
		return 100 * r.RPS / health.RPS, true
	}
	for _, r := range rep.Results {
		if r.Failed != "" {
			continue
		}
		add := func(goal, got string, met bool) {
			addTarget(goal, fmt.Sprintf("%s at %d clients", got, r.Clients), met)
		}
		switch r.Scenario {
		case "healthz":
			r.Extra = "ceiling of client+machine"
		case "me":
			if pct, ok := ofHealth(r); ok {
				r.Extra = fmt.Sprintf("%.0f%% of healthz", pct)
				add("me ≥ 30% of healthz req/s", fmt.Sprintf("%.1f%%", pct), pct >= 30)
			}
		case "refresh":
			var parts []string
			if pct, ok := ofHealth(r); ok {
				parts = append(parts, fmt.Sprintf("%.0f%% of healthz", pct))
				add("refresh ≥ 10% of healthz req/s", fmt.Sprintf("%.1f%%", pct), pct >= 10)
			}
			parts = append(parts, fmt.Sprintf("lost rotations %d", *r.Lost))
			add("refresh: no lost rotation", fmt.Sprintf("%d lost", *r.Lost), *r.Lost == 0)
			r.Extra = strings.Join(parts, ", ")
		case "login", "signup":
			ratio := 0.0
			if r.P50Ms > 0 {
				ratio = r.P99Ms / r.P50Ms
			}
			// The bound that counts is the server's own hash cost in the
			// window; the tool's measurement beforehand is shown beside it.
			if sh := r.ServerHash; sh != nil {
				pct := 100 * r.RPS / sh.Limit
				r.Extra = fmt.Sprintf("%.0f%% of hash bound %.1f/s (server: %.1f ms/hash)", pct, sh.Limit, sh.PerHashMs)
				add(r.Scenario+" ≥ 95% of hash-bound limit", fmt.Sprintf("%.1f%% (%.1f of %.1f/s)", pct, r.RPS, sh.Limit), pct >= 95)
			}
			if h := cmp.Or(r.Hash, rep.Hash); h != nil {
				pct := 100 * r.RPS / h.Limit
				r.Extra = strings.TrimPrefix(r.Extra+fmt.Sprintf("; %.0f%% of the tool's bound %.1f/s (2 at once: %.1f/s)", pct, h.Limit, h.Parallel), "; ")
				if r.ServerHash == nil {
					add(r.Scenario+" ≥ 95% of hash-bound limit", fmt.Sprintf("%.1f%% (%.1f of %.1f/s)", pct, r.RPS, h.Limit), pct >= 95)
				}
			}
			r.Extra += fmt.Sprintf(", p99/p50 %.2f", ratio)
			add(r.Scenario+" p99 ≤ 1.5 × p50", fmt.Sprintf("p99/p50 = %.3f", ratio), r.P50Ms > 0 && ratio <= 1.5)
		case "users":
			add("users page of 50: p99 ≤ 10 ms", fmtMs(r.P99Ms)+" ms", r.Requests > 0 && r.P99Ms <= 10)
		case "users-total":
			add("users page with totalCount: p99 ≤ 100 ms", fmtMs(r.P99Ms)+" ms", r.Requests > 0 && r.P99Ms <= 100)
		case "logins-burst":
			b := r.Burst
			// A sign-in refused at once with RATE_LIMITED (the hash queue was
			// full) is answered: the client knows to come back.
			r.Extra = fmt.Sprintf("answered %d/%d (%d refused), failed %d, timeouts %d", b.Answered+b.Refused, b.Clients, b.Refused, b.Failed, b.Timeouts)
			add(fmt.Sprintf("logins-burst: every one of %d logins answered", b.Clients),
				fmt.Sprintf("%d signed in, %d refused, %d failed, %d timeouts", b.Answered, b.Refused, b.Failed, b.Timeouts), b.Answered+b.Refused == b.Clients)
			if r.PeakRSSMB > 0 {
				add("logins-burst: server RSS ≤ 250 MB", fmt.Sprintf("%.1f MB", r.PeakRSSMB), r.PeakRSSMB <= 250)
			}
		}
		if r.Errors > 0 && r.Scenario != "logins-burst" && r.Scenario != "refresh" {
			add(r.Scenario+": no errors", fmt.Sprintf("%d errors", r.Errors), false)
		}
	}
	if rep.Server.IdleRSSMB > 0 {
		addTarget("idle RSS ≤ 30 MB", fmt.Sprintf("%.1f MB", rep.Server.IdleRSSMB), rep.Server.IdleRSSMB <= 30)
	}
}

func (rep *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func (rep *report) writeText(out io.Writer) error {
	bw := bufio.NewWriter(out)
	m := rep.Machine
	fmt.Fprintf(bw, "usergraph bench, %s\n", rep.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(bw, "machine: %s, %d cores, %d MB RAM, %s %s\n", m.CPU, m.Cores, m.MemTotalMB, m.Go, m.OS)
	s := rep.Server
	fmt.Fprintf(bw, "server:  %s", s.URL)
	if s.PID > 0 {
		fmt.Fprintf(bw, ", pid %d", s.PID)
	}
	if s.Started {
		fmt.Fprintf(bw, ", started by the tool with: %s", s.Args)
	}
	if s.IdleRSSMB > 0 {
		label := "idle RSS" // read before any load, after -idle-settle
		if !s.Started {
			label = "RSS when the tool started" // idle only if nothing else used the server
		}
		fmt.Fprintf(bw, "\n         %s %.1f MB", label, s.IdleRSSMB)
	}
	fmt.Fprintln(bw)
	if rep.Hash != nil {
		fmt.Fprintf(bw, "hash:    %s\n", rep.Hash)
	}
	l := rep.Load
	loops := slices.ContainsFunc(rep.Results, func(r *result) bool { return r.Scenario != "logins-burst" })
	if loops {
		fmt.Fprintf(bw, "load:    %d clients (closed loop), %gs warm-up, %gs measured per scenario, population %d\n", l.Clients, l.WarmupS, l.DurationS, l.Population)
	} else {
		fmt.Fprintf(bw, "load:    population %d\n", l.Population)
	}
	if len(rep.Results) == 0 {
		fmt.Fprintln(bw)
	} else {
		fmt.Fprintf(bw, "         CPU s in the measured window: server, this tool, and other (everything else busy on the machine; %d cores × duration available)\n\n", m.Cores)
	}

	if len(rep.Results) == 0 {
		return rep.writeTargets(bw)
	}
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tclients\tduration s\treq/s\tp50 ms\tp95 ms\tp99 ms\terrors\tserver CPU s\tpeak RSS MB\ttool CPU s\tother CPU s\t\textra")
	for _, r := range rep.Results {
		if r.Failed != "" {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\tFAILED: %s\n", r.Scenario, r.Clients, r.Failed)
			continue
		}
		cpu, rss := "-", "-"
		if r.PeakRSSMB > 0 {
			cpu, rss = fmt.Sprintf("%.1f", r.CPUSeconds), fmt.Sprintf("%.1f", r.PeakRSSMB)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%s\t%s\t%s\t%d\t%s\t%s\t%.1f\t%.1f\t\t%s\n", r.Scenario, r.Clients, r.DurationS, r.RPS,
			fmtMs(r.P50Ms), fmtMs(r.P95Ms), fmtMs(r.P99Ms), r.Errors, cpu, rss, r.ToolCPUSeconds, r.otherCPU(), r.Extra)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	first := true
	for _, r := range rep.Results {
		if len(r.ErrorKinds) == 0 {
			continue
		}
		if first {
			fmt.Fprintln(bw, "\nerrors by kind:")
			first = false
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.ErrorKinds)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.ErrorKinds[k]))
		}
		fmt.Fprintf(bw, "  %s: %s\n", r.Scenario, strings.Join(parts, ", "))
	}
	for _, r := range rep.Results {
		if r.Hash != nil {
			fmt.Fprintf(bw, "hash measured right before %s: %s\n", r.Scenario, strings.ReplaceAll(r.Hash.String(), "\n        ", ""))
		}
	}
	for _, r := range rep.Results {
		if r.Profile != "" {
			fmt.Fprintf(bw, "profile of %s: %s\n", r.Scenario, r.Profile)
		}
	}
	return rep.writeTargets(bw)
}

func (rep *report) writeTargets(bw *bufio.Writer) error {
	if len(rep.Targets) > 0 {
		fmt.Fprintln(bw, "\ntargets (stated for 2 cores, 32 clients, 1,000,000 users):")
		for _, t := range rep.Targets {
			mark := "met   "
			if !t.Met {
				mark = "MISSED"
			}
			fmt.Fprintf(bw, "  %s  %s: %s\n", mark, t.Goal, t.Got)
		}
	}
	return bw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// fmtMs prints a latency with about three significant digits.
func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotalMB = int(parseStatusKB(b, "MemTotal") >> 20)
	}
	return m
}
