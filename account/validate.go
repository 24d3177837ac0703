package account

import (
	"encoding/json"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Input rules for identifiers and profile fields. Violations are answered
// with the API's codes, naming the field. Usernames have their own file
// (username.go).

// checkEmail accepts a bare address (no display name) with a dotted domain.
func checkEmail(email string) (string, error) {
	if len(email) > maxEmailBytes {
		return "", apperr.New(apperr.InvalidEmail, "an email address is at most 254 characters").OnField("email")
	}
	e := strings.TrimSpace(email)
	addr, err := mail.ParseAddress(e)
	at := strings.LastIndexByte(e, '@')
	if err != nil || addr.Address != e || len(e) > 254 || at < 1 || !strings.Contains(e[at+1:], ".") {
		return "", apperr.New(apperr.InvalidEmail, "%q is not an email address", email).OnField("email")
	}
	return e, nil
}

// checkPhone parses a number (in international form, or national form in
// the configured region) and returns it in E.164.
func checkPhone(phone, region string) (string, error) {
	if len(phone) > maxPhoneBytes {
		return "", apperr.New(apperr.InvalidPhone, "a phone number is at most %d characters", maxPhoneBytes).OnField("phone")
	}
	n, err := phonenumbers.Parse(strings.TrimSpace(phone), region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", apperr.New(apperr.InvalidPhone, "%q is not a valid phone number (use international form, e.g. +14155550123)", phone).OnField("phone")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// looksLikePhone tells whether a login identifier could be a phone number.
func looksLikePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-(). ", r):
		default:
			return false
		}
	}
	return digits >= 6
}

// checkText trims a profile field and bounds it (textLimits).
func checkText(field, v string) (string, error) {
	if len(v) > charBytes(textLimits[field]) {
		return "", apperr.Input(field, "%s is longer than %d characters", field, textLimits[field])
	}
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > textLimits[field] {
		return "", apperr.Input(field, "%s is longer than %d characters", field, textLimits[field])
	}
	if field == "website" && v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", apperr.Input(field, "%s must be an http or https URL", field)
		}
	}
	// An avatar is loaded by every client that shows the user: over https
	// only, so that it cannot track viewers in the clear or carry a
	// javascript: or data: URL into a page. Uploaded avatars
	// (uploadAvatar) get their URL from the server, not through here.
	if field == "avatarUrl" && v != "" {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return "", apperr.Input(field, "avatarUrl must be an https:// URL (or upload the image with uploadAvatar)")
		}
	}
	return v, nil
}

// checkTags trims, drops duplicates and bounds a list of tags (field
// names the input): the count first, then each tag's bytes, then its
// characters.
func checkTags(field string, tags []string) ([]string, error) {
	if err := checkCount(field, len(tags), maxTags); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if len(t) > charBytes(maxTagLen) {
			return nil, apperr.Input(field, "a tag is 1 to %d characters", maxTagLen)
		}
		t = strings.TrimSpace(t)
		if t == "" || utf8.RuneCountInString(t) > maxTagLen {
			return nil, apperr.Input(field, "a tag is 1 to %d characters", maxTagLen)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// checkObject validates user-supplied JSON for metadata fields: an object,
// with keys every backend can store and query, within the size limit.
func checkObject(field string, raw json.RawMessage, maxBytes int) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`), nil
	}
	if len(raw) > maxBytes {
		return nil, apperr.Input(field, "%s is larger than %d bytes", field, maxBytes)
	}
	if err := store.ValidateObject(raw); err != nil {
		return nil, apperr.Input(field, "%s: %s", field, strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "))
	}
	return raw, nil
}
