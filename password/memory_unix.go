//go:build unix

package password

import (
	"syscall"

	"github.com/usergraph/usergraph/password/internal/argon2"
)

// mapped returns argon2 memory of kib KiB outside the Go heap, and the
// function that gives it back to the operating system. Kept memory then
// neither counts as live heap (which would let the collector allow twice as
// much other garbage) nor waits for the scavenger to leave the process's
// RSS. If the mapping fails, the memory comes from the heap.
func mapped(kib uint32) (*argon2.Memory, func()) {
	buf, err := syscall.Mmap(-1, 0, int(kib)*1024, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return new(argon2.Memory), func() {}
	}
	return argon2.MemoryIn(buf), func() { _ = syscall.Munmap(buf) }
}
