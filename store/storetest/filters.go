package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var filterTests = []subTest{
	{"UserFilters", testFilters},
	{"UserFiltersInvalid", testInvalidFilters},
	{"UserSearchFollowsNames", testSearchFollowsNames},
}

// filterPopulation is the fixed set of users every filter case runs on. The
// label is the username's key. Comments name what each user is there for.
func filterPopulation() []*store.User {
	users := []*store.User{
		{Username: "Ann", Email: "ann@example.com", FirstName: "Ann", LastName: "Archer", FullName: "Ann Archer",
			EmailVerified: true, Roles: []string{"admin", "editor"}, Tags: []string{"vip", "beta"},
			CreatedAt: day(1), LastLoginAt: day(10), LastRequestAt: day(11),
			Metadata: raw(`{"age":30,"org":{"id":"acme","plan":{"tier":"gold"}},"score":1,"flag":true,
				"langs":["go","rust"],"bio":"Loves Go and Rust","joined":"2023-05-01","nick":null,"ref-code_1":"A1"}`),
			AppMetadata: raw(`{"plan":"pro","seats":10}`)},
		// Strings where ann has numbers ("30", not 30), a float 1.0, the
		// number 1 where ann has true; never logged in.
		{Username: "bob", Email: "Bob@Example.com", FirstName: "Bob", LastName: "Builder",
			Roles: []string{"editor"}, Tags: []string{"beta"}, CreatedAt: day(2),
			Metadata: raw(`{"age":"30","org":{"id":"globex","plan":{"tier":"silver"}},"score":1.0,"flag":1,
				"langs":["python"],"bio":"likes go","joined":"2024-02-15"}`),
			AppMetadata: raw(`{"plan":"free"}`)},
		// org is an array of objects: org.id goes through an array, so it
		// is missing. No email, nil AppMetadata.
		{Username: "cat", Status: store.StatusPending, CreatedAt: day(3), LastLoginAt: day(5), LastRequestAt: day(5),
			Metadata: raw(`{"age":25,"org":[{"id":"acme"}],"score":2,"flag":false,"langs":[],"nick":"kitty"}`)},
		// Non-ASCII name, a float age, the string "true", a mixed array.
		{Username: "dan", Email: "dan@example.org", FirstName: "Dan", LastName: "Ünal", FullName: "Dan Ünal",
			Status: store.StatusSuspended, EmailVerified: true, Roles: []string{"viewer"}, Tags: []string{"vip"},
			CreatedAt: day(4), LastLoginAt: day(20), LastRequestAt: day(20),
			Metadata: raw(`{"age":41.5,"org":{"id":"acme","plan":{"tier":"silver"}},"score":10,"flag":"true",
				"langs":["go",1],"bio":"GOPHER","joined":"2022-12-31"}`),
			AppMetadata: raw(`{"plan":"pro","seats":2}`)},
		// A guest with nothing: every path is missing.
		{Username: "eve", IsGuest: true, CreatedAt: day(5)},
		// Soft-deleted (status still ACTIVE); explicit nulls.
		{Username: "fay", Email: "fay@example.com", FirstName: "Fay", EmailVerified: true, DeletedAt: day(30),
			Roles: []string{"admin"}, Tags: []string{"beta", "alpha"},
			CreatedAt: day(6), LastLoginAt: day(6), LastRequestAt: day(7),
			Metadata:    raw(`{"org":{"id":null},"age":null,"nick":null}`),
			AppMetadata: raw(`{"plan":null}`)},
		// org.plan is a string, so org.plan.tier goes through a scalar;
		// age 30.0 equals 30; score "1" is a string; langs is a string.
		{Username: "Gus", Email: "GUS@EXAMPLE.COM", EmailVerified: true,
			Roles: []string{"admin", "viewer"}, Tags: []string{"vip", "beta", "alpha"},
			CreatedAt: day(7), LastLoginAt: day(1), LastRequestAt: day(2),
			Metadata:    raw(`{"org":{"id":"initech","plan":"basic"},"age":30.0,"score":"1","langs":"go","bio":"Go"}`),
			AppMetadata: raw(`{"plan":"enterprise","seats":100,"limits":{"api":5}}`)},
		// Upper-case "ACME"; a date-time string beside ann's and bob's dates.
		{Username: "hal", Email: "hal@example.net", Status: store.StatusPending, Tags: []string{"alpha"},
			CreatedAt:   day(8),
			Metadata:    raw(`{"org":{"id":"ACME"},"age":7,"flag":true,"joined":"2024-02-15T10:00:00Z"}`),
			AppMetadata: raw(`{"plan":"pro"}`)},
		// Case-different role and tag; an empty object and an empty string.
		{Username: "ivy", Email: "ivy@example.com", FirstName: "Ivy", Roles: []string{"Admin"}, Tags: []string{"VIP"},
			CreatedAt: day(9), LastLoginAt: day(15), LastRequestAt: day(15),
			Metadata:    raw(`{"age":30,"score":1,"langs":["Go"],"bio":"","org":{}}`),
			AppMetadata: raw(`{"plan":"pro","seats":"10"}`)},
		// A deleted guest; a negative number; a deeper object.
		{Username: "jon", Email: "jon@example.com", EmailVerified: true, IsGuest: true, DeletedAt: day(31),
			Roles: []string{"editor"}, Tags: []string{"beta"},
			CreatedAt: day(10), LastLoginAt: day(12), LastRequestAt: day(12),
			Metadata:    raw(`{"age":-3,"org":{"id":"acme","plan":{"tier":"gold","seats":5}},"flag":false,"langs":["go","go"],"score":0.5}`),
			AppMetadata: raw(`{}`)},
		// org is a scalar; "tags" in metadata is not the Tags field. The
		// stored full name is what shows, not first + last.
		{Username: "kim", Email: "kim@example.com", FirstName: "Kimberly", LastName: "Lee", FullName: "Kim Lee", Status: store.StatusSuspended,
			CreatedAt:   day(11),
			Metadata:    raw(`{"age":"thirty","tags":"vip","org":"acme"}`),
			AppMetadata: raw(`{"plan":"PRO"}`)},
	}
	for _, u := range users {
		prepUser(u)
	}
	return users
}

