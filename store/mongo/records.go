package mongo

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// Documents: the records as stored. _id is the record's string id; times
// are BSON dates, with the zero time stored as the Unix epoch, so "never"
// sorts first and range filters treat it as the epoch, exactly like
// SQLite's 0. Version serves the optimistic concurrency of cas.go.

// User document fields that queries name.
const (
	fieldUniqueUsername = "unique.username"
	fieldUniqueEmail    = "unique.email"
	fieldUniquePhone    = "unique.phone"
)

// unsetKeyPrefix starts the placeholder that stands under a unique index
// for a key the user does not have. A plain unique index admits one missing
// value only, and partial or sparse indexes are not portable (FerretDB 1.x
// has neither), so each user without, say, an email holds " "+id there
// instead. No real key can start with a space: store.FoldKey trims them,
// and usernames' PRECIS keys (package account) have none.
// Queries never compare with the placeholder: the plain key fields
// (usernameKey, …) keep "" for unset keys, for reads, filters and orders.
const unsetKeyPrefix = " "

// uniqueKeys is the sub-document under the unique indexes.
type uniqueKeys struct {
	Username string `bson:"username"`
	Email    string `bson:"email"`
	Phone    string `bson:"phone"`
}

func uniqueKey(key, id string) string {
	if key == "" {
		return unsetKeyPrefix + id
	}
	return key
}

type userDoc struct {
	ID             string        `bson:"_id"`
	Username       string        `bson:"username"`
	Email          string        `bson:"email"`
	Phone          string        `bson:"phone"`
	UsernameKey    string        `bson:"usernameKey"`
	EmailKey       string        `bson:"emailKey"`
	PhoneKey       string        `bson:"phoneKey"`
	Unique         uniqueKeys    `bson:"unique"`
	EmailVerified  bool          `bson:"emailVerified"`
	FirstName      string        `bson:"firstName"`
	LastName       string        `bson:"lastName"`
	FullName       string        `bson:"fullName"`
	Website        string        `bson:"website"`
	AvatarURL      string        `bson:"avatarUrl"`
	Address        string        `bson:"address"`
	AdditionalInfo string        `bson:"additionalInfo"`
	Tags           []string      `bson:"tags"`
	Metadata       bson.Raw      `bson:"metadata"`
	AppMetadata    bson.Raw      `bson:"appMetadata"`
	Status         string        `bson:"status"`
	IsGuest        bool          `bson:"isGuest"`
	Roles          []string      `bson:"roles"`
	PasswordHash   string        `bson:"passwordHash"`
	SearchText     string        `bson:"searchText"`
	DeletedAt      bson.DateTime `bson:"deletedAt"`
	CreatedAt      bson.DateTime `bson:"createdAt"`
	UpdatedAt      bson.DateTime `bson:"updatedAt"`
	LastLoginAt    bson.DateTime `bson:"lastLoginAt"`
	LastRequestAt  bson.DateTime `bson:"lastRequestAt"`
	Version        int64         `bson:"version"`
	Lockout        lockoutFields `bson:",inline"`
	// PendingEmail and EmailVerification (users stored before they
	// existed read as "" and the zero state).
	PendingEmail      string               `bson:"pendingEmail"`
	EmailVerification emailVerificationDoc `bson:"emailVerification"`

	// The name keys discovery finds users by (store.NameKeys); derived,
	// like searchText. Users stored before them get them at Open
	// (namekeys.go).
	FirstNameKey string `bson:"firstNameKey"`
	LastNameKey  string `bson:"lastNameKey"`
	FullNameKey  string `bson:"fullNameKey"`
	// PendingEvents are set only by an insert (CreateUser): updates push
	// onto them and relays pull from them (events.go), never replace them.
	PendingEvents []eventDoc `bson:"pendingEvents,omitempty"`
	Deleting      bool       `bson:"deleting,omitempty"` // pending.go: reads skip it
}

