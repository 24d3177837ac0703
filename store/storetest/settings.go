package storetest

import (
	"testing"

	"github.com/usergraph/usergraph/store"
)

var settingTests = []subTest{
	{"SettingMissing", testSettingMissing},
	{"CreateSettingOnce", testCreateSettingOnce},
	{"PutSetting", testPutSetting},
	{"DeleteSetting", testDeleteSetting},
}

// wantSetting fails unless GetSetting(name) returns want.
func wantSetting(t *testing.T, s store.Store, what, name, want string) {
	t.Helper()
	got, err := s.GetSetting(t.Context(), name)
	if err != nil || got != want {
		t.Errorf("%s: GetSetting(%q) got %q, %v; want %q", what, name, got, err, want)
	}
}

func testSettingMissing(t *testing.T, s store.Store) {
	if err := s.PutSetting(t.Context(), "other", "x"); err != nil {
		t.Fatalf("PutSetting: %v", err)
	}
	_, err := s.GetSetting(t.Context(), "missing")
	wantErrIs(t, "GetSetting of a name never set", err, store.ErrNotFound)
}

func testCreateSettingOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.CreateSetting(ctx, "bootstrap", "hash-1"); err != nil {
		t.Fatalf("CreateSetting: %v", err)
	}
	wantErrIs(t, "second CreateSetting", s.CreateSetting(ctx, "bootstrap", "hash-2"), store.ErrAlreadyExists)
	wantSetting(t, s, "after the second CreateSetting", "bootstrap", "hash-1")
	// An empty value is a value: set, and found.
	if err := s.CreateSetting(ctx, "empty", ""); err != nil {
		t.Fatalf("CreateSetting with an empty value: %v", err)
	}
	wantSetting(t, s, "empty value", "empty", "")
	wantErrIs(t, "CreateSetting over an empty value", s.CreateSetting(ctx, "empty", "x"), store.ErrAlreadyExists)
}

func testPutSetting(t *testing.T, s store.Store) {
	ctx := t.Context()
	long := make([]byte, 4096)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	for _, v := range []string{"v1", "ünïcode ✓ \"quoted\"\n", string(long)} {
		if err := s.PutSetting(ctx, "name", v); err != nil {
			t.Fatalf("PutSetting: %v", err)
		}
		wantSetting(t, s, "after PutSetting", "name", v)
	}
	if err := s.CreateSetting(ctx, "created", "first"); err != nil {
		t.Fatalf("CreateSetting: %v", err)
	}
	if err := s.PutSetting(ctx, "created", "replaced"); err != nil {
		t.Fatalf("PutSetting over a created value: %v", err)
	}
	wantSetting(t, s, "PutSetting over CreateSetting", "created", "replaced")
}

func testDeleteSetting(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.DeleteSetting(ctx, "never"); err != nil {
		t.Errorf("DeleteSetting of a missing name: got %v, want nil", err)
	}
	for _, name := range []string{"a", "b"} {
		if err := s.PutSetting(ctx, name, name+"-value"); err != nil {
			t.Fatalf("PutSetting: %v", err)
		}
	}
	if err := s.DeleteSetting(ctx, "a"); err != nil {
		t.Fatalf("DeleteSetting: %v", err)
	}
	_, err := s.GetSetting(ctx, "a")
	wantErrIs(t, "GetSetting after delete", err, store.ErrNotFound)
	wantSetting(t, s, "the other setting", "b", "b-value")
	// Deleting frees the name for the one-time CreateSetting.
	if err := s.CreateSetting(ctx, "a", "again"); err != nil {
		t.Errorf("CreateSetting after delete: %v", err)
	}
	wantSetting(t, s, "CreateSetting after delete", "a", "again")
}
