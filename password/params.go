package password

import "fmt"

// Params are the argon2id cost parameters. Memory is in KiB.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// DefaultParams returns OWASP's recommended argon2id configuration
// (m=19 MiB, t=2, p=1) with a 128-bit salt and a 256-bit key.
func DefaultParams() Params {
	return Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Bounds on parameters, for the hasher's own configuration and for every
// hash decoded from storage. A stored hash is data, not configuration: a
// tampered or corrupt record must not make one login allocate gigabytes,
// spin for minutes or panic inside argon2, so it is rejected before any work.
const (
	MaxMemory     = 4 << 20 // KiB (4 GiB), above RFC 9106's 2 GiB first recommendation
	MaxIterations = 64
	MinSaltLength = 8 // RFC 9106 minimum; 16 recommended
	MaxSaltLength = 64
	MinKeyLength  = 16
	MaxKeyLength  = 64
)

// Validate reports whether p is within the bounds above. argon2 itself needs
// at least one iteration and lane, and 8 KiB of memory per lane.
func (p Params) Validate() error {
	switch {
	case p.Parallelism < 1:
		return fmt.Errorf("parallelism %d: want at least 1", p.Parallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > MaxMemory:
		return fmt.Errorf("memory %d KiB: want %d to %d", p.Memory, 8*uint32(p.Parallelism), MaxMemory)
	case p.Iterations < 1 || p.Iterations > MaxIterations:
		return fmt.Errorf("iterations %d: want 1 to %d", p.Iterations, MaxIterations)
	case p.SaltLength < MinSaltLength || p.SaltLength > MaxSaltLength:
		return fmt.Errorf("salt length %d: want %d to %d", p.SaltLength, MinSaltLength, MaxSaltLength)
	case p.KeyLength < MinKeyLength || p.KeyLength > MaxKeyLength:
		return fmt.Errorf("key length %d: want %d to %d", p.KeyLength, MinKeyLength, MaxKeyLength)
	}
	return nil
}
