package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// runBench runs the scenarios against a server (started here or already
// running) and prints the report.
func runBench(ctx context.Context, c runConfig, stdout, stderr io.Writer) error {
	rep := &report{
		Date:    time.Now().UTC(),
		Machine: machineInfo(),
		Load:    loadInfo{Clients: c.Clients, WarmupS: c.Warmup.Seconds(), DurationS: c.Duration.Seconds(), Population: c.Population},
	}
	var p proc
	if c.Start {
		args, _ := splitArgs(c.ServerArgs) // checked with the flags
		srv, err := startServer(ctx, c.Repo, args, c.ServerLog, c.StartTimeout, stderr)
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				fmt.Fprintln(stderr, "bench:", err)
			}
			fmt.Fprintf(stderr, "server stopped; its log: %s\n", srv.LogPath)
		}()
		c.URL, p = srv.URL, proc{srv.Pid()}
		if c.PprofURL == "" {
			c.PprofURL = srv.PprofURL
		}
		rep.Server = serverInfo{URL: c.URL, PID: srv.Pid(), Started: true, Args: c.ServerArgs}
	} else {
		p = proc{c.ServerPID}
		rep.Server = serverInfo{URL: c.URL, PID: c.ServerPID}
		if err := newClient(c.URL, 5*time.Second, 1).get(ctx, "/healthz"); err != nil {
			return fmt.Errorf("the server at %s does not answer /healthz: %w", c.URL, err)
		}
	}
	if p.ok() {
		sleepUntil(ctx, time.Now().Add(c.IdleSettle))
		s, err := p.read()
		if err != nil {
			return fmt.Errorf("reading the server process %d: %w", p.pid, err)
		}
		rep.Server.IdleRSSMB = mb(s.RSS)
		fmt.Fprintf(stderr, "server idle RSS: %.1f MB\n", rep.Server.IdleRSSMB)
	}

	params, err := c.Argon.params()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "timing %d argon2id hashes at the server's parameters…\n", c.HashRuns)
	hc := measureHashCost(params, c.HashRuns)
	rep.Hash = &hc
	fmt.Fprintln(stderr, hc)

	maxConns := c.Clients
	if slices.Contains(c.Scenarios, "logins-burst") {
		maxConns = max(maxConns, c.Burst)
	}
	e := &env{c: newClient(c.URL, c.Timeout, maxConns), cfg: &c, runID: strconv.FormatInt(time.Now().UnixNano(), 36)}
	var failed []string
	for i, name := range c.Scenarios {
		if i > 0 {
			sleepUntil(ctx, time.Now().Add(c.Pause))
		}
		if ctx.Err() != nil {
			break
		}
		var r *result
		if name == "logins-burst" {
			r = runBurst(ctx, e, p)
		} else {
			r = runScenario(ctx, e, name, p, stderr)
		}
		if r.Failed != "" {
			failed = append(failed, name)
			fmt.Fprintf(stderr, "%s: FAILED: %s\n", name, r.Failed)
		} else {
			fmt.Fprintf(stderr, "%s: %.1f req/s, p50 %s ms, p99 %s ms, %d errors\n", name, r.RPS, fmtMs(r.P50Ms), fmtMs(r.P99Ms), r.Errors)
		}
		rep.Results = append(rep.Results, r)
	}
	rep.finish()
	if c.JSON {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(failed) > 0 {
		return fmt.Errorf("scenarios failed: %v", failed)
	}
	return nil
}

// runScenario prepares a scenario and runs its closed loop.
func runScenario(ctx context.Context, e *env, name string, p proc, progress io.Writer) *result {
	c := e.cfg
	r := &result{Scenario: name, Clients: c.Clients, DurationS: c.Duration.Seconds()}
	sc := newScenario(name, e)
	fmt.Fprintf(progress, "%s: preparing…\n", name)
	if err := sc.prepare(ctx); err != nil {
		r.Failed = err.Error()
		return r
	}
	if name == "login" || name == "signup" {
		// The machine's speed drifts (shared hosts, frequency scaling):
		// the bound is measured again right before the load it bounds.
		params, _ := c.Argon.params() // checked at start
		hc := measureHashCost(params, c.HashRuns)
		r.Hash = &hc
		fmt.Fprintf(progress, "%s: %s\n", name, hc)
	}
	fmt.Fprintf(progress, "%s: %d clients, %s warm-up, %s measured…\n", name, c.Clients, c.Warmup, c.Duration)
	var w *watch
	var m measured
	var clock cpuClock
	var prof <-chan error
	var hashStart hashTotals
	var hashErr error
	lr := closedLoop(ctx, c.Clients, c.Warmup, c.Duration, sc.client, window{
		atStart: func() {
			clock.start()
			w = p.watch()
			hashStart, hashErr = readHashTotals(ctx, c.URL)
			if c.ProfileDir != "" && c.PprofURL != "" {
				r.Profile = filepath.Join(c.ProfileDir, name+".pprof")
				prof = captureProfile(c.PprofURL, c.Duration, r.Profile)
			}
		},
		atEnd: func() {
			m = w.end()
			r.ToolCPUSeconds, r.MachineCPUSeconds = clock.end()
			if end, err := readHashTotals(ctx, c.URL); hashErr == nil && err == nil && (name == "login" || name == "signup") {
				r.ServerHash = end.since(hashStart)
			}
		},
	})
	if prof != nil {
		if err := <-prof; err != nil {
			fmt.Fprintf(progress, "%s: profile: %v\n", name, err)
			r.Profile = ""
		}
	}
	r.fill(lr.OK, lr.Errors, lr.Latencies, lr.Window)
	r.measured(p, m)
	if s, ok := sc.(*refresh); ok {
		lost := s.lost.Load()
		r.Lost = &lost
	}
	return r
}

// runBurst runs logins-burst: many clients at once, one login each.
func runBurst(ctx context.Context, e *env, p proc) *result {
	c := e.cfg
	r := &result{Scenario: "logins-burst", Clients: c.Burst}
	e.c.hc.CloseIdleConnections() // every client opens its own connection, as a storm of distinct clients does
	var clock cpuClock
	clock.start()
	w := p.watch()
	b := loginsBurst(ctx, e, c.Burst, c.BurstLimit)
	m := w.end()
	r.ToolCPUSeconds, r.MachineCPUSeconds = clock.end()
	e.c.hc.CloseIdleConnections()
	slices.Sort(b.Latencies)
	r.DurationS = b.Wall.Seconds()
	r.fill(b.Answered, b.Errors, b.Latencies, b.Wall)
	r.measured(p, m)
	r.Burst = b
	return r
}

// captureProfile fetches a CPU profile of the server over the next d and
// writes it to path.
func captureProfile(pprofURL string, d time.Duration, path string) <-chan error {
	done := make(chan error, 1)
	go func() {
		secs := max(1, int(d.Seconds()))
		hc := &http.Client{Timeout: time.Duration(secs)*time.Second + 30*time.Second}
		resp, err := hc.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofURL, secs))
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- errors.New(resp.Status)
			return
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			done <- err
			return
		}
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		done <- errors.Join(err, f.Close())
	}()
	return done
}