// emailVerificationDoc is a user's store.EmailVerification.
type emailVerificationDoc struct {
	Status    string        `bson:"status"`
	At        bson.DateTime `bson:"at"`
	MessageID string        `bson:"messageId"`
}

// lockoutFields are a user's store.Lockout, flat in the user document
// (users stored before it existed read as the zero Lockout).
type lockoutFields struct {
	LoginFailures      int           `bson:"loginFailures"`
	LastLoginFailureAt bson.DateTime `bson:"lastLoginFailureAt"`
	LockedUntil        bson.DateTime `bson:"lockedUntil"`
}

func toLockoutFields(l store.Lockout) lockoutFields {
	return lockoutFields{LoginFailures: l.Failures, LastLoginFailureAt: dateOf(l.LastFailure), LockedUntil: dateOf(l.LockedUntil)}
}

func (f lockoutFields) lockout() store.Lockout {
	return store.Lockout{Failures: f.LoginFailures, LastFailure: timeOf(f.LastLoginFailureAt), LockedUntil: timeOf(f.LockedUntil)}
}

// toUserDoc converts a normalized user. Metadata that is not a JSON object
// is store.ErrInvalid (callers validate; SQLite's CHECK answers the same).
func toUserDoc(u *store.User) (*userDoc, error) {
	md, err := objectToBSON(u.Metadata)
	if err != nil {
		return nil, err
	}
	amd, err := objectToBSON(u.AppMetadata)
	if err != nil {
		return nil, err
	}
	first, last, full := store.NameKeys(u)
	return &userDoc{
		ID: u.ID, Username: u.Username, Email: u.Email, Phone: u.Phone,
		UsernameKey: u.UsernameKey, EmailKey: u.EmailKey, PhoneKey: u.PhoneKey,
		Unique: uniqueKeys{
			Username: uniqueKey(u.UsernameKey, u.ID),
			Email:    uniqueKey(u.EmailKey, u.ID),
			Phone:    uniqueKey(u.PhoneKey, u.ID),
		},
		EmailVerified: u.EmailVerified, FirstName: u.FirstName, LastName: u.LastName,
		FullName: u.FullName, Website: u.Website, AvatarURL: u.AvatarURL,
		Address: u.Address, AdditionalInfo: u.AdditionalInfo,
		Tags: nonNil(u.Tags), Metadata: md, AppMetadata: amd,
		Status: string(u.Status), IsGuest: u.IsGuest, Roles: nonNil(u.Roles),
		PasswordHash: u.PasswordHash, SearchText: store.SearchText(u),
		FirstNameKey: first, LastNameKey: last, FullNameKey: full,
		DeletedAt: dateOf(u.DeletedAt), CreatedAt: dateOf(u.CreatedAt), UpdatedAt: dateOf(u.UpdatedAt),
		LastLoginAt: dateOf(u.LastLoginAt), LastRequestAt: dateOf(u.LastRequestAt),
		Version: u.Version, Lockout: toLockoutFields(u.Lockout),
		PendingEmail: u.PendingEmail,
		EmailVerification: emailVerificationDoc{Status: string(u.EmailVerification.Status),
			At: dateOf(u.EmailVerification.At), MessageID: u.EmailVerification.MessageID},
	}, nil
}