// everyone is every label of filterPopulation.
var everyone = []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim"}

// except returns everyone but the given labels: NE, NIN and not cases read
// as "all but these".
func except(labels ...string) []string {
	var out []string
	for _, l := range everyone {
		if !slices.Contains(labels, l) {
			out = append(out, l)
		}
	}
	return out
}

func jp(path string, op store.JSONOp, value string) store.JSONPredicate {
	return store.JSONPredicate{Path: path, Op: op, Value: json.RawMessage(value)}
}

// md and app build filters of one or more predicates.
func md(p ...store.JSONPredicate) store.UserFilter  { return store.UserFilter{Metadata: p} }
func app(p ...store.JSONPredicate) store.UserFilter { return store.UserFilter{AppMetadata: p} }

func not(f store.UserFilter) store.UserFilter { return store.UserFilter{Not: &f} }

func or(fs ...store.UserFilter) store.UserFilter {
	return store.UserFilter{Or: append([]store.UserFilter{}, fs...)}
}

func and(fs ...store.UserFilter) store.UserFilter {
	return store.UserFilter{And: append([]store.UserFilter{}, fs...)}
}

type filterCase struct {
	name string
	f    store.UserFilter // IDs hold labels, replaced by the seeded ids
	want []string         // labels
}

// filterCases follow docs/FILTERS.md. Comments give the reason a user is in
// or out where it is not obvious.
func filterCases() []filterCase {
	ms := time.Millisecond
	east := time.FixedZone("UTC+5", 5*3600)
	west := time.FixedZone("UTC-7", -7*3600)
	return []filterCase{
		// Combining.
		{"zero filter", store.UserFilter{}, everyone},
		{"and empty holds", and(), everyone},
		{"or empty holds for nobody", or(), nil},
		{"or", or(store.UserFilter{Usernames: []string{"ann"}}, store.UserFilter{Status: []store.Status{store.StatusPending}}), []string{"ann", "cat", "hal"}},
		{"or with a zero member", or(store.UserFilter{}, store.UserFilter{IDs: []string{}}), everyone},
		{"and", and(store.UserFilter{Roles: &store.SetMatch{Any: []string{"admin"}}}, store.UserFilter{Tags: &store.SetMatch{Any: []string{"alpha"}}}), []string{"fay", "gus"}},
		{"parts are ANDed", store.UserFilter{Status: []store.Status{store.StatusActive}, EmailVerified: new(true), Roles: &store.SetMatch{Any: []string{"admin"}}}, []string{"ann", "fay", "gus"}},
		{"part and or", store.UserFilter{Status: []store.Status{store.StatusActive}, Or: []store.UserFilter{{IsGuest: new(true)}, {EmailVerified: new(true)}}}, []string{"ann", "eve", "fay", "gus", "jon"}},
		{"not zero filter is nobody", not(store.UserFilter{}), nil},
		{"not empty or is everyone", not(or()), everyone},
		{"not not", not(not(store.UserFilter{Status: []store.Status{store.StatusPending}})), []string{"cat", "hal"}},
		{"not over and", not(and(store.UserFilter{Active: new(true)}, md(jp("age", store.JSONEq, `30`)))), except("ann", "gus", "ivy")},
		{"and over or and not", and(or(store.UserFilter{Tags: &store.SetMatch{Any: []string{"vip"}}}, store.UserFilter{Tags: &store.SetMatch{Any: []string{"alpha"}}}), not(store.UserFilter{Status: []store.Status{store.StatusActive}})), []string{"dan", "hal"}},
		// editor and not deleted: ann, bob. Neither org.id nor app plan
		// exists: cat, eve.
		{"nested or/and/not", or(
			and(store.UserFilter{Roles: &store.SetMatch{Any: []string{"editor"}}}, not(store.UserFilter{Deleted: new(true)})),
			not(or(md(jp("org.id", store.JSONExists, `true`)), app(jp("plan", store.JSONExists, `true`)))),
		), []string{"ann", "bob", "cat", "eve"}},

		// Plain fields.
		{"ids", store.UserFilter{IDs: []string{"ann", "cat", "no-such-id"}}, []string{"ann", "cat"}},
		{"ids empty", store.UserFilter{IDs: []string{}}, nil},
		// Usernames are keys, compared as given: the services normalize
		// (an upper-case "ANN" is some other key).
		{"usernames are keys", store.UserFilter{Usernames: []string{"ANN", "gus", "nobody"}}, []string{"gus"}},
		{"usernames empty", store.UserFilter{Usernames: []string{}}, nil},
		{"emails case-insensitive", store.UserFilter{Emails: []string{"bob@example.COM", "gus@example.com"}}, []string{"bob", "gus"}},
		{"emails empty", store.UserFilter{Emails: []string{}}, nil},
		{"search email domain any case", store.UserFilter{Search: "EXAMPLE.COM"}, []string{"ann", "bob", "fay", "gus", "ivy", "jon", "kim"}},
		{"search last name", store.UserFilter{Search: "builder"}, []string{"bob"}},
		{"search full name", store.UserFilter{Search: "n a"}, []string{"ann"}},
		{"search non-ASCII", store.UserFilter{Search: "ünal"}, []string{"dan"}},
		{"search non-ASCII upper case", store.UserFilter{Search: "ÜNAL"}, []string{"dan"}},
		// The fields are separate: "bob" + "bob@..." is no match for "bobbob".
		{"search does not span fields", store.UserFilter{Search: "bobbob"}, nil},
		// The full name as User.fullName shows it: bob has none stored, so
		// it is first + " " + last; kim's stored one wins over hers; ivy's
		// (no last name) is "Ivy", trimmed.
		{"search full name from first and last", store.UserFilter{Search: "Bob Builder"}, []string{"bob"}},
		{"search across the space of a joined name", store.UserFilter{Search: "B BUI"}, []string{"bob"}},
		{"search joined names in the other order", store.UserFilter{Search: "builder bob"}, nil},
		{"search first and last when a full name is stored", store.UserFilter{Search: "kimberly lee"}, nil},
		{"search stored full name", store.UserFilter{Search: "kim lee"}, []string{"kim"}},
		{"search joined name is trimmed", store.UserFilter{Search: "ivy "}, nil},
		{"status list", store.UserFilter{Status: []store.Status{store.StatusPending, store.StatusSuspended}}, []string{"cat", "dan", "hal", "kim"}},
		{"status empty", store.UserFilter{Status: []store.Status{}}, nil},
		// fay and jon are ACTIVE but deleted.
		{"active", store.UserFilter{Active: new(true)}, []string{"ann", "bob", "eve", "gus", "ivy"}},
		{"not active", store.UserFilter{Active: new(false)}, []string{"cat", "dan", "fay", "hal", "jon", "kim"}},
		{"guest", store.UserFilter{IsGuest: new(true)}, []string{"eve", "jon"}},
		{"not guest", store.UserFilter{IsGuest: new(false)}, except("eve", "jon")},
		{"email verified", store.UserFilter{EmailVerified: new(true)}, []string{"ann", "dan", "fay", "gus", "jon"}},
		{"email not verified", store.UserFilter{EmailVerified: new(false)}, []string{"bob", "cat", "eve", "hal", "ivy", "kim"}},
		{"deleted", store.UserFilter{Deleted: new(true)}, []string{"fay", "jon"}},
		{"not deleted", store.UserFilter{Deleted: new(false)}, except("fay", "jon")},
		// ivy holds "Admin": names compare exactly.
		{"roles any", store.UserFilter{Roles: &store.SetMatch{Any: []string{"admin", "viewer"}}}, []string{"ann", "dan", "fay", "gus"}},
		{"roles any is case-sensitive", store.UserFilter{Roles: &store.SetMatch{Any: []string{"Admin"}}}, []string{"ivy"}},
		{"roles all", store.UserFilter{Roles: &store.SetMatch{All: []string{"admin", "viewer"}}}, []string{"gus"}},
		{"roles any empty", store.UserFilter{Roles: &store.SetMatch{Any: []string{}}}, nil},
		{"roles all empty", store.UserFilter{Roles: &store.SetMatch{All: []string{}}}, everyone},
		{"tags any", store.UserFilter{Tags: &store.SetMatch{Any: []string{"alpha"}}}, []string{"fay", "gus", "hal"}},
		// kim's metadata "tags":"vip" and ivy's "VIP" do not count.
		{"tags any vip", store.UserFilter{Tags: &store.SetMatch{Any: []string{"vip"}}}, []string{"ann", "dan", "gus"}},
		{"tags all", store.UserFilter{Tags: &store.SetMatch{All: []string{"vip", "beta"}}}, []string{"ann", "gus"}},
		{"tags any and all", store.UserFilter{Tags: &store.SetMatch{Any: []string{"alpha", "vip"}, All: []string{"beta"}}}, []string{"ann", "fay", "gus"}},
		{"tags any empty", store.UserFilter{Tags: &store.SetMatch{Any: []string{}}}, nil},
		{"tags all empty", store.UserFilter{Tags: &store.SetMatch{All: []string{}}}, everyone},
		{"createdAt gte lt", store.UserFilter{CreatedAt: &store.TimeRange{Gte: day(3), Lt: day(6)}}, []string{"cat", "dan", "eve"}},
		{"createdAt gt lte", store.UserFilter{CreatedAt: &store.TimeRange{Gt: day(3), Lte: day(6)}}, []string{"dan", "eve", "fay"}},
		{"createdAt bounds in other zones", store.UserFilter{CreatedAt: &store.TimeRange{Gte: day(3).In(east), Lt: day(4).In(west)}}, []string{"cat"}},
		// Never logged in (bob eve hal kim) counts as the epoch.
		{"lastLoginAt lt includes never", store.UserFilter{LastLoginAt: &store.TimeRange{Lt: day(6)}}, []string{"bob", "cat", "eve", "gus", "hal", "kim"}},
		{"lastLoginAt lte", store.UserFilter{LastLoginAt: &store.TimeRange{Lte: day(6)}}, []string{"bob", "cat", "eve", "fay", "gus", "hal", "kim"}},
		{"lastLoginAt gt excludes never", store.UserFilter{LastLoginAt: &store.TimeRange{Gt: day(6)}}, []string{"ann", "dan", "ivy", "jon"}},
		{"lastLoginAt gte lt excludes never", store.UserFilter{LastLoginAt: &store.TimeRange{Gte: day(1), Lt: day(11)}}, []string{"ann", "cat", "fay", "gus"}},
		{"not lastLoginAt lt", not(store.UserFilter{LastLoginAt: &store.TimeRange{Lt: day(6)}}), []string{"ann", "dan", "fay", "ivy", "jon"}},
		{"lastRequestAt gte", store.UserFilter{LastRequestAt: &store.TimeRange{Gte: day(11)}}, []string{"ann", "dan", "ivy", "jon"}},
		{"lastRequestAt gt is strict", store.UserFilter{LastRequestAt: &store.TimeRange{Gt: day(11)}}, []string{"dan", "ivy", "jon"}},
		{"lastRequestAt millisecond window", store.UserFilter{LastRequestAt: &store.TimeRange{Gt: day(11).Add(-ms), Lt: day(11).Add(ms)}}, []string{"ann"}},

		// EQ: by type; 30 = 30.0; true is not 1; null only explicit.
		{"EQ number", md(jp("age", store.JSONEq, `30`)), []string{"ann", "gus", "ivy"}},
		{"EQ string is not number", md(jp("age", store.JSONEq, `"30"`)), []string{"bob"}},
		{"EQ float value equals ints", md(jp("score", store.JSONEq, `1.0`)), []string{"ann", "bob", "ivy"}},
		{"EQ true is not 1", md(jp("flag", store.JSONEq, `true`)), []string{"ann", "hal"}},
		{"EQ 1 is not true", md(jp("flag", store.JSONEq, `1`)), []string{"bob"}},
		{"EQ false", md(jp("flag", store.JSONEq, `false`)), []string{"cat", "jon"}},
		{"EQ string true", md(jp("flag", store.JSONEq, `"true"`)), []string{"dan"}},
		{"EQ null is explicit null only", md(jp("nick", store.JSONEq, `null`)), []string{"ann", "fay"}},
		{"EQ null nested", md(jp("org.id", store.JSONEq, `null`)), []string{"fay"}},
		{"EQ null never an object or missing", md(jp("org", store.JSONEq, `null`)), nil},
		// cat's org is an array (missing), hal's is "ACME", kim's org a string.
		{"EQ nested path", md(jp("org.id", store.JSONEq, `"acme"`)), []string{"ann", "dan", "jon"}},
		{"EQ deep path", md(jp("org.plan.tier", store.JSONEq, `"gold"`)), []string{"ann", "jon"}},
		{"EQ scalar at an object path", md(jp("org", store.JSONEq, `"acme"`)), []string{"kim"}},
		// An array never equals a scalar (no implicit array matching).
		{"EQ never matches arrays", md(jp("langs", store.JSONEq, `"go"`)), []string{"gus"}},
		{"EQ key with dash and underscore", md(jp("ref-code_1", store.JSONEq, `"A1"`)), []string{"ann"}},
		{"EQ metadata tags is not Tags", md(jp("tags", store.JSONEq, `"vip"`)), []string{"kim"}},
		{"NE includes missing null and other types", md(jp("age", store.JSONNe, `30`)), except("ann", "gus", "ivy")},
		{"NE null", md(jp("nick", store.JSONNe, `null`)), except("ann", "fay")},
		{"NE true", md(jp("flag", store.JSONNe, `true`)), except("ann", "hal")},
		{"NE at an object path", md(jp("org", store.JSONNe, `"acme"`)), except("kim")},
		{"NE array", md(jp("langs", store.JSONNe, `"go"`)), except("gus")},
		{"IN mixed types", md(jp("age", store.JSONIn, `[25,"30",7]`)), []string{"bob", "cat", "hal"}},
		{"IN null", md(jp("nick", store.JSONIn, `[null,"kitty"]`)), []string{"ann", "cat", "fay"}},
		{"IN 0 is not false", md(jp("flag", store.JSONIn, `[true,0]`)), []string{"ann", "hal"}},
		{"IN never matches arrays", md(jp("langs", store.JSONIn, `["go","python"]`)), []string{"gus"}},
		{"IN empty is nobody", md(jp("age", store.JSONIn, `[]`)), nil},
		{"IN deep", md(jp("org.plan.tier", store.JSONIn, `["gold","silver"]`)), []string{"ann", "bob", "dan", "jon"}},
		{"NIN includes missing and null", md(jp("org.id", store.JSONNin, `["acme","globex"]`)), except("ann", "bob", "dan", "jon")},
		{"NIN null", md(jp("nick", store.JSONNin, `[null]`)), except("ann", "fay")},
		{"NIN empty is everyone", md(jp("age", store.JSONNin, `[]`)), everyone},
		// Ranges: same type only; "30" and "thirty" are strings.
		{"GT number", md(jp("age", store.JSONGt, `25`)), []string{"ann", "dan", "gus", "ivy"}},
		{"GTE number", md(jp("age", store.JSONGte, `25`)), []string{"ann", "cat", "dan", "gus", "ivy"}},
		{"LT negative", md(jp("age", store.JSONLt, `0`)), []string{"jon"}},
		{"LTE float and int", md(jp("score", store.JSONLte, `1`)), []string{"ann", "bob", "ivy", "jon"}},
		{"GT numeric not textual", md(jp("score", store.JSONGt, `2`)), []string{"dan"}},
		{"GT 0 excludes true", md(jp("flag", store.JSONGt, `0`)), []string{"bob"}},
		{"GT string excludes numbers", md(jp("age", store.JSONGt, `"2"`)), []string{"bob", "kim"}},
		{"GT date string", md(jp("joined", store.JSONGt, `"2023-01-01"`)), []string{"ann", "bob", "hal"}},
		{"LT date string", md(jp("joined", store.JSONLt, `"2024-02-15T"`)), []string{"ann", "bob", "dan"}},
		{"GTE date string", md(jp("joined", store.JSONGte, `"2024-02-15"`)), []string{"bob", "hal"}},
		// Byte-wise: "ACME" < "a"; null is not a string.
		{"GTE string is byte-wise", md(jp("org.id", store.JSONGte, `"a"`)), []string{"ann", "bob", "dan", "gus", "jon"}},
		{"LT deep number", md(jp("org.plan.seats", store.JSONLt, `10`)), []string{"jon"}},
		{"EXISTS true includes null", md(jp("nick", store.JSONExists, `true`)), []string{"ann", "cat", "fay"}},
		{"EXISTS false", md(jp("nick", store.JSONExists, `false`)), except("ann", "cat", "fay")},
		// Through an array (cat), an empty object (ivy), a scalar (kim).
		{"EXISTS false through array object scalar", md(jp("org.id", store.JSONExists, `false`)), []string{"cat", "eve", "ivy", "kim"}},
		{"EXISTS object or scalar", md(jp("org.plan", store.JSONExists, `true`)), []string{"ann", "bob", "dan", "gus", "jon"}},
		{"EXISTS false through a scalar", md(jp("org.plan.tier", store.JSONExists, `false`)), []string{"cat", "eve", "fay", "gus", "hal", "ivy", "kim"}},
		{"EXISTS includes empty arrays", md(jp("langs", store.JSONExists, `true`)), []string{"ann", "bob", "cat", "dan", "gus", "ivy", "jon"}},
		{"EXISTS index into array is missing", md(jp("langs.0", store.JSONExists, `true`)), nil},
		{"CONTAINS array element or substring", md(jp("langs", store.JSONContains, `"go"`)), []string{"ann", "dan", "gus", "jon"}},
		{"CONTAINS number in array", md(jp("langs", store.JSONContains, `1`)), []string{"dan"}},
		{"CONTAINS string is not number element", md(jp("langs", store.JSONContains, `"1"`)), nil},
		{"CONTAINS number never in a string", md(jp("age", store.JSONContains, `3`)), nil},
		{"CONTAINS substring case-sensitive", md(jp("bio", store.JSONContains, `"Go"`)), []string{"ann", "gus"}},
		{"CONTAINS no wildcards", md(jp("bio", store.JSONContains, `"o_e"`)), nil},
		{"PREFIX", md(jp("org.id", store.JSONPrefix, `"ac"`)), []string{"ann", "dan", "jon"}},
		{"PREFIX case-sensitive", md(jp("bio", store.JSONPrefix, `"lo"`)), nil},
		{"PREFIX no underscore wildcard", md(jp("bio", store.JSONPrefix, `"L_ves"`)), nil},
		{"PREFIX no percent wildcard", md(jp("bio", store.JSONPrefix, `"%"`)), nil},
		{"PREFIX empty matches every string", md(jp("bio", store.JSONPrefix, `""`)), []string{"ann", "bob", "dan", "gus", "ivy"}},
		{"two predicates ANDed", md(jp("age", store.JSONEq, `30`), jp("langs", store.JSONContains, `"go"`)), []string{"ann", "gus"}},
		{"appMetadata EQ", app(jp("plan", store.JSONEq, `"pro"`)), []string{"ann", "dan", "hal", "ivy"}},
		{"appMetadata IN", app(jp("plan", store.JSONIn, `["free","enterprise"]`)), []string{"bob", "gus"}},
		{"appMetadata GTE excludes string", app(jp("seats", store.JSONGte, `10`)), []string{"ann", "gus"}},
		{"appMetadata nested", app(jp("limits.api", store.JSONEq, `5`)), []string{"gus"}},
		{"appMetadata EXISTS false", app(jp("plan", store.JSONExists, `false`)), []string{"cat", "eve", "jon"}},
		{"metadata is not appMetadata", md(jp("plan", store.JSONExists, `true`)), nil},
		{"metadata and appMetadata", store.UserFilter{Metadata: []store.JSONPredicate{jp("age", store.JSONEq, `30`)}, AppMetadata: []store.JSONPredicate{jp("plan", store.JSONEq, `"pro"`)}}, []string{"ann", "ivy"}},

		// not is a plain negation, also where the path is missing.
		{"not EQ", not(md(jp("age", store.JSONEq, `30`))), except("ann", "gus", "ivy")},
		{"not EQ nested missing", not(md(jp("org.id", store.JSONEq, `"acme"`))), except("ann", "dan", "jon")},
		{"not GT", not(md(jp("age", store.JSONGt, `25`))), except("ann", "dan", "gus", "ivy")},
		{"not NE null", not(md(jp("nick", store.JSONNe, `null`))), []string{"ann", "fay"}},
		{"not EXISTS false", not(md(jp("org.id", store.JSONExists, `false`))), []string{"ann", "bob", "dan", "fay", "gus", "hal", "jon"}},
		{"not CONTAINS", not(md(jp("langs", store.JSONContains, `"go"`))), except("ann", "dan", "gus", "jon")},
		{"not PREFIX", not(md(jp("bio", store.JSONPrefix, `"Lo"`))), except("ann")},
		{"not LT string", not(md(jp("joined", store.JSONLt, `"2024"`))), except("ann", "dan")},
		{"not IN", not(app(jp("plan", store.JSONIn, `["pro"]`))), except("ann", "dan", "hal", "ivy")},
		{"not tags any", not(store.UserFilter{Tags: &store.SetMatch{Any: []string{"vip"}}}), except("ann", "dan", "gus")},
		{"not search", not(store.UserFilter{Search: "example.com"}), []string{"cat", "dan", "eve", "hal"}},
	}
}

