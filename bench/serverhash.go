package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// serverHash is the server's own argon2id cost over a measured window,
// from its /metrics totals: the mean time of the hashes it computed in the
// window (two at once on two cores, sharing caches and memory bandwidth, as
// they do under load) and the sign-in rate that bounds.
type serverHash struct {
	Hashes    float64 `json:"hashes"`
	PerHashMs float64 `json:"perHashMs"`
	Cores     int     `json:"cores"`
	Limit     float64 `json:"limitPerSecond"`
}

// hashTotals are the two counters a window's cost is the difference of.
type hashTotals struct{ hashes, seconds float64 }

// readHashTotals scrapes the server's password-hash counters.
func readHashTotals(ctx context.Context, base string) (hashTotals, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return hashTotals{}, err
	}
	defer res.Body.Close()
	var t hashTotals
	found := 0
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		for name, dst := range map[string]*float64{
			"usergraph_password_hashes_total":       &t.hashes,
			"usergraph_password_hash_seconds_total": &t.seconds,
		} {
			if v, ok := strings.CutPrefix(lines.Text(), name+" "); ok {
				if *dst, err = strconv.ParseFloat(v, 64); err != nil {
					return t, fmt.Errorf("/metrics: %s: %w", name, err)
				}
				found++
			}
		}
	}
	if found < 2 {
		return t, fmt.Errorf("/metrics has no password hash counters")
	}
	return t, lines.Err()
}

// since returns the cost of the hashes between start and t.
func (t hashTotals) since(start hashTotals) *serverHash {
	n := t.hashes - start.hashes
	if n <= 0 {
		return nil
	}
	per := time.Duration((t.seconds - start.seconds) / n * float64(time.Second))
	cores := runtime.NumCPU()
	return &serverHash{Hashes: n, PerHashMs: ms(per), Cores: cores, Limit: float64(cores) / per.Seconds()}
}
