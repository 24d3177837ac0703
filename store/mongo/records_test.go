package mongo

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// These tests need no server: they check the translation of records to
// BSON and back, through the driver's encoder as a write would use it.

// roundTrip encodes v as the driver would send it and decodes the bytes
// into out, as a read would.
func roundTrip(t *testing.T, v, out any) bson.Raw {
	t.Helper()
	raw, err := bson.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if err := bson.Unmarshal(raw, out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return raw
}

func jsonEqual(t *testing.T, what string, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: got %s, not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: bad want %s", what, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %s, want %s", what, got, want)
	}
}

func TestUserRoundTrip(t *testing.T) {
	zone := time.FixedZone("UTC+2", 7200)
	u := &store.User{
		ID: store.NewID(), Username: "Ann", Email: "Ann@Example.com", Phone: "+15550100",
		UsernameKey: "ann", EmailKey: "ann@example.com", PhoneKey: "+15550100",
		EmailVerified: true, FirstName: "Ann", LastName: "Ünal", FullName: "Ann Ünal",
		Website: "https://ann.example", AvatarURL: "https://ann.example/a.png",
		Address: "1 Road\nTown", AdditionalInfo: "tea", Tags: []string{"b", "a"},
		Metadata:    json.RawMessage(`{"z":1,"a":{"b":[1,"x",null,true,{"c":2.5}]},"e":{},"n":null}`),
		AppMetadata: json.RawMessage(`{"plan":"pro"}`),
		Status:      store.StatusPending, IsGuest: true, Roles: []string{"admin"},
		PasswordHash: "$argon2id$x", DeletedAt: time.Date(2024, 5, 1, 2, 3, 4, 5678901, zone),
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 999999999, zone), UpdatedAt: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		Version: 7,
	}
	u.Normalize()
	d, err := toUserDoc(u)
	if err != nil {
		t.Fatalf("toUserDoc: %v", err)
	}
	var back userDoc
	raw := roundTrip(t, d, &back)
	got, err := back.user()
	if err != nil {
		t.Fatalf("user: %v", err)
	}
	want := u.Clone()
	got.Metadata, want.Metadata = nil, nil
	got.AppMetadata, want.AppMetadata = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	g, _ := back.user()
	jsonEqual(t, "Metadata", g.Metadata, u.Metadata)
	jsonEqual(t, "AppMetadata", g.AppMetadata, u.AppMetadata)

	// What queries rely on, in the stored bytes.
	if v := raw.Lookup("searchText").StringValue(); v != store.SearchText(u) {
		t.Errorf("searchText: got %q, want %q", v, store.SearchText(u))
	}
	if v := raw.Lookup("createdAt"); v.Type != bson.TypeDateTime || v.DateTime() != u.CreatedAt.UnixMilli() {
		t.Errorf("createdAt: got %v, want the date %d", v, u.CreatedAt.UnixMilli())
	}
	if v := raw.Lookup("lastLoginAt"); v.Type != bson.TypeDateTime || v.DateTime() != 0 {
		t.Errorf("lastLoginAt never: got %v, want the epoch", v)
	}
	if v := raw.Lookup("metadata", "z"); v.Type != bson.TypeInt64 {
		t.Errorf("metadata.z: got BSON type %v, want int64", v.Type)
	}
	if v := raw.Lookup("metadata", "a", "b"); v.Type != bson.TypeArray {
		t.Errorf("metadata.a.b: got BSON type %v, want an array", v.Type)
	}
}

// Zero times are the epoch, and the epoch reads back as the zero time,
// like SQLite's 0.
func TestTimes(t *testing.T) {
	if got := dateOf(time.Time{}); got != 0 {
		t.Errorf("dateOf(zero) = %d, want 0", got)
	}
	if got := timeOf(0); !got.IsZero() {
		t.Errorf("timeOf(0) = %v, want the zero time", got)
	}
	in := time.Date(2024, 3, 10, 23, 59, 59, 999999999, time.FixedZone("X", 3600))
	got := timeOf(dateOf(in))
	if want := store.Trunc(in); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("timeOf(dateOf(t)) = %v, want %v in UTC", got, want)
	}
}

