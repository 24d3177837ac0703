package password_test

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usergraph/usergraph/password"
)

// cheap are test parameters: the same code path as production, a fraction
// of the cost.
var cheap = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestDefaultParams(t *testing.T) {
	got, want := password.DefaultParams(), password.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	if got != want {
		t.Fatalf("DefaultParams() = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("DefaultParams().Validate() = %v", err)
	}
}

func TestHashFormat(t *testing.T) {
	h := password.NewHasher(cheap, 1)
	enc, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)
	m := re.FindStringSubmatch(enc)
	if m == nil {
		t.Fatalf("Hash() = %q, not a PHC argon2id string", enc)
	}
	for i, want := range []int{16, 32} {
		b, err := base64.RawStdEncoding.DecodeString(m[i+1])
		if err != nil || len(b) != want {
			t.Errorf("field %d decodes to %d bytes (err %v), want %d", i+4, len(b), err, want)
		}
	}
	again, _ := h.Hash(context.Background(), "correct horse")
	if again == enc {
		t.Errorf("two hashes of one password are equal: salt not random")
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	h := password.NewHasher(cheap, 0)
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		plain  string
		wantOK bool
	}{
		{"correct horse", true},
		{"correct horsE", false},
		{"", false},
	}
	for _, tt := range tests {
		ok, rehash, err := h.Verify(ctx, tt.plain, enc)
		if ok != tt.wantOK || rehash || err != nil {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v, false, nil", tt.plain, ok, rehash, err, tt.wantOK)
		}
	}
}

func TestVerifyBcrypt(t *testing.T) {
	ctx := context.Background()
	h := password.NewHasher(cheap, 0)
	b, err := bcrypt.GenerateFromPassword([]byte("imported pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		enc := prefix + string(b[4:])
		if ok, rehash, err := h.Verify(ctx, "imported pw", enc); !ok || !rehash || err != nil {
			t.Errorf("Verify(right, %s...) = %v, %v, %v; want true, true, nil", prefix, ok, rehash, err)
		}
		if ok, rehash, err := h.Verify(ctx, "imported pW", enc); ok || rehash || err != nil {
			t.Errorf("Verify(wrong, %s...) = %v, %v, %v; want false, false, nil", prefix, ok, rehash, err)
		}
	}
}

func TestVerifyRehashOnParamChange(t *testing.T) {
	ctx := context.Background()
	old := password.NewHasher(cheap, 0)
	enc, _ := old.Hash(ctx, "correct horse")
	changes := map[string]func(*password.Params){
		"memory":      func(p *password.Params) { p.Memory = 128 },
		"iterations":  func(p *password.Params) { p.Iterations = 2 },
		"parallelism": func(p *password.Params) { p.Parallelism = 2 },
		"salt length": func(p *password.Params) { p.SaltLength = 32 },
		"key length":  func(p *password.Params) { p.KeyLength = 64 },
	}
	for name, change := range changes {
		p := cheap
		change(&p)
		ok, rehash, err := password.NewHasher(p, 0).Verify(ctx, "correct horse", enc)
		if !ok || !rehash || err != nil {
			t.Errorf("%s changed: Verify = %v, %v, %v; want true, true, nil", name, ok, rehash, err)
		}
	}
}

// A cancelled caller gets its context's error before any work: nothing is
// counted as hashed.
func TestCancelledContext(t *testing.T) {
	h := password.NewHasher(cheap, 1)
	enc, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	before := h.Stats().Hashes
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "correct horse"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash(cancelled) error = %v, want context.Canceled", err)
	}
	if _, _, err := h.Verify(ctx, "correct horse", enc); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify(cancelled) error = %v, want context.Canceled", err)
	}
	if err := h.VerifyDummy(ctx, "correct horse"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyDummy(cancelled) error = %v, want context.Canceled", err)
	}
	if got := h.Stats().Hashes - before; got != 0 {
		t.Errorf("%d hashes computed for cancelled callers, want 0", got)
	}
}

// Hashes made with either argon2 implementation verify with the other, and
// a wrong password fails with both: the setting can change at any restart.
func TestImplsVerifyEachOther(t *testing.T) {
	ctx := context.Background()
	copied := password.NewHasher(cheap, 1, password.Argon2Impl(password.ImplCopy))
	upstream := password.NewHasher(cheap, 1, password.Argon2Impl(password.ImplUpstream))
	for _, c := range []struct{ made, checks *password.Hasher }{{copied, upstream}, {upstream, copied}} {
		enc, err := c.made.Hash(ctx, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if ok, rehash, err := c.checks.Verify(ctx, "correct horse", enc); !ok || rehash || err != nil {
			t.Errorf("hash by %s, Verify by %s = %v, %v, %v; want true, false, nil", c.made.Impl(), c.checks.Impl(), ok, rehash, err)
		}
		if ok, _, err := c.checks.Verify(ctx, "correct horsE", enc); ok || err != nil {
			t.Errorf("hash by %s, Verify(wrong) by %s = %v, %v; want false, nil", c.made.Impl(), c.checks.Impl(), ok, err)
		}
	}
}

func TestParseImpl(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    password.Impl
		wantErr bool
	}{
		{"", password.ImplCopy, false},
		{"copy", password.ImplCopy, false},
		{"upstream", password.ImplUpstream, false},
		{"Upstream", "", true},
		{"x/crypto", "", true},
	} {
		got, err := password.ParseImpl(c.in)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("ParseImpl(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Argon2Impl(\"bogus\") did not panic")
		}
	}()
	password.Argon2Impl("bogus")
}

func TestBenchmarkMethod(t *testing.T) {
	if d := password.NewHasher(cheap, 1).Benchmark(2); d <= 0 {
		t.Errorf("Benchmark(2) = %v, want > 0", d)
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("NewHasher(Iterations: 0) did not panic")
		}
	}()
	p := cheap
	p.Iterations = 0
	password.NewHasher(p, 1)
}

func BenchmarkHash(b *testing.B) {
	h := password.NewHasher(password.DefaultParams(), 0)
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := password.NewHasher(password.DefaultParams(), 0)
	enc, _ := h.Hash(context.Background(), "correct horse battery staple")
	for b.Loop() {
		if ok, _, err := h.Verify(context.Background(), "correct horse battery staple", enc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func TestStatsCountWorkAndWaiting(t *testing.T) {
	h := password.NewHasher(cheap, 1)
	before := h.Stats()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Hash(context.Background(), "correct horse battery")
		}()
	}
	wg.Wait()
	s := h.Stats()
	if got := s.Hashes - before.Hashes; got != 4 {
		t.Errorf("Hashes grew by %d, want 4", got)
	}
	if s.Work <= before.Work {
		t.Errorf("Work did not grow: %v → %v", before.Work, s.Work)
	}
	if s.InFlight != 0 || s.Waiting != 0 {
		t.Errorf("after the hashes: %d in flight, %d waiting; want 0 and 0", s.InFlight, s.Waiting)
	}
}
