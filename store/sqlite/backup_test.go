package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// TestBackupWhileWriting copies a database while another connection keeps
// inserting users: the copy opens as a store and holds every user stored
// before the backup began, and no more than were stored when it ended.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	path, dest := filepath.Join(dir, "live.db"), filepath.Join(dir, "copy.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	insert := func(from, n int) {
		users := make([]*store.User, n)
		for i := range users {
			name := fmt.Sprintf("u%05d", from+i)
			users[i] = &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive, CreatedAt: store.Now()}
		}
		if err := db.CreateUsers(t.Context(), users); err != nil {
			t.Error(err)
		}
	}
	insert(0, 500)
	var writing sync.WaitGroup
	writing.Go(func() {
		for i := 1; i <= 20; i++ {
			insert(i*500, 500)
		}
	})
	err = sqlite.Backup(t.Context(), path, dest)
	writing.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	after, _ := db.CountUsers(t.Context(), nil)

	cp, err := sqlite.Open(t.Context(), dest, sqlite.Options{})
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer cp.Close()
	got, err := cp.CountUsers(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got < 500 || got > after {
		t.Errorf("the copy holds %d users, want 500 (stored before) to %d (stored after)", got, after)
	}
	if _, err := cp.GetUserByKey(t.Context(), store.KeyUsername, "u00499"); err != nil {
		t.Errorf("a user stored before the backup: %v", err)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the copy's mode: %v (%v), want 0600: it holds hashes and signing keys", fi.Mode().Perm(), err)
	}
}

// TestBackupRefusesToOverwrite: an existing destination is left alone.
func TestBackupRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	path, dest := filepath.Join(dir, "live.db"), filepath.Join(dir, "old.db")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	os.WriteFile(dest, []byte("keep me"), 0o600)
	if err := sqlite.Backup(t.Context(), path, dest); err == nil {
		t.Fatal("Backup over an existing file succeeded")
	}
	if b, _ := os.ReadFile(dest); string(b) != "keep me" {
		t.Errorf("the existing file now holds %q", b)
	}
	if err := sqlite.Backup(t.Context(), filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db")); err == nil {
		t.Error("Backup of a missing database succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Error("a failed backup left its file")
	}
}