// resolveIDs replaces the labels in every IDs list of f with seeded ids.
func resolveIDs(f *store.UserFilter, byLabel map[string]string) {
	if f.IDs != nil {
		out := make([]string, len(f.IDs))
		for i, l := range f.IDs {
			if id, ok := byLabel[l]; ok {
				out[i] = id
			} else {
				out[i] = l
			}
		}
		f.IDs = out
	}
	for i := range f.And {
		resolveIDs(&f.And[i], byLabel)
	}
	for i := range f.Or {
		resolveIDs(&f.Or[i], byLabel)
	}
	if f.Not != nil {
		resolveIDs(f.Not, byLabel)
	}
}

// seedFilterPopulation creates filterPopulation and returns the labeler and
// the ids by label.
func seedFilterPopulation(t *testing.T, s store.Store) (labeler, map[string]string) {
	t.Helper()
	users := filterPopulation()
	if err := s.CreateUsers(t.Context(), users); err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
	names := labeler{}
	byLabel := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.UsernameKey
		byLabel[u.UsernameKey] = u.ID
	}
	return names, byLabel
}

func testFilters(t *testing.T, s store.Store) {
	names, byLabel := seedFilterPopulation(t, s)
	for _, tc := range filterCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			resolveIDs(&f, byLabel)
			if err := store.ValidateFilter(&f); err != nil {
				t.Fatalf("the case's filter does not validate: %v", err)
			}
			page, err := s.ListUsers(t.Context(), store.UserQuery{Filter: &f, Limit: 1000})
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			want := set(tc.want)
			if got := set(names.labels(page.Users)); !slices.Equal(got, want) {
				t.Errorf("ListUsers: got %s, want %s", show(got), show(want))
			}
			if page.HasNext {
				t.Errorf("ListUsers: HasNext true with Limit 1000")
			}
			n, err := s.CountUsers(t.Context(), &f)
			if err != nil {
				t.Fatalf("CountUsers: %v", err)
			}
			if n != len(want) {
				t.Errorf("CountUsers: got %d, want %d %s", n, len(want), show(want))
			}
		})
	}
}