func (d *userDoc) user() (*store.User, error) {
	md, err := bsonToJSON(d.Metadata)
	if err != nil {
		return nil, err
	}
	amd, err := bsonToJSON(d.AppMetadata)
	if err != nil {
		return nil, err
	}
	return &store.User{
		ID: d.ID, Username: d.Username, Email: d.Email, Phone: d.Phone,
		UsernameKey: d.UsernameKey, EmailKey: d.EmailKey, PhoneKey: d.PhoneKey,
		EmailVerified: d.EmailVerified, FirstName: d.FirstName, LastName: d.LastName,
		FullName: d.FullName, Website: d.Website, AvatarURL: d.AvatarURL,
		Address: d.Address, AdditionalInfo: d.AdditionalInfo,
		Tags: nonNil(d.Tags), Metadata: md, AppMetadata: amd,
		Status: store.Status(d.Status), IsGuest: d.IsGuest, Roles: nonNil(d.Roles),
		PasswordHash: d.PasswordHash,
		DeletedAt:    timeOf(d.DeletedAt), CreatedAt: timeOf(d.CreatedAt), UpdatedAt: timeOf(d.UpdatedAt),
		LastLoginAt: timeOf(d.LastLoginAt), LastRequestAt: timeOf(d.LastRequestAt),
		Version: d.Version, Lockout: d.Lockout.lockout(),
		PendingEmail: d.PendingEmail,
		EmailVerification: store.EmailVerification{Status: store.VerificationStatus(d.EmailVerification.Status),
			At: timeOf(d.EmailVerification.At), MessageID: d.EmailVerification.MessageID},
	}, nil
}

type sessionDoc struct {
	ID         string        `bson:"_id"`
	UserID     string        `bson:"userId"`
	Kind       string        `bson:"kind"`
	DeviceID   string        `bson:"deviceId"`
	UserAgent  string        `bson:"userAgent"`
	IP         string        `bson:"ip"`
	CreatedAt  bson.DateTime `bson:"createdAt"`
	LastSeenAt bson.DateTime `bson:"lastSeenAt"`
	ExpiresAt  bson.DateTime `bson:"expiresAt"`
	RevokedAt  bson.DateTime `bson:"revokedAt"`
	Version    int64         `bson:"version"`

	ApplicationID string `bson:"applicationId,omitempty"` // an APP session's; absent on users' sessions
}

func toSessionDoc(s *store.Session) *sessionDoc {
	return &sessionDoc{
		ID: s.ID, UserID: s.UserID, ApplicationID: s.ApplicationID, Kind: string(s.Kind), DeviceID: s.DeviceID,
		UserAgent: s.UserAgent, IP: s.IP, CreatedAt: dateOf(s.CreatedAt),
		LastSeenAt: dateOf(s.LastSeenAt), ExpiresAt: dateOf(s.ExpiresAt),
		RevokedAt: dateOf(s.RevokedAt), Version: s.Version,
	}
}

func (d *sessionDoc) session() *store.Session {
	return &store.Session{
		ID: d.ID, UserID: d.UserID, ApplicationID: d.ApplicationID, Kind: store.SessionKind(d.Kind), DeviceID: d.DeviceID,
		UserAgent: d.UserAgent, IP: d.IP, CreatedAt: timeOf(d.CreatedAt),
		LastSeenAt: timeOf(d.LastSeenAt), ExpiresAt: timeOf(d.ExpiresAt),
		RevokedAt: timeOf(d.RevokedAt), Version: d.Version,
	}
}

// tokenDoc is a refresh token; its _id is the hash.
type tokenDoc struct {
	Hash       string        `bson:"_id"`
	SessionID  string        `bson:"sessionId"`
	UserID     string        `bson:"userId"`
	CreatedAt  bson.DateTime `bson:"createdAt"`
	ExpiresAt  bson.DateTime `bson:"expiresAt"`
	ConsumedAt bson.DateTime `bson:"consumedAt"`
	Successor  string        `bson:"successor"` // absent (so "") on tokens stored before it was recorded
}

func toTokenDoc(t *store.RefreshToken) *tokenDoc {
	return &tokenDoc{
		Hash: t.Hash, SessionID: t.SessionID, UserID: t.UserID, CreatedAt: dateOf(t.CreatedAt),
		ExpiresAt: dateOf(t.ExpiresAt), ConsumedAt: dateOf(t.ConsumedAt), Successor: t.Successor,
	}
}

