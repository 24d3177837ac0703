package password

import (
	"time"

	"github.com/usergraph/usergraph/password/internal/argon2"
)

// memoryIdle is how long kept argon2 memory outlives the last hash: while
// sign-ins keep coming it is reused; when they pause, it is given back, and
// sparse sign-ins map memory for each hash.
const memoryIdle = 10 * time.Second

// memories keeps the argon2 working memory of finished hashes for the next
// ones. Allocating and zeroing it anew for every hash (19 MiB at OWASP's
// parameters) cost about a tenth of a login's CPU in allocation, zeroing and
// garbage collection. At most one memory per concurrency slot is kept, so
// the hasher's bound on memory stays what it was; it lives outside the Go
// heap where the platform allows (mapped), and after a quiet spell it is
// given back.
type memories struct {
	kib  uint32 // the size kept; larger computations get memory of their own
	free chan kept
	keep time.Duration // memoryIdle; shorter in tests
	idle *time.Timer
}

// kept is one reusable memory and the function that releases it.
type kept struct {
	mem     *argon2.Memory
	release func()
}

func newMemories(kib uint32, slots int) *memories {
	m := &memories{kib: kib, free: make(chan kept, slots), keep: memoryIdle}
	m.idle = time.AfterFunc(m.keep, m.drain)
	return m
}

// idKey is argon2id's key in reused memory when p fits it.
func (m *memories) idKey(plain string, salt []byte, p Params) []byte {
	var mem *argon2.Memory
	if p.Memory <= m.kib {
		k := m.get()
		defer m.put(k)
		mem = k.mem
	} else { // a stored hash with dearer parameters: rare, not kept
		mem = new(argon2.Memory)
	}
	return mem.IDKey([]byte(plain), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

func (m *memories) get() kept {
	select {
	case k := <-m.free:
		return k
	default:
		mem, release := mapped(m.kib)
		return kept{mem, release}
	}
}

func (m *memories) put(k kept) {
	select {
	case m.free <- k:
	default: // every slot already has one
		k.release()
	}
	m.idle.Reset(m.keep)
}

// drain releases the kept memories. Only memories in m.free are touched:
// one in use is not there, so none is released under a computation.
func (m *memories) drain() {
	for {
		select {
		case k := <-m.free:
			k.release()
		default:
			return
		}
	}
}
