package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

// While scans hold every slot they may, a point read still gets a reader
// connection, and the next scan waits its turn (here until its deadline),
// then runs once a slot is free.
func TestScansLeavePointReadsAConnection(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "scans.db"), Options{Readers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedPlanUsers(t, db, 10)
	u, err := db.GetUserByKey(t.Context(), store.KeyUsername, "u3")
	if err != nil {
		t.Fatal(err)
	}

	// Two of the three readers: what newScans allows.
	if err := db.scans.sem.Acquire(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	if !db.scans.sem.TryAcquire(0) || db.scans.sem.TryAcquire(1) {
		t.Fatal("scans admit more than readers - 1 at once")
	}
	// Busy connections for the two held slots, as running scans would have.
	busy := make([]*sql.Conn, 0, 2)
	for range 2 {
		c, err := db.r.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		busy = append(busy, c)
	}
	defer func() {
		for _, c := range busy {
			c.Close()
		}
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := db.GetUser(ctx, u.ID); err != nil {
		t.Fatalf("point read while scans hold their slots: %v", err)
	}
	short, cancelShort := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancelShort()
	if _, err := db.ListUsers(short, store.UserQuery{Limit: 5}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("scan beyond the slots: error %v, want to wait until its deadline", err)
	}

	db.scans.sem.Release(2)
	page, err := db.ListUsers(ctx, store.UserQuery{Limit: 5})
	if err != nil || len(page.Users) != 5 {
		t.Fatalf("scan after the slots were freed: %v users, error %v", page, err)
	}
}
