package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usergraph/usergraph/password"
)

// hashCost is the server's argon2id cost per hash on this machine and the
// sign-in rate it bounds: each login verifies one hash and each sign-up
// computes one, and a hash keeps one core busy, so no server on this
// machine can exceed cores ÷ hash time of either.
type hashCost struct {
	Params    password.Params `json:"params"`
	PerHash   time.Duration   `json:"-"`
	PerHashMs float64         `json:"perHashMs"` // the median of Runs
	FastestMs float64         `json:"fastestMs"`
	Runs      int             `json:"runs"`
	Cores     int             `json:"cores"`
	Limit     float64         `json:"limitPerSecond"`
	// Parallel is the hash rate measured with one hash per core at once:
	// what hashing alone reaches when the cores share caches and memory
	// bandwidth, without HTTP, storage or a load tool beside it.
	Parallel float64 `json:"parallelPerSecond"`
}

// measureHashCost times runs hashes at p one at a time with the server's
// own hasher and takes the median, which a few runs slowed by other work
// on the machine do not move.
func measureHashCost(p password.Params, runs int) hashCost {
	h := password.NewHasher(p, 1)
	h.Benchmark(1) // warm: the first hash pays for page faults of its memory
	times := make([]time.Duration, max(runs, 1))
	for i := range times {
		times[i] = h.Benchmark(1)
	}
	slices.Sort(times)
	per := times[len(times)/2]
	cores := runtime.NumCPU()
	return hashCost{Params: p, PerHash: per, PerHashMs: ms(per), FastestMs: ms(times[0]), Runs: len(times),
		Cores: cores, Limit: float64(cores) / per.Seconds(), Parallel: parallelRate(p, cores, max(runs, cores))}
}

// parallelRate is hashes per second with cores hashes running at once.
func parallelRate(p password.Params, cores, total int) float64 {
	h := password.NewHasher(p, cores)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				h.Benchmark(1)
			}
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds()
}

func (h hashCost) String() string {
	return fmt.Sprintf("argon2id m=%d KiB t=%d p=%d: %s per hash (median of %d, fastest %.2fms); %d cores → hash-bound limit %.1f logins or sign-ups/s\n         (%d hashes at once, without a server: %.1f/s)",
		h.Params.Memory, h.Params.Iterations, h.Params.Parallelism, h.PerHash.Round(10*time.Microsecond), h.Runs, h.FastestMs, h.Cores, h.Limit, h.Cores, h.Parallel)
}

func runHashCost(args []string, stdout, stderr io.Writer) error {
	var a argonFlags
	var runs int
	fs := flag.NewFlagSet("bench hashcost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	a.register(fs)
	fs.IntVar(&runs, "runs", 20, "hashes to time (the median counts)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := a.params()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, measureHashCost(p, runs))
	return nil
}
