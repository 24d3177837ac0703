package sqlite

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Conversions between records and columns: times as integer milliseconds
// (0 = never), string lists as JSON arrays, empty keys as NULL.

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullKey(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func parseList(s string) []string {
	out := []string{}
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

func jsonObject(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const userColumns = `id, username, email, phone, username_key, email_key, phone_key,
	email_verified, first_name, last_name, full_name, website, avatar_url, address,
	additional_info, tags, metadata, app_metadata, status, is_guest, roles,
	password_hash, search_text, deleted_at, created_at, updated_at, last_login_at,
	last_request_at, version, login_failures, last_login_failure_at, locked_until,
	pending_email, email_verification_status, email_verification_at, email_verification_message,
	first_name_key, last_name_key, full_name_key`

const userPlaceholders = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`

// userArgs returns the values of userColumns for u, in order.
func userArgs(u *store.User) []any {
	first, last, full := store.NameKeys(u)
	return []any{
		u.ID, u.Username, u.Email, u.Phone,
		nullKey(u.UsernameKey), nullKey(u.EmailKey), nullKey(u.PhoneKey),
		boolInt(u.EmailVerified), u.FirstName, u.LastName, u.FullName, u.Website,
		u.AvatarURL, u.Address, u.AdditionalInfo, jsonList(u.Tags),
		jsonObject(u.Metadata), jsonObject(u.AppMetadata), string(u.Status),
		boolInt(u.IsGuest), jsonList(u.Roles), u.PasswordHash, store.SearchText(u),
		ms(u.DeletedAt), ms(u.CreatedAt), ms(u.UpdatedAt), ms(u.LastLoginAt),
		ms(u.LastRequestAt), u.Version,
		u.Lockout.Failures, ms(u.Lockout.LastFailure), ms(u.Lockout.LockedUntil),
		u.PendingEmail, string(u.EmailVerification.Status), ms(u.EmailVerification.At), u.EmailVerification.MessageID,
		first, last, full,
	}
}

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (*store.User, error) {
	var (
		u                         store.User
		uKey, eKey, pKey          sql.NullString
		verified, guest           int
		tags, roles, md, amd, st  string
		searchText                string // derived, like the name keys: not part of the record
		nameKeyCols               [3]string
		deleted, created, updated int64
		lastLogin, lastRequest    int64
		lastFailure, lockedUntil  int64
		verification              string
		verificationAt            int64
	)
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.Phone, &uKey, &eKey, &pKey,
		&verified, &u.FirstName, &u.LastName, &u.FullName, &u.Website, &u.AvatarURL,
		&u.Address, &u.AdditionalInfo, &tags, &md, &amd, &st, &guest, &roles,
		&u.PasswordHash, &searchText, &deleted, &created, &updated, &lastLogin,
		&lastRequest, &u.Version, &u.Lockout.Failures, &lastFailure, &lockedUntil,
		&u.PendingEmail, &verification, &verificationAt, &u.EmailVerification.MessageID,
		&nameKeyCols[0], &nameKeyCols[1], &nameKeyCols[2])
	if err != nil {
		return nil, mapErr(err)
	}
	u.UsernameKey, u.EmailKey, u.PhoneKey = uKey.String, eKey.String, pKey.String
	u.EmailVerified, u.IsGuest = verified == 1, guest == 1
	u.Tags, u.Roles = parseList(tags), parseList(roles)
	u.Metadata, u.AppMetadata = json.RawMessage(md), json.RawMessage(amd)
	u.Status = store.Status(st)
	u.DeletedAt, u.CreatedAt, u.UpdatedAt = fromMS(deleted), fromMS(created), fromMS(updated)
	u.LastLoginAt, u.LastRequestAt = fromMS(lastLogin), fromMS(lastRequest)
	u.Lockout.LastFailure, u.Lockout.LockedUntil = fromMS(lastFailure), fromMS(lockedUntil)
	u.EmailVerification.Status = store.VerificationStatus(verification)
	u.EmailVerification.At = fromMS(verificationAt)
	return &u, nil
}
