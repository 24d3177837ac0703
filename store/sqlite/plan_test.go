package sqlite

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/store"
)

// TestIndexedPathQueryPlan proves a filtered first page on a declared
// metadata path is read from its expression index in the default order,
// not by scanning users or sorting them: the property that keeps it fast
// at a million users (figures in docs/PERFORMANCE.md).
func TestIndexedPathQueryPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"), Options{
		IndexedPaths: []store.IndexedPath{{Path: "org.id"}, {AppMetadata: true, Path: "plan"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedPlanUsers(t, db, 2000)

	orgEq := store.UserFilter{Metadata: []store.JSONPredicate{{Path: "org.id", Op: store.JSONEq, Value: json.RawMessage(`"org-7"`)}}}
	notDeleted := false
	cases := []struct {
		name    string
		f       store.UserFilter
		index   string
		inOrder bool // rows come in the page's order from the index: no sort
	}{
		{"metadata EQ", orgEq, "users_metadata_org_id", true},
		// What the admin API sends: soft-deleted users left out around it.
		{"metadata EQ, not deleted", store.UserFilter{Deleted: &notDeleted, And: []store.UserFilter{orgEq}}, "users_metadata_org_id", true},
		{"metadata IN", store.UserFilter{Metadata: []store.JSONPredicate{{Path: "org.id", Op: store.JSONIn, Value: json.RawMessage(`["org-7","org-8"]`)}}}, "users_metadata_org_id", false},
		{"appMetadata EQ", store.UserFilter{AppMetadata: []store.JSONPredicate{{Path: "plan", Op: store.JSONEq, Value: json.RawMessage(`"pro"`)}}}, "users_app_metadata_plan", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := explainPage(t, db, &c.f)
			if !strings.Contains(plan, "USING INDEX "+c.index) && !strings.Contains(plan, "USING COVERING INDEX "+c.index) {
				t.Errorf("plan does not use %s:\n%s", c.index, plan)
			}
			if strings.Contains(plan, "SCAN users") {
				t.Errorf("plan scans the table:\n%s", plan)
			}
			if c.inOrder && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan sorts the matches instead of reading them in order:\n%s", plan)
			}
			t.Logf("plan:\n%s", plan)
			// totalCount reads only the index: no row of the table.
			if count := explain(t, db, `SELECT count(*) FROM users WHERE `, &c.f, ""); !strings.Contains(count, "USING COVERING INDEX "+c.index) {
				t.Errorf("count is not answered from the index alone:\n%s", count)
			}
		})
	}
}

// explainPage returns SQLite's query plan for the first page of 50.
func explainPage(t *testing.T, db *DB, f *store.UserFilter) string {
	t.Helper()
	keys, _ := sortKeys(nil)
	return explain(t, db, `SELECT id FROM users WHERE `, f, ` ORDER BY `+orderBy(keys)+` LIMIT 51`)
}

// explain returns the plan of head + the compiled filter + tail.
func explain(t *testing.T, db *DB, head string, f *store.UserFilter, tail string) string {
	t.Helper()
	cond, args, err := compileFilter(f)
	if err != nil {
		t.Fatal(err)
	}
	return planOf(t, db, head+cond+tail, args...)
}

// planOf returns SQLite's query plan of q, one step a line.
func planOf(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.r.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

func seedPlanUsers(t *testing.T, db *DB, n int) {
	t.Helper()
	users := make([]*store.User, n)
	now := store.Now()
	for i := range users {
		users[i] = &store.User{
			ID: store.NewID(), Username: fmt.Sprintf("u%d", i), UsernameKey: fmt.Sprintf("u%d", i),
			Status: store.StatusActive, CreatedAt: now, UpdatedAt: now,
			Metadata:    json.RawMessage(fmt.Sprintf(`{"org":{"id":"org-%d"}}`, i%100)),
			AppMetadata: json.RawMessage(fmt.Sprintf(`{"plan":"%s"}`, []string{"free", "pro", "team"}[i%3])),
		}
	}
	if err := db.CreateUsers(t.Context(), users); err != nil {
		t.Fatal(err)
	}
}

// TestPurgeQueryPlan: purging expired sessions reads neither table whole
// and takes a batch in index order, without sorting.
func TestPurgeQueryPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{purgeTokens, purgeSessions} {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = 1
		}
		plan := planOf(t, db, q, args...)
		if strings.Contains(plan, "SCAN sessions") || strings.Contains(plan, "SCAN refresh_tokens") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("plan scans a table or sorts:\n%s\nfor %s", plan, q)
		}
		t.Logf("plan:\n%s", plan)
	}
}

// TestOutboxQueryPlan: a claim reads the due messages of its kind from the
// partial index in claim order and checks the order key by index, and the
// purge finds done messages by index, so neither reads the sent messages
// the table holds until they are purged.
func TestOutboxQueryPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := []struct {
		q     string
		args  []any
		index []string
	}{
		{claimOutbox, []any{"w", 1, "mail", 1, 1, 10}, []string{"outbox_due", "outbox_order"}},
		{purgeOutbox, []any{1, 10}, []string{"outbox_done"}},
		{nextOutboxDue, []any{"mail", 1, "mail", 1}, []string{"outbox_due"}},
	}
	for _, c := range cases {
		plan := planOf(t, db, c.q, c.args...)
		if strings.HasPrefix(plan, "SCAN ") || strings.Contains(plan, "\nSCAN ") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("plan scans the outbox or sorts:\n%s\nfor %s", plan, c.q)
		}
		for _, index := range c.index {
			if !strings.Contains(plan, "INDEX "+index) {
				t.Errorf("plan does not use %s:\n%s\nfor %s", index, plan, c.q)
			}
		}
		t.Logf("plan:\n%s", plan)
	}
}
