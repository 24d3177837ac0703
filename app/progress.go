package app

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/usergraph/usergraph/transfer"
)

// progressEvery is how often an import not on a terminal prints a line:
// enough to see it move in a log, few enough lines for 100,000 rows.
const progressEvery = 5 * time.Second

// showProgress shows an import's progress on env.Stderr until the
// returned stop is called: a progress bar over the file's bytes on a
// terminal, plain lines otherwise (a log, a CI job).
func showProgress(env Env, size int64, read *atomic.Int64, c *transfer.Counts) (stop func()) {
	status := func() string {
		return fmt.Sprintf("%d rows: %d created, %d updated, %d skipped, %d rejected",
			c.Read.Load(), c.Created.Load(), c.Updated.Load(), c.Skipped.Load(), c.Rejected.Load())
	}
	f, ok := env.Stderr.(*os.File)
	if ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(f), progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		return every(200*time.Millisecond, func() {
			bar.Describe(status())
			bar.Set64(read.Load())
		}, func() { bar.Finish() })
	}
	return every(progressEvery, func() {
		pct := 0.0
		if size > 0 {
			pct = 100 * float64(read.Load()) / float64(size)
		}
		fmt.Fprintf(env.Stderr, "import: %.0f%% of %d bytes, %s\n", pct, size, status())
	}, func() {})
}

// every calls tick every d until stop, then calls last.
func every(d time.Duration, tick, last func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				tick()
			case <-done:
				last()
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
