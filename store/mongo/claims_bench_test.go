package mongo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
)

// What a claim adds to a write (docs/MONGODB.md, "What the claims cost").
// Each iteration updates one user twice, by UpdateUser (read, claim,
// conditional replace) and by the same read and replace without the claim,
// in turn, so both meet the same load; it reports the mean of each and
// their difference. ClaimInsert times the claim's insert alone. The
// database holds `others` more users, since on FerretDB a conditional
// update reads the whole collection.
//
//	USERGRAPH_TEST_MONGODB_URI=mongodb://127.0.0.1:27017/ go test -run '^$' -bench Claim ./store/mongo/
func BenchmarkClaim(b *testing.B) {
	for _, others := range []int{0, 1000} {
		b.Run(fmt.Sprintf("users=%d", others+1), func(b *testing.B) {
			db := openBenchDB(b, others)
			u := createTestUser(b, db, "bench")
			b.Run("UpdateUser", func(b *testing.B) { benchUpdates(b, db, u.ID) })
			b.Run("ClaimInsert", func(b *testing.B) {
				for b.Loop() {
					if err := db.TakeWriteClaim(b.Context(), "bench:"+store.NewID()); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func benchUpdates(b *testing.B, db *mongo.DB, id string) {
	touch := func(u *store.User) { u.AdditionalInfo = fmt.Sprint(u.Version) }
	var claimed, unclaimed time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if _, err := db.UpdateUser(b.Context(), id, func(u *store.User) error { touch(u); return nil }); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := db.UpdateUserUnclaimed(b.Context(), id, touch); err != nil {
			b.Fatal(err)
		}
		claimed += mid.Sub(start)
		unclaimed += time.Since(mid)
		n++
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(n) / 1e6 }
	b.ReportMetric(ms(claimed), "claimed-ms/op")
	b.ReportMetric(ms(unclaimed), "unclaimed-ms/op")
	b.ReportMetric(ms(claimed-unclaimed), "claim-ms/op")
}

// openBenchDB opens a fresh database holding `others` users.
func openBenchDB(b *testing.B, others int) *mongo.DB {
	db := openTestDB(b, mongo.ServerURI(b))
	if others == 0 {
		return db
	}
	now := store.Now()
	users := make([]*store.User, others)
	for i := range users {
		name := fmt.Sprintf("other%05d", i)
		users[i] = &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	}
	if err := db.CreateUsers(b.Context(), users); err != nil {
		b.Fatal(err)
	}
	return db
}
