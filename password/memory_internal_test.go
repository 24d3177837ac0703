package password

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Memories are reused while hashes keep coming, never more than one per
// slot, and let go once hashing pauses for m.keep. The test runs on
// synctest's clock, so the idle timer fires when the test lets time pass
// and never because the machine was slow.
func TestMemoriesKeptWhileBusyDroppedWhenIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMemories(64, 2)
		m.keep = 200 * time.Millisecond
		p := Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
		var wg sync.WaitGroup
		for range 3 { // one more at once than there are slots
			wg.Go(func() { m.idKey("pw", make([]byte, 16), p) })
		}
		wg.Wait()
		if n := len(m.free); n < 1 || n > 2 {
			t.Fatalf("%d memories kept after 3 hashes through 2 slots, want 1 or 2", n)
		}
		first := <-m.free
		m.drain() // leave first the only one kept
		m.put(first)
		m.idKey("pw", make([]byte, 16), p)
		if got := <-m.free; got.mem != first.mem {
			t.Errorf("the next hash did not reuse the kept memory")
		} else {
			m.put(got)
		}

		time.Sleep(m.keep - time.Millisecond)
		synctest.Wait()
		if n := len(m.free); n != 1 {
			t.Errorf("%d memories kept just under %v after the last hash, want 1", n, m.keep)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if n := len(m.free); n != 0 {
			t.Errorf("%d memories still kept %v after the last hash, want 0", n, m.keep)
		}
	})
}
