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

// storedFactor is how much more a stored hash may cost than a new one.
// Hashes made before the configured cost changed still verify (and are
// rehashed at the next sign-in), but a stored hash is data, not
// configuration: a tampered or corrupt record must not make one sign-in hold
// gigabytes or run for seconds while it waits for nobody's benefit.
//
// Lowering the configured memory or work by more than this in one step
// leaves older hashes unverifiable (their sign-ins fail as faults, logged):
// lower it in steps, or let the users reset their passwords.
const storedFactor = 4

// storedLimits are the largest parameters a stored hash may have, derived
// from the hasher's own.
type storedLimits struct {
	memory      uint32 // KiB: what one verification holds
	work        uint64 // memory × iterations: what one verification costs in time
	parallelism uint8  // lanes: goroutines of one verification
}

// limitsFor returns the limits for hashes verified by a hasher with params
// p: memory and work (memory × iterations, so that the equivalent OWASP
// configurations, which trade memory for iterations, verify each other's
// hashes) at most storedFactor times p's, and at most 16 lanes or
// storedFactor times p's, whichever is more.
func limitsFor(p Params) storedLimits {
	return storedLimits{
		memory:      uint32(min(uint64(p.Memory)*storedFactor, MaxMemory)),
		work:        uint64(p.Memory) * uint64(p.Iterations) * storedFactor,
		parallelism: uint8(min(max(int(p.Parallelism)*storedFactor, 16), 255)),
	}
}

// check reports whether the stored parameters p are within l.
func (l storedLimits) check(p Params) error {
	switch work := uint64(p.Memory) * uint64(p.Iterations); {
	case p.Memory > l.memory:
		return fmt.Errorf("memory %d KiB above %d (%d× the configured)", p.Memory, l.memory, storedFactor)
	case work > l.work:
		return fmt.Errorf("memory × iterations %d above %d (%d× the configured)", work, l.work, storedFactor)
	case p.Parallelism > l.parallelism:
		return fmt.Errorf("parallelism %d above %d", p.Parallelism, l.parallelism)
	}
	return nil
}
