package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var orderTests = []subTest{
	{"OrderDefault", testOrderDefault},
	{"OrderEachField", testOrderEachField},
	{"OrderMetadataMixedTypes", testOrderMetadataTypes},
	{"OrderMultiKey", testOrderMultiKey},
	{"OrderInvalid", testOrderInvalid},
	{"PaginationKeyset", testPagination},
	{"PaginationWithFilter", testPaginationFilter},
	{"PaginationOffset", testOffset},
	{"PaginationCursorAfterDelete", testCursorAfterDelete},
}

// orderRow is one user of the order population. rank and level are JSON
// values (or "" for a missing key) of Metadata.rank and AppMetadata.level.
type orderRow struct {
	label, username, email string
	created, login, req    int // days; -1: never (login, req)
	updated                int
	rank, level            string
}

// orderRows is listed in insertion order; ids are assigned in idOrder, so
// neither insertion order nor label order can pass for the id tiebreak.
// Ties: created (d1 ×3, d2, d3, d5, d6, d7), "" emails, never-logged-in,
// rank 2 = 2.0, equal levels.
var orderRows = []orderRow{
	{"miss", "miss", "zed@x.io", 1, 5, 2, 3, ``, `3`},
	{"null", "null", "", 1, -1, -1, 1, `null`, `1`},
	{"ten", "Ten", "Amy@x.io", 1, 3, 9, 9, `10`, `2`},
	{"two", "two", "bea@x.io", 2, -1, 4, 2, `2`, ``},
	{"s10", "s10", "carl@x.io", 3, 9, -1, 4, `"10"`, `1`},
	{"s2", "s2", "Bea@y.io", 3, 1, 1, 5, `"2"`, `2`},
	{"sB", "sB", "", 4, 9, 3, 2, `"B"`, `3`},
	{"sa", "sa", "dee@x.io", 0, 2, 8, 7, `"a"`, `1`},
	{"false", "false", "eve@x.io", 5, 4, -1, 6, `false`, `null`},
	{"true", "true", "", 5, -1, 5, 8, `true`, `2`},
	{"obj", "obj", "fox@x.io", 6, 7, 7, 1, `{"x":1}`, `"x"`},
	{"arr", "arr", "Gil@x.io", 6, 8, 6, 2, `[1]`, `1.5`},
	{"neg", "neg", "hub@x.io", 7, 6, -1, 3, `-1`, `3`},
	{"half", "half", "", 7, -1, 10, 4, `1.5`, `1`},
	{"two2", "two2", "ivy@x.io", 2, 10, 11, 9, `2.0`, `2`},
}

// idOrder lists the labels by ascending id.
var idOrder = []string{"two2", "half", "neg", "arr", "obj", "true", "false", "sa", "sB", "s2", "s10", "two", "ten", "null", "miss"}

func dayOrNever(n int) time.Time {
	if n < 0 {
		return time.Time{}
	}
	return day(n)
}

func jsonField(key, value string) []byte {
	if value == "" {
		return []byte(`{"other":0}`)
	}
	return []byte(fmt.Sprintf(`{%q:%s}`, key, value))
}

// orderPopulation returns the users of orderRows with ids in idOrder.
func orderPopulation() []*store.User {
	fresh := make([]string, len(idOrder))
	for i := range fresh {
		fresh[i] = store.NewID()
	}
	slices.Sort(fresh)
	idOf := map[string]string{}
	for i, l := range idOrder {
		idOf[l] = fresh[i]
	}
	users := make([]*store.User, len(orderRows))
	for i, r := range orderRows {
		users[i] = prepUser(&store.User{
			ID: idOf[r.label], Username: r.username, Email: r.email,
			CreatedAt: day(r.created), UpdatedAt: day(r.updated),
			LastLoginAt: dayOrNever(r.login), LastRequestAt: dayOrNever(r.req),
			Metadata: jsonField("rank", r.rank), AppMetadata: jsonField("level", r.level),
		})
	}
	return users
}

// seedOrder creates the order population and returns it with its labeler.
func seedOrder(t *testing.T, s store.Store) ([]*store.User, labeler) {
	t.Helper()
	users := orderPopulation()
	mustCreateUsers(t, s, users...)
	names := labeler{}
	for i, u := range users {
		names[u.ID] = orderRows[i].label
	}
	return users, names
}

