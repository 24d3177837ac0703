//go:build !unix

package password

import "github.com/usergraph/usergraph/password/internal/argon2"

// mapped returns argon2 memory from the Go heap where there is no mmap; the
// collector frees it once it is let go.
func mapped(kib uint32) (*argon2.Memory, func()) {
	return new(argon2.Memory), func() {}
}
