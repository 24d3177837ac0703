package token_test

import "testing"

func BenchmarkIssue(b *testing.B) {
	s, _, _ := setup(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Issue(alice); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	s, _, _ := setup(b)
	tok := issue(b, s, alice)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