// expectOrder sorts users as docs/FILTERS.md orders them: each key in turn
// (time: never first; USERNAME/EMAIL: folded keys byte-wise; JSON: by type
// rank, then value), DESC reversing a key, then the id ascending. It is the
// suite's reference; the hard-coded cases below pin it down.
func expectOrder(users []*store.User, order []store.UserOrder) []*store.User {
	if len(order) == 0 {
		order = store.DefaultOrder
	}
	out := slices.Clone(users)
	slices.SortStableFunc(out, func(a, b *store.User) int {
		ca, cb := store.CursorOf(a, order), store.CursorOf(b, order)
		for i, o := range order {
			c := compareSortValue(o.Field, ca.Values[i], cb.Values[i])
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// compareSortValue is the suite's own reading of docs/FILTERS.md's order.
// It repeats what a backend may implement (store/mongo merges pages with
// one) on purpose: an oracle that shared the backends' code would agree
// with their mistakes.
func compareSortValue(f store.OrderField, x, y store.SortValue) int {
	switch f {
	case store.OrderUsername, store.OrderEmail:
		return strings.Compare(x.Str, y.Str)
	case store.OrderMetadata, store.OrderAppMetadata:
		if x.Type != y.Type {
			return cmp.Compare(x.Type, y.Type)
		}
		switch x.Type {
		case store.TypeNumber:
			return cmp.Compare(x.Num, y.Num)
		case store.TypeString:
			return strings.Compare(x.Str, y.Str)
		case store.TypeBool:
			return cmp.Compare(b2i(x.Bool), b2i(y.Bool))
		}
		return 0 // null/missing, objects, arrays: the id decides
	default:
		return x.Time.Compare(y.Time)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func orderName(order []store.UserOrder) string {
	var parts []string
	for _, o := range order {
		p := string(o.Field)
		if o.Path != "" {
			p += "(" + o.Path + ")"
		}
		if o.Desc {
			p += " desc"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, ", ")
}

// checkListOrder lists every user in order and compares the labels.
func checkListOrder(t *testing.T, s store.Store, names labeler, order []store.UserOrder, want []string) {
	t.Helper()
	page, err := s.ListUsers(t.Context(), store.UserQuery{Order: order, Limit: 100})
	if err != nil {
		t.Errorf("ListUsers order %s: %v", orderName(order), err)
		return
	}
	if got := names.labels(page.Users); !slices.Equal(got, want) {
		t.Errorf("ListUsers order %s:\n got %s\nwant %s", orderName(order), show(got), show(want))
	}
}

func testOrderDefault(t *testing.T, s store.Store) {
	users, names := seedOrder(t, s)
	// d0 sa; d1 ten null miss (by id); d2 two2 two; d3 s2 s10; d4 sB;
	// d5 true false; d6 arr obj; d7 half neg.
	want := []string{"sa", "ten", "null", "miss", "two2", "two", "s2", "s10", "sB", "true", "false", "arr", "obj", "half", "neg"}
	checkListOrder(t, s, names, nil, want)
	checkListOrder(t, s, names, []store.UserOrder{{Field: store.OrderCreatedAt}}, want)
	if ref := names.labels(expectOrder(users, nil)); !slices.Equal(ref, want) {
		t.Fatalf("suite bug: reference order %s disagrees with %s", show(ref), show(want))
	}
}

// eachOrder is every field, ascending and descending.
func eachOrder() [][]store.UserOrder {
	fields := []store.UserOrder{
		{Field: store.OrderCreatedAt}, {Field: store.OrderUpdatedAt},
		{Field: store.OrderUsername}, {Field: store.OrderEmail},
		{Field: store.OrderLastLoginAt}, {Field: store.OrderLastRequestAt},
		{Field: store.OrderMetadata, Path: "rank"}, {Field: store.OrderAppMetadata, Path: "level"},
	}
	var out [][]store.UserOrder
	for _, o := range fields {
		desc := o
		desc.Desc = true
		out = append(out, []store.UserOrder{o}, []store.UserOrder{desc})
	}
	return out
}

func testOrderEachField(t *testing.T, s store.Store) {
	users, names := seedOrder(t, s)
	for _, order := range eachOrder() {
		checkListOrder(t, s, names, order, names.labels(expectOrder(users, order)))
	}
}

// Missing and null first (tied: id), numbers numerically (2 = 2.0, tied:
// id), strings byte-wise ("10" < "2" < "B" < "a"), objects, arrays,
// false, true. DESC reverses the key but not the id tiebreak.
func testOrderMetadataTypes(t *testing.T, s store.Store) {
	users, names := seedOrder(t, s)
	asc := []string{"null", "miss", "neg", "half", "two2", "two", "ten", "s10", "s2", "sB", "sa", "obj", "arr", "false", "true"}
	desc := []string{"true", "false", "arr", "obj", "sa", "sB", "s2", "s10", "ten", "two2", "two", "half", "neg", "null", "miss"}
	for _, c := range []struct {
		order []store.UserOrder
		want  []string
	}{
		{[]store.UserOrder{{Field: store.OrderMetadata, Path: "rank"}}, asc},
		{[]store.UserOrder{{Field: store.OrderMetadata, Path: "rank", Desc: true}}, desc},
	} {
		if ref := names.labels(expectOrder(users, c.order)); !slices.Equal(ref, c.want) {
			t.Fatalf("suite bug: reference order %s disagrees with %s", show(ref), show(c.want))
		}
		checkListOrder(t, s, names, c.order, c.want)
	}
}

func testOrderMultiKey(t *testing.T, s store.Store) {
	users, names := seedOrder(t, s)
	// Unset emails ("" first) tie and fall to the username key, descending.
	byEmail := []store.UserOrder{{Field: store.OrderEmail}, {Field: store.OrderUsername, Desc: true}}
	want := []string{"true", "sB", "null", "half", "ten", "two", "s2", "s10", "sa", "false", "obj", "arr", "neg", "two2", "miss"}
	if ref := names.labels(expectOrder(users, byEmail)); !slices.Equal(ref, want) {
		t.Fatalf("suite bug: reference order %s disagrees with %s", show(ref), show(want))
	}
	checkListOrder(t, s, names, byEmail, want)
	for _, order := range multiOrders() {
		checkListOrder(t, s, names, order, names.labels(expectOrder(users, order)))
	}
}

func multiOrders() [][]store.UserOrder {
	return [][]store.UserOrder{
		{{Field: store.OrderAppMetadata, Path: "level", Desc: true}, {Field: store.OrderCreatedAt}},
		{{Field: store.OrderLastLoginAt}, {Field: store.OrderMetadata, Path: "rank", Desc: true}},
		{{Field: store.OrderCreatedAt, Desc: true}, {Field: store.OrderUpdatedAt}, {Field: store.OrderEmail, Desc: true}},
	}
}

func testOrderInvalid(t *testing.T, s store.Store) {
	seedOrder(t, s)
	for _, c := range []struct {
		name  string
		order []store.UserOrder
	}{
		{"unknown field", []store.UserOrder{{Field: "SHOE_SIZE"}}},
		{"METADATA without a path", []store.UserOrder{{Field: store.OrderMetadata}}},
		{"METADATA with a bad path", []store.UserOrder{{Field: store.OrderMetadata, Path: "a'b"}}},
		{"CREATED_AT with a path", []store.UserOrder{{Field: store.OrderCreatedAt, Path: "x"}}},
	} {
		_, err := s.ListUsers(t.Context(), store.UserQuery{Order: c.order, Limit: 10})
		wantErrIs(t, "ListUsers order "+c.name, err, store.ErrInvalid)
	}
}

// walk lists every page of q (from q.After) with the given page size, continuing from
// CursorOf the last user (through Encode/DecodeCursor, as the API does),
// and checks HasNext against how many users want says remain.
func walk(t *testing.T, s store.Store, names labeler, q store.UserQuery, size int, want []string) {
	t.Helper()
	what := "order " + orderName(q.Order)
	q.Limit = size
	var got []string
	for pageNo := 1; ; pageNo++ {
		if pageNo > len(want)+2 {
			t.Fatalf("%s: more than %d pages", what, len(want)+2)
		}
		page, err := s.ListUsers(t.Context(), q)
		if err != nil {
			t.Fatalf("%s page %d: %v", what, pageNo, err)
		}
		got = append(got, names.labels(page.Users)...)
		if len(page.Users) > size {
			t.Fatalf("%s page %d: got %d users, limit %d", what, pageNo, len(page.Users), size)
		}
		if wantNext := len(got) < len(want); page.HasNext != wantNext {
			t.Errorf("%s page %d: HasNext got %v, want %v (%d of %d seen)", what, pageNo, page.HasNext, wantNext, len(got), len(want))
		}
		if !page.HasNext || len(page.Users) == 0 {
			break
		}
		c, err := store.DecodeCursor(store.CursorOf(page.Users[len(page.Users)-1], q.Order).Encode(), q.Order)
		if err != nil {
			t.Fatalf("DecodeCursor: %v", err)
		}
		q.After = c
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: pages of %d joined:\n got %s\nwant %s", what, size, show(got), show(want))
	}
}

// Keyset pagination: pages of 3 (the last of the 15 users ends a full
// page, so HasNext must come from looking ahead) joined equal the listing.
func testPagination(t *testing.T, s store.Store) {
	users, names := seedOrder(t, s)
	orders := [][]store.UserOrder{
		nil,
		{{Field: store.OrderUsername, Desc: true}},
		{{Field: store.OrderEmail}},
		{{Field: store.OrderLastLoginAt, Desc: true}},
		{{Field: store.OrderMetadata, Path: "rank"}},
		{{Field: store.OrderMetadata, Path: "rank", Desc: true}},
		{{Field: store.OrderAppMetadata, Path: "level"}},
	}
	orders = append(orders, multiOrders()...)
	for _, order := range orders {
		want := names.labels(expectOrder(users, order))
		walk(t, s, names, store.UserQuery{Order: order}, 3, want)
		walk(t, s, names, store.UserQuery{Order: order}, 4, want)
	}
}

func testPaginationFilter(t *testing.T, s store.Store) {
	users, names := seedOrder(t, s)
	// The 9 users with a numeric or string rank: three full pages of 3.
	f := &store.UserFilter{Or: []store.UserFilter{
		{Metadata: []store.JSONPredicate{{Path: "rank", Op: store.JSONGte, Value: raw(`-100`)}}},
		{Metadata: []store.JSONPredicate{{Path: "rank", Op: store.JSONGte, Value: raw(`""`)}}},
	}}
	order := []store.UserOrder{{Field: store.OrderMetadata, Path: "rank", Desc: true}}
	want := []string{"sa", "sB", "s2", "s10", "ten", "two2", "two", "half", "neg"}
	if ref := names.labels(expectOrder(users, order)); !slices.Equal(filterLabels(ref, want), want) {
		t.Fatalf("suite bug: reference order %s disagrees with %s", show(ref), show(want))
	}
	walk(t, s, names, store.UserQuery{Filter: f, Order: order}, 3, want)
}

// filterLabels keeps the labels of all that are in keep, in all's order.
func filterLabels(all, keep []string) []string {
	var out []string
	for _, l := range all {
		if slices.Contains(keep, l) {
			out = append(out, l)
		}
	}
	return out
}

func testOffset(t *testing.T, s store.Store) {
	users, names := seedOrder(t, s)
	full := names.labels(expectOrder(users, nil))
	cases := []struct {
		name          string
		after         int // index of the cursor user, -1: none
		offset, limit int
		want          []string
		hasNext       bool
	}{
		{"offset 2 limit 3", -1, 2, 3, full[2:5], true},
		{"offset to the last page", -1, 12, 3, full[12:], false},
		{"offset past the end", -1, 20, 3, nil, false},
		{"cursor then offset", 4, 2, 100, full[7:], false},
		{"cursor then offset then limit", 4, 2, 3, full[7:10], true},
	}
	for _, c := range cases {
		q := store.UserQuery{Offset: c.offset, Limit: c.limit}
		if c.after >= 0 {
			q.After = store.CursorOf(expectOrder(users, nil)[c.after], nil)
		}
		page, err := s.ListUsers(t.Context(), q)
		if err != nil {
			t.Errorf("ListUsers %s: %v", c.name, err)
			continue
		}
		if got := names.labels(page.Users); !slices.Equal(got, c.want) || page.HasNext != c.hasNext {
			t.Errorf("ListUsers %s: got %s HasNext %v, want %s HasNext %v", c.name, show(got), page.HasNext, show(c.want), c.hasNext)
		}
	}
}

// A cursor is a position, not a row: it stays valid when the user it was
// taken from, and users before it, are deleted, and users added before it
// do not appear on later pages.
func testCursorAfterDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	users, names := seedOrder(t, s)
	for _, order := range [][]store.UserOrder{nil, {{Field: store.OrderMetadata, Path: "rank", Desc: true}}} {
		t.Run(orderName(order), func(t *testing.T) {
			sorted := expectOrder(users, order)
			full := names.labels(sorted)
			page, err := s.ListUsers(ctx, store.UserQuery{Order: order, Limit: 3})
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			if got := names.labels(page.Users); !slices.Equal(got, full[:3]) {
				t.Fatalf("first page: got %s, want %s", show(got), show(full[:3]))
			}
			cursor := store.CursorOf(page.Users[2], order)
			for _, u := range page.Users[:3:3] {
				if u.ID != page.Users[1].ID { // delete the first and the cursor's user
					if err := s.DeleteUser(ctx, u.ID); err != nil {
						t.Fatalf("DeleteUser: %v", err)
					}
				}
			}
			early := newUser("early" + fmt.Sprint(len(order)))
			early.CreatedAt = day(-5)
			early.Metadata = raw(`{"rank":true}`) // first in rank desc
			mustCreateUsers(t, s, early)
			walk(t, s, names, store.UserQuery{Order: order, After: cursor}, 3, full[3:])
			// Restore for the next order.
			for _, u := range []*store.User{sorted[0], sorted[2]} {
				mustCreateUsers(t, s, u.Clone())
			}
			if err := s.DeleteUser(ctx, early.ID); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
		})
	}
}
