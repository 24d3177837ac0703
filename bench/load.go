package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

// client talks to one server. One http.Client (and so one connection pool)
// serves every scenario, healthz included, so healthz measures the ceiling of
// this very client on this machine.
type client struct {
	base string
	hc   *http.Client
}

func newClient(base string, timeout time.Duration, maxConns int) *client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxConns + 16,
		MaxIdleConnsPerHost: maxConns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: base, hc: &http.Client{Transport: tr, Timeout: timeout}}
}

// reqError is a failed request, with the kind the report counts it under:
// "timeout", "transport", "http 503", or a GraphQL error code.
type reqError struct {
	kind string
	err  error
}

func (e *reqError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *reqError) Unwrap() error { return e.err }

// errKind is the kind an error is counted under.
func errKind(err error) string {
	var re *reqError
	if errors.As(err, &re) {
		return re.kind
	}
	return "other"
}

func transportErr(err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &reqError{"timeout", err}
	}
	return &reqError{"transport", err}
}

// get requests path and wants a 200.
func (c *client) get(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportErr(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return transportErr(err)
	}
	if resp.StatusCode != http.StatusOK {
		return &reqError{fmt.Sprintf("http %d", resp.StatusCode), fmt.Errorf("GET %s: %s", path, resp.Status)}
	}
	return nil
}

// gqlRequest is a prepared GraphQL request body.
type gqlRequest []byte

func newGQL(query string, vars map[string]any) gqlRequest {
	b, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		panic(err) // the tool's own values always marshal
	}
	return b
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

var errorsKey = []byte(`"errors"`)

// graphql posts body with the bearer token (if any), wants a 200 without
// GraphQL errors, and decodes data into out (if not nil).
func (c *client) graphql(ctx context.Context, bearer string, body gqlRequest, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportErr(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return transportErr(err)
	}
	if resp.StatusCode != http.StatusOK {
		return &reqError{fmt.Sprintf("http %d", resp.StatusCode), fmt.Errorf("POST /graphql: %s: %.200s", resp.Status, raw)}
	}
	if out == nil && !bytes.Contains(raw, errorsKey) {
		return nil // the common case, without decoding
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return &reqError{"bad response", fmt.Errorf("%v: %.200s", err, raw)}
	}
	if len(r.Errors) > 0 {
		code := r.Errors[0].Extensions.Code
		if code == "" {
			code = "GRAPHQL_ERROR"
		}
		return &reqError{code, errors.New(r.Errors[0].Message)}
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return &reqError{"bad response", fmt.Errorf("data: %v: %.200s", err, raw)}
		}
	}
	return nil
}

// loadResult is what one closed-loop run measured in its window.
type loadResult struct {
	Window    time.Duration
	OK        int
	Errors    map[string]int
	Latencies []time.Duration // of successful requests, sorted
}

func (r *loadResult) errorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// window is a load run's timeline, for callbacks at its edges.
type window struct {
	// atStart runs when the warm-up ends and measuring begins; atEnd when
	// measuring ends (before in-flight requests finish).
	atStart, atEnd func()
}

// closedLoop runs clients workers; each calls its do function again as soon
// as the previous call returns. Calls that start after the warm-up and end
// before the measured time is over are counted; in-flight calls at the end
// are neither counted nor cancelled (a refresh cut off would lose its chain).
func closedLoop(ctx context.Context, clients int, warmup, duration time.Duration, mk func(i int) func(context.Context) error, w window) *loadResult {
	start := time.Now()
	winStart, winEnd := start.Add(warmup), start.Add(warmup+duration)
	type part struct {
		ok   int
		errs map[string]int
		lat  []time.Duration
	}
	parts := make([]part, clients)
	var wg sync.WaitGroup
	for i := range clients {
		do := mk(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parts[i]
			p.errs = map[string]int{}
			p.lat = make([]time.Duration, 0, 1024)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(winEnd) {
					return
				}
				err := do(ctx)
				t1 := time.Now()
				if t0.Before(winStart) || t1.After(winEnd) {
					continue
				}
				if err != nil {
					p.errs[errKind(err)]++
					continue
				}
				p.ok++
				p.lat = append(p.lat, t1.Sub(t0))
			}
		}()
	}
	sleepUntil(ctx, winStart)
	if w.atStart != nil {
		w.atStart()
	}
	sleepUntil(ctx, winEnd)
	if w.atEnd != nil {
		w.atEnd()
	}
	wg.Wait()
	r := &loadResult{Window: duration, Errors: map[string]int{}}
	for _, p := range parts {
		r.OK += p.ok
		for k, n := range p.errs {
			r.Errors[k] += n
		}
		r.Latencies = append(r.Latencies, p.lat...)
	}
	slices.Sort(r.Latencies)
	return r
}

func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value with at least p % of the values at or below
// it. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(n) - 1e-9)) // tolerant of float error: 0.99*100 is 99.00000000000001
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