// Filters that do not validate: ListUsers answers ErrInvalid (it may rely
// on ValidateFilter) and neither crashes nor returns users. The other
// filter-taking methods answer ErrInvalid too (validate.go: backends "return
// ErrInvalid if it did not [pass]") and, above all, change nobody: a
// DeleteUsers that dropped the bad part would widen to everyone.
func testInvalidFilters(t *testing.T, s store.Store) {
	seedFilterPopulation(t, s)
	defer checkNothingChanged(t, s)
	nine := "a.b.c.d.e.f.g.h.i"
	cases := []struct {
		name string
		f    store.UserFilter
	}{
		{"empty path segment", md(jp("org..id", store.JSONEq, `"acme"`))},
		{"quote in path", md(jp(`age") OR 1=1 --`, store.JSONEq, `1`))},
		{"dollar path", md(jp("$.age", store.JSONEq, `1`))},
		{"empty path", md(jp("", store.JSONExists, `true`))},
		{"path too deep", md(jp(nine, store.JSONExists, `true`))},
		{"GT with a boolean", md(jp("age", store.JSONGt, `true`))},
		{"GT with null", md(jp("age", store.JSONGt, `null`))},
		{"IN with a non-array", md(jp("age", store.JSONIn, `30`))},
		{"IN with an object element", md(jp("age", store.JSONIn, `[{"a":1}]`))},
		{"EQ with an object", md(jp("org", store.JSONEq, `{"id":"acme"}`))},
		{"EXISTS with a string", md(jp("age", store.JSONExists, `"yes"`))},
		{"CONTAINS null", md(jp("langs", store.JSONContains, `null`))},
		{"PREFIX with a number", md(jp("bio", store.JSONPrefix, `1`))},
		{"unknown operator", md(jp("age", "REGEX", `".*"`))},
		{"value not JSON", md(jp("age", store.JSONEq, `{`))},
		{"unknown status", store.UserFilter{Status: []store.Status{"GONE"}}},
		{"invalid inside not", not(app(jp("plan", store.JSONGte, `false`)))},
		{"invalid inside or", or(store.UserFilter{}, md(jp("a b", store.JSONEq, `1`)))},
		{"invalid inside and", and(md(jp("age", store.JSONLt, `[1]`)))},
	}
	for _, tc := range cases {
		if store.ValidateFilter(&tc.f) == nil {
			t.Fatalf("%s: the case's filter validates", tc.name)
		}
		page, err := s.ListUsers(t.Context(), store.UserQuery{Filter: &tc.f, Limit: 100})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ListUsers %s: got error %v, want ErrInvalid", tc.name, err)
		}
		if page != nil && len(page.Users) > 0 {
			t.Errorf("ListUsers %s: got %d users with the error, want none", tc.name, len(page.Users))
		}
		_, err = s.CountUsers(t.Context(), &tc.f)
		wantErrIs(t, "CountUsers "+tc.name, err, store.ErrInvalid)
		_, err = s.PatchUsers(t.Context(), &tc.f, store.UserPatch{AddTags: []string{"patched"}, UpdatedAt: day(99)})
		wantErrIs(t, "PatchUsers "+tc.name, err, store.ErrInvalid)
		_, err = s.DeleteUsers(t.Context(), &tc.f)
		wantErrIs(t, "DeleteUsers "+tc.name, err, store.ErrInvalid)
	}
}