// Unset keys hold a per-user placeholder under the unique index, never ""
// (a unique index admits one missing value only); set keys hold the key.
func TestUniqueKeys(t *testing.T) {
	u := &store.User{ID: "id1", UsernameKey: "ann"}
	u.Normalize()
	d, err := toUserDoc(u)
	if err != nil {
		t.Fatal(err)
	}
	want := uniqueKeys{Username: "ann", Email: " id1", Phone: " id1"}
	if d.Unique != want {
		t.Errorf("unique keys: got %+v, want %+v", d.Unique, want)
	}
	if d.EmailKey != "" {
		t.Errorf("emailKey: got %q, want \"\" (what reads, filters and orders see)", d.EmailKey)
	}
	if k := store.FoldKey(" id1"); k == d.Unique.Email {
		t.Errorf("FoldKey can produce the placeholder %q", k)
	}
}

func TestMetadataNumbers(t *testing.T) {
	cases := []struct {
		json string
		want any
		back string
	}{
		{`1`, int64(1), `1`},
		{`-7`, int64(-7), `-7`},
		{`1.0`, 1.0, `1`},
		{`2.5`, 2.5, `2.5`},
		{`1e21`, 1e21, `1e+21`},
		{`9223372036854775807`, int64(9223372036854775807), `9223372036854775807`},
		{`9223372036854775808`, 9223372036854775808.0, `9223372036854776000`},
	}
	for _, c := range cases {
		raw, err := objectToBSON(json.RawMessage(`{"n":` + c.json + `}`))
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		var d bson.D
		if err := bson.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		if got := d[0].Value; got != c.want {
			t.Errorf("%s: stored %T %v, want %T %v", c.json, got, got, c.want, c.want)
		}
		back, err := bsonToJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"n":` + c.back + `}`; string(back) != want {
			t.Errorf("%s: read back %s, want %s", c.json, back, want)
		}
	}
}

// Keys keep their order, a repeated key keeps its last value (as
// encoding/json decodes it), and strings are not HTML-escaped.
func TestMetadataShape(t *testing.T) {
	raw, err := objectToBSON(json.RawMessage(`{"b":1,"a":{"y":[],"x":{}},"b":2,"s":"<a&b> \"q\" ✓"}`))
	if err != nil {
		t.Fatal(err)
	}
	back, err := bsonToJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"b":2,"a":{"y":[],"x":{}},"s":"<a&b> \"q\" ✓"}`; string(back) != want {
		t.Errorf("got %s, want %s", back, want)
	}
	if got, _ := bsonToJSON(nil); string(got) != `{}` {
		t.Errorf("absent document: got %s, want {}", got)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{`, `{"a":1} 2`} {
		if _, err := objectToBSON(json.RawMessage(bad)); err == nil {
			t.Errorf("objectToBSON(%s): no error", bad)
		}
	}
}

func TestRoleAndSessionRoundTrip(t *testing.T) {
	r := &store.Role{ID: "r1", Name: "admin", Description: "d", BuiltIn: true,
		Permissions: []store.Permission{{ID: "p", Name: "all", Pattern: "**", Verbs: []store.Verb{store.VerbGet}}, {ID: "q"}},
		CreatedAt:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Version: 3}
	r.Normalize()
	var rd roleDoc
	roundTrip(t, toRoleDoc(r), &rd)
	if got := rd.role(); !reflect.DeepEqual(got, r) {
		t.Errorf("role:\n got %+v\nwant %+v", got, r)
	}

	s := &store.Session{ID: "s1", UserID: "u1", Kind: store.SessionGuest, DeviceID: "d", UserAgent: "ua", IP: "::1",
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Version: 2}
	var sd sessionDoc
	roundTrip(t, toSessionDoc(s), &sd)
	if got := sd.session(); !reflect.DeepEqual(got, s) {
		t.Errorf("session:\n got %+v\nwant %+v", got, s)
	}

	k := &store.SigningKey{ID: "k", Algorithm: "EdDSA", Private: []byte{0, 0xff, 1}, Public: []byte{2},
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	var kd keyDoc
	roundTrip(t, toKeyDoc(k), &kd)
	if got := kd.key(); !reflect.DeepEqual(got, k) {
		t.Errorf("key:\n got %+v\nwant %+v", got, k)
	}
}
