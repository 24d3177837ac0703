package argon2_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	upstream "golang.org/x/crypto/argon2"

	"github.com/usergraph/usergraph/password/internal/argon2"
)

// One Memory serves every case in turn, so each runs in memory that an
// earlier, different computation left dirty (and sometimes larger than it
// needs), which is what reuse means.
func TestIDKeyMatchesUpstream(t *testing.T) {
	var m argon2.Memory
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}{
		{2, 19456, 1, 32}, // OWASP, the server's default
		{2, 19456, 1, 32}, // the same again in its own leftovers
		{1, 64, 1, 16},    // much smaller than the memory holds
		{3, 1000, 4, 64},  // lanes, and memory not a multiple of 4 × lanes
		{1, 8, 1, 32},     // below the minimum: upstream rounds it up
		{2, 4099, 3, 33},
		{2, 19456, 1, 32},
	}
	for i, c := range cases {
		password, salt := random(rng, 1+i*7), random(rng, 16)
		want := upstream.IDKey(password, salt, c.time, c.memory, c.threads, c.keyLen)
		got := m.IDKey(password, salt, c.time, c.memory, c.threads, c.keyLen)
		if !bytes.Equal(got, want) {
			t.Errorf("case %d %+v: key %x, upstream %x", i, c, got, want)
		}
	}
}

// Memory full of ones gives the same key as upstream's zeroed memory: the
// first pass must overwrite every block, not XOR into it.
func TestIDKeyIgnoresLeftoverMemory(t *testing.T) {
	var m argon2.Memory
	password, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	want := upstream.IDKey(password, salt, 2, 1024, 1, 32)
	m.IDKey(password, salt, 2, 1024, 1, 32) // sizes the memory
	argon2.Fill(&m, ^uint64(0))
	if got := m.IDKey(password, salt, 2, 1024, 1, 32); !bytes.Equal(got, want) {
		t.Fatalf("key %x after the memory was filled with ones, want %x", got, want)
	}
}

// upstreamArgon2 is the upstream argon2.go this package's argon2.go was
// ported from: x/crypto's version and the file's sha256. A new x/crypto in
// go.mod fails TestUpstreamArgon2Pinned until someone re-ports upstream's
// changes to argon2.go (if the file changed) and moves the pin.
var upstreamArgon2 = struct{ version, sha256 string }{
	version: "v0.59.0",
	sha256:  "3675c69f8a2efbd5ae4d35d00f5679113b50ec32f3fe6482c669ef7b401a38d5",
}

// upstreamModule returns the directory and version of the x/crypto that
// go.mod requires, from the module cache.
func upstreamModule(t *testing.T) (dir, version string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}\t{{.Version}}", "golang.org/x/crypto").Output()
	if err != nil {
		t.Fatalf("go list golang.org/x/crypto: %v", err)
	}
	dir, version, ok := strings.Cut(strings.TrimSpace(string(out)), "\t")
	if !ok || dir == "" {
		t.Fatalf("go list golang.org/x/crypto: %q, want its directory and version", out)
	}
	return dir, version
}

// argon2.go is a port of upstream's argon2.go at a known version: when
// go.mod moves x/crypto, this fails until the port is redone.
func TestUpstreamArgon2Pinned(t *testing.T) {
	dir, version := upstreamModule(t)
	src, err := os.ReadFile(filepath.Join(dir, "argon2", "argon2.go"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(src)
	switch got := hex.EncodeToString(sum[:]); {
	case got != upstreamArgon2.sha256:
		t.Errorf("upstream argon2.go at x/crypto %s has sha256 %s, but argon2.go was ported from %s (sha256 %s): "+
			"apply upstream's changes since then to argon2.go (diff the two upstream versions), copy the other files again "+
			"(TestUpstreamFiles), then pin the new version and sha256 in upstreamArgon2",
			version, got, upstreamArgon2.version, upstreamArgon2.sha256)
	case version != upstreamArgon2.version:
		t.Errorf("go.mod requires x/crypto %s, argon2.go was ported from %s: upstream's argon2.go is unchanged (same sha256), "+
			"so move upstreamArgon2.version and the package comment to %s", version, upstreamArgon2.version, version)
	}
}

// The files other than argon2.go are upstream's; when go.mod moves to a new
// x/crypto whose versions differ, this says which to copy again (and
// argon2.go's changes to re-apply by hand, the other tests guarding them).
func TestUpstreamFiles(t *testing.T) {
	upstream, _ := upstreamModule(t)
	dir := filepath.Join(upstream, "argon2")
	ours, err := filepath.Glob("blam*")
	if err != nil || len(ours) < 5 {
		t.Fatalf("copied files: %v %v", ours, err)
	}
	for _, name := range append(ours, "blake2b.go") {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got, _ := os.ReadFile(name); !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s: copy it again", name, filepath.Join(dir, name))
		}
	}
}

func BenchmarkIDKeyReused(b *testing.B) {
	var m argon2.Memory
	for b.Loop() {
		m.IDKey([]byte("password"), []byte("0123456789abcdef"), 2, 19456, 1, 32)
	}
}

func BenchmarkIDKeyUpstream(b *testing.B) {
	for b.Loop() {
		upstream.IDKey([]byte("password"), []byte("0123456789abcdef"), 2, 19456, 1, 32)
	}
}

func random(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// Two at once, as the server hashes on two cores: upstream's garbage also
// costs collections there.
func BenchmarkIDKeyReusedParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var m argon2.Memory
		for pb.Next() {
			m.IDKey([]byte("password"), []byte("0123456789abcdef"), 2, 19456, 1, 32)
		}
	})
}

func BenchmarkIDKeyUpstreamParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			upstream.IDKey([]byte("password"), []byte("0123456789abcdef"), 2, 19456, 1, 32)
		}
	})
}

// Memory that the caller supplies (the server maps it outside the heap)
// gives upstream's keys too, dirty or not, and a larger computation than it
// holds still works.
func TestMemoryIn(t *testing.T) {
	buf := make([]byte, 256*1024)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	m := argon2.MemoryIn(buf)
	password, salt := []byte("pw"), []byte("0123456789abcdef")
	for _, kib := range []uint32{256, 64, 1024} {
		if got, want := m.IDKey(password, salt, 2, kib, 1, 32), upstream.IDKey(password, salt, 2, kib, 1, 32); !bytes.Equal(got, want) {
			t.Errorf("m=%d: key %x, upstream %x", kib, got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MemoryIn accepted a partial block")
		}
	}()
	argon2.MemoryIn(make([]byte, 1000))
}
