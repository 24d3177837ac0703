package password

import (
	"time"

	"github.com/usergraph/usergraph/password/internal/argon2"
)

// memoryIdle is how long kept argon2 memory outlives the last hash: while
// sign-ins keep coming it is reused; when they pause, the memory (kept
// memory also raises the heap size the collector lets other garbage reach)
// goes back to the collector, and sparse sign-ins allocate as upstream does.
const memoryIdle = 10 * time.Second

// memories keeps the argon2 working memory of finished hashes for the next
// ones. Allocating and zeroing it anew for every hash (19 MiB at OWASP's
// parameters) cost about a tenth of a login's CPU in allocation, zeroing and
// garbage collection. At most one memory per concurrency slot is kept, so
// the hasher's bound on memory stays what it was, and after a quiet spell
// they are let go.
type memories struct {
	kib  uint32 // the size kept; larger computations get memory of their own
	free chan *argon2.Memory
	keep time.Duration // memoryIdle; shorter in tests
	idle *time.Timer
}

func newMemories(kib uint32, slots int) *memories {
	m := &memories{kib: kib, free: make(chan *argon2.Memory, slots), keep: memoryIdle}
	m.idle = time.AfterFunc(m.keep, m.drain)
	return m
}

// idKey is argon2id's key in reused memory when p fits it.
func (m *memories) idKey(plain string, salt []byte, p Params) []byte {
	if p.Memory > m.kib { // a stored hash with dearer parameters: rare, not kept
		return new(argon2.Memory).IDKey([]byte(plain), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	}
	mem := m.get()
	defer m.put(mem)
	return mem.IDKey([]byte(plain), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

func (m *memories) get() *argon2.Memory {
	select {
	case mem := <-m.free:
		return mem
	default:
		return new(argon2.Memory)
	}
}

func (m *memories) put(mem *argon2.Memory) {
	select {
	case m.free <- mem:
	default: // every slot already has one
	}
	m.idle.Reset(m.keep)
}

// drain lets go of the kept memories; the collector frees them.
func (m *memories) drain() {
	for {
		select {
		case <-m.free:
		default:
			return
		}
	}
}
