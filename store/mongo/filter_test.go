package mongo

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// Filters → BSON for representative filters, without a server. The
// expected queries are relaxed extended JSON; what they match is checked
// against a server by the conformance suite.

func extJSON(t *testing.T, d bson.D) string {
	t.Helper()
	b, err := bson.MarshalExtJSON(d, false, false)
	if err != nil {
		t.Fatalf("MarshalExtJSON: %v", err)
	}
	return string(b)
}

func md(path string, op store.JSONOp, value string) store.UserFilter {
	return store.UserFilter{Metadata: []store.JSONPredicate{{Path: path, Op: op, Value: json.RawMessage(value)}}}
}

const (
	notArr = `{"$not":{"$type":"array"}}`
	epoch  = `{"$date":"1970-01-01T00:00:00Z"}`
)

func TestCompileFilter(t *testing.T) {
	yes, day := true, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	inner := store.UserFilter{Status: []store.Status{store.StatusPending}}
	cases := []struct {
		name string
		f    store.UserFilter
		want string
	}{
		{"zero", store.UserFilter{}, `{}`},
		{"empty ids match nobody", store.UserFilter{IDs: []string{}}, `{"_id":{"$in":[]}}`},
		{"empty or is nobody", store.UserFilter{Or: []store.UserFilter{}}, `{"_id":{"$in":[]}}`},
		{"empty and is everyone", store.UserFilter{And: []store.UserFilter{}}, `{}`},
		{"or with a zero member is everyone", store.UserFilter{Or: []store.UserFilter{{}, {IDs: []string{}}}}, `{}`},
		{"ids and status", store.UserFilter{IDs: []string{"a"}, Status: []store.Status{store.StatusActive}},
			`{"$and":[{"_id":{"$in":["a"]}},{"status":{"$in":["ACTIVE"]}}]}`},
		{"usernames are keys as given, empty dropped", store.UserFilter{Usernames: []string{"Ann", ""}},
			`{"unique.username":{"$in":["Ann"]},"usernameKey":{"$in":["Ann"]}}`},
		{"emails fold, empty dropped", store.UserFilter{Emails: []string{" ANN@X.org ", ""}},
			`{"unique.email":{"$in":["ann@x.org"]},"emailKey":{"$in":["ann@x.org"]}}`},
		{"only empty emails match nobody", store.UserFilter{Emails: []string{""}}, `{"_id":{"$in":[]}}`},
		{"search is a literal lower-case regex", store.UserFilter{Search: "ÜNAL.*"}, `{"searchText":{"$regex":"ünal\\.\\*"}}`},
		{"not active", store.UserFilter{Active: new(bool)}, `{"$nor":[{"status":"ACTIVE","deletedAt":` + epoch + `}]}`},
		{"deleted", store.UserFilter{Deleted: &yes}, `{"$nor":[{"deletedAt":` + epoch + `}]}`},
		{"roles any and all", store.UserFilter{Roles: &store.SetMatch{Any: []string{"a", "b"}, All: []string{"c"}}},
			`{"$and":[{"roles":{"$in":["a","b"]}},{"roles":{"$all":["c"]}}]}`},
		{"tags all empty is everyone", store.UserFilter{Tags: &store.SetMatch{All: []string{}}}, `{}`},
		{"time range", store.UserFilter{LastLoginAt: &store.TimeRange{Gte: day, Lt: day.Add(time.Hour)}},
			`{"lastLoginAt":{"$gte":{"$date":"2024-01-02T00:00:00Z"},"$lt":{"$date":"2024-01-02T01:00:00Z"}}}`},
		{"not not", store.UserFilter{Not: &store.UserFilter{Not: &inner}}, `{"$nor":[{"$nor":[{"status":{"$in":["PENDING"]}}]}]}`},

		// JSON predicates: prefixes must not be arrays, scalars are typed.
		{"EQ number at a top-level key", md("age", store.JSONEq, `30`),
			`{"metadata.age":{"$not":{"$type":"array"},"$type":"number","$in":[30]}}`},
		{"EQ string on a nested path", md("org.id", store.JSONEq, `"acme"`),
			`{"$and":[{"metadata.org":` + notArr + `},{"metadata.org.id":{"$not":{"$type":"array"},"$type":"string","$in":["acme"]}}]}`},
		{"EQ null is an explicit null", md("nick", store.JSONEq, `null`),
			`{"metadata.nick":{"$not":{"$type":"array"},"$type":"null"}}`},
		{"IN groups by type", md("v", store.JSONIn, `[1,"1",true,null,2.5]`),
			`{"$or":[{"metadata.v":{"$not":{"$type":"array"},"$type":"null"}},` +
				`{"metadata.v":{"$not":{"$type":"array"},"$type":"number","$in":[1,2.5]}},` +
				`{"metadata.v":{"$not":{"$type":"array"},"$type":"string","$in":["1"]}},` +
				`{"metadata.v":{"$not":{"$type":"array"},"$type":"bool","$in":[true]}}]}`},
		{"IN empty is nobody", md("v", store.JSONIn, `[]`), `{"_id":{"$in":[]}}`},
		{"NIN empty is everyone", md("v", store.JSONNin, `[]`), `{}`},
		{"NE negates EQ, missing included", md("a.b", store.JSONNe, `true`),
			`{"$nor":[{"$and":[{"metadata.a":` + notArr + `},{"metadata.a.b":{"$not":{"$type":"array"},"$type":"bool","$in":[true]}}]}]}`},
		{"GT keeps to the value's type", md("age", store.JSONGt, `"2"`),
			`{"metadata.age":{"$not":{"$type":"array"},"$type":"string","$gt":"2"}}`},
		{"EXISTS false", md("a.b.c", store.JSONExists, `false`),
			`{"$nor":[{"$and":[{"metadata.a":` + notArr + `},{"metadata.a.b":` + notArr + `},{"metadata.a.b.c":{"$exists":true}}]}]}`},
		{"CONTAINS string: element or substring", md("langs", store.JSONContains, `"g.o"`),
			`{"$or":[{"$and":[{"metadata.langs":{"$type":"array"}},{"metadata.langs":{"$eq":"g.o"}}]},` +
				`{"metadata.langs":{"$not":{"$type":"array"},"$type":"string","$regex":"g\\.o"}}]}`},
		{"CONTAINS number: element only", md("langs", store.JSONContains, `1`),
			`{"$and":[{"metadata.langs":{"$type":"array"}},{"metadata.langs":{"$eq":1}}]}`},
		{"PREFIX is anchored and literal", md("bio", store.JSONPrefix, `"L_v%(s"`),
			`{"metadata.bio":{"$not":{"$type":"array"},"$type":"string","$regex":"^L_v%\\(s"}}`},
		{"appMetadata", store.UserFilter{AppMetadata: []store.JSONPredicate{{Path: "plan", Op: store.JSONEq, Value: json.RawMessage(`"pro"`)}}},
			`{"appMetadata.plan":{"$not":{"$type":"array"},"$type":"string","$in":["pro"]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := compileFilter(&c.f)
			if err != nil {
				t.Fatalf("compileFilter: %v", err)
			}
			if s := extJSON(t, got.query()); s != c.want {
				t.Errorf("\n got %s\nwant %s", s, c.want)
			}
		})
	}
}

func TestCompileFilterInvalid(t *testing.T) {
	for _, f := range []store.UserFilter{
		md("a..b", store.JSONEq, `1`),
		md("$where", store.JSONEq, `1`),
		md("age", store.JSONGt, `true`),
		md("age", "REGEX", `"x"`),
		{Not: &store.UserFilter{Status: []store.Status{"GONE"}}},
	} {
		if _, err := compileFilter(&f); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("compileFilter(%+v): got %v, want ErrInvalid", f, err)
		}
	}
}

// NUL cannot appear in a BSON regular expression; it is escaped.
func TestQuoteRegex(t *testing.T) {
	if got, want := quoteRegex("a\x00b.c"), `a\x00b\.c`; got != want {
		t.Errorf("quoteRegex: got %q, want %q", got, want)
	}
}