// checkNothingChanged fails unless every user of filterPopulation is still
// there, untagged by the invalid PatchUsers calls.
func checkNothingChanged(t *testing.T, s store.Store) {
	t.Helper()
	users := listAll(t, s, nil)
	if len(users) != len(everyone) {
		t.Errorf("after the invalid filters: got %d users, want %d", len(users), len(everyone))
	}
	for _, u := range users {
		if slices.Contains(u.Tags, "patched") {
			t.Errorf("after the invalid filters: user %s was patched", u.Username)
		}
	}
}

// Search follows the names through every write: the full name it matches
// is the one shown after CreateUser and after each UpdateUser.
func testSearchFollowsNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := prepUser(&store.User{Username: "jsmith", FirstName: "John", LastName: "Smith"})
	mustCreateUsers(t, s, u)
	finds := func(what, needle string, want bool) {
		t.Helper()
		page, err := s.ListUsers(ctx, store.UserQuery{Filter: &store.UserFilter{Search: needle}, Limit: 10})
		if err != nil {
			t.Fatalf("%s: ListUsers: %v", what, err)
		}
		if got := len(page.Users) == 1 && page.Users[0].ID == u.ID; got != want {
			t.Errorf("%s: search %q finds the user = %v, want %v", what, needle, got, want)
		}
	}
	finds("created", "john smith", true)
	update := func(f func(*store.User)) {
		t.Helper()
		if _, err := s.UpdateUser(ctx, u.ID, func(u *store.User) error { f(u); return nil }); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
	}
	update(func(u *store.User) { u.FullName = "Johnny Smithers" })
	finds("a full name stored", "johnny smithers", true)
	finds("a full name stored", "john smith", false)
	update(func(u *store.User) { u.FullName, u.LastName = "", "Smythe" })
	finds("the full name cleared, the last name changed", "john smythe", true)
	finds("the full name cleared, the last name changed", "john smith", false)
}