func (d *tokenDoc) token() *store.RefreshToken {
	return &store.RefreshToken{
		Hash: d.Hash, SessionID: d.SessionID, UserID: d.UserID, CreatedAt: timeOf(d.CreatedAt),
		ExpiresAt: timeOf(d.ExpiresAt), ConsumedAt: timeOf(d.ConsumedAt), Successor: d.Successor,
	}
}

type permissionDoc struct {
	ID      string   `bson:"id"`
	Name    string   `bson:"name"`
	Pattern string   `bson:"pattern"`
	Verbs   []string `bson:"verbs"`
}

type roleDoc struct {
	ID          string          `bson:"_id"`
	Name        string          `bson:"name"`
	Description string          `bson:"description"`
	Permissions []permissionDoc `bson:"permissions"`
	BuiltIn     bool            `bson:"builtIn"`
	CreatedAt   bson.DateTime   `bson:"createdAt"`
	UpdatedAt   bson.DateTime   `bson:"updatedAt"`
	Version     int64           `bson:"version"`
	Deleting    bool            `bson:"deleting,omitempty"` // pending.go: reads skip it
}

func toRoleDoc(r *store.Role) *roleDoc {
	perms := make([]permissionDoc, len(r.Permissions))
	for i, p := range r.Permissions {
		verbs := make([]string, len(p.Verbs))
		for j, v := range p.Verbs {
			verbs[j] = string(v)
		}
		perms[i] = permissionDoc{ID: p.ID, Name: p.Name, Pattern: p.Pattern, Verbs: verbs}
	}
	return &roleDoc{
		ID: r.ID, Name: r.Name, Description: r.Description, Permissions: perms,
		BuiltIn: r.BuiltIn, CreatedAt: dateOf(r.CreatedAt), UpdatedAt: dateOf(r.UpdatedAt),
		Version: r.Version,
	}
}

func (d *roleDoc) role() *store.Role {
	perms := make([]store.Permission, len(d.Permissions))
	for i, p := range d.Permissions {
		verbs := make([]store.Verb, len(p.Verbs))
		for j, v := range p.Verbs {
			verbs[j] = store.Verb(v)
		}
		perms[i] = store.Permission{ID: p.ID, Name: p.Name, Pattern: p.Pattern, Verbs: verbs}
	}
	return &store.Role{
		ID: d.ID, Name: d.Name, Description: d.Description, Permissions: perms,
		BuiltIn: d.BuiltIn, CreatedAt: timeOf(d.CreatedAt), UpdatedAt: timeOf(d.UpdatedAt),
		Version: d.Version,
	}
}

type keyDoc struct {
	ID        string        `bson:"_id"`
	Algorithm string        `bson:"algorithm"`
	Private   []byte        `bson:"private"`
	Public    []byte        `bson:"public"`
	CreatedAt bson.DateTime `bson:"createdAt"`
	RetiredAt bson.DateTime `bson:"retiredAt"`
}

func toKeyDoc(k *store.SigningKey) *keyDoc {
	return &keyDoc{
		ID: k.ID, Algorithm: k.Algorithm, Private: nonNilBytes(k.Private), Public: nonNilBytes(k.Public),
		CreatedAt: dateOf(k.CreatedAt), RetiredAt: dateOf(k.RetiredAt),
	}
}

func (d *keyDoc) key() *store.SigningKey {
	return &store.SigningKey{
		ID: d.ID, Algorithm: d.Algorithm, Private: d.Private, Public: d.Public,
		CreatedAt: timeOf(d.CreatedAt), RetiredAt: timeOf(d.RetiredAt),
	}
}

type settingDoc struct {
	Name  string `bson:"_id"`
	Value string `bson:"value"`
}

// dateOf stores t at millisecond precision; the zero time is the epoch.
func dateOf(t time.Time) bson.DateTime {
	if t.IsZero() {
		return 0
	}
	return bson.DateTime(t.UnixMilli())
}

// timeOf reads a stored date back in UTC; the epoch is the zero time.
func timeOf(d bson.DateTime) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(d)).UTC()
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
