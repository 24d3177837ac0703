package mail

import (
	"fmt"
	"time"
)

// The mails usergraph sends, by template name. Each has three files under
// templates/: <name>.subject.tmpl, <name>.text.tmpl, <name>.html.tmpl.
const (
	// ResetPassword carries the reset link: Name, Link, ExpiresIn, ExpiresAt.
	ResetPassword = "reset_password"
	// PasswordChanged tells that the password was changed: Name, ChangedAt, IP.
	PasswordChanged = "password_changed"
	// VerifyEmail carries the verification link: Name, Email, Link,
	// ExpiresIn, ExpiresAt.
	VerifyEmail = "verify_email"
	// EmailConfirmed tells that the address is confirmed: Name, Email, ChangedAt.
	EmailConfirmed = "email_confirmed"
	// EmailChangeNotice goes to the old address when a change to NewEmail
	// is requested: Name, Email, NewEmail, RequestedAt, IP.
	EmailChangeNotice = "email_change_notice"
	// ForgotUsername carries the username: Name, Username, Link (sign-in).
	ForgotUsername = "forgot_username"
	// AddressInUse tells the owner of an address that someone tried to sign
	// up with it, or to move another account to it: Name, Email,
	// RequestedAt, IP, Link (the reset page, optional).
	AddressInUse = "address_in_use"
	// ResetUnknownAddress answers a reset request for an address that has no
	// account (umpack's passwordWrongEmailInstruction): Email, RequestedAt, IP.
	ResetUnknownAddress = "reset_unknown_address"
)

// Names lists every mail, in the order above.
var Names = []string{ResetPassword, PasswordChanged, VerifyEmail, EmailConfirmed,
	EmailChangeNotice, ForgotUsername, AddressInUse, ResetUnknownAddress}

// Data are the variables of a mail's templates. A producer fills those its
// mail uses (see the constants above); AppName is set when the mail is
// rendered. Times are shown in UTC.
type Data struct {
	// AppName (USERGRAPH_APP_NAME) is in every mail; set by the Mailer.
	AppName string `json:"-"`
	// Name greets the user: the first name, else the username (NameOf).
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
	// Email is the address the mail is about (usually the recipient's).
	Email    string `json:"email,omitempty"`
	NewEmail string `json:"newEmail,omitempty"`
	Link     string `json:"link,omitempty"`
	// ExpiresAt is when Link stops working; TTL is how long it was valid
	// for when it was made, shown as ExpiresIn ("20 minutes", "5 days").
	ExpiresAt time.Time     `json:"expiresAt,omitzero"`
	TTL       time.Duration `json:"ttl,omitempty"`
	// ChangedAt is the time of a change (password, confirmed address).
	ChangedAt time.Time `json:"changedAt,omitzero"`
	// RequestedAt is the time of a request the mail tells about.
	RequestedAt time.Time `json:"requestedAt,omitzero"`
	// IP is the client address that made the change or request.
	IP string `json:"ip,omitempty"`
}

// ExpiresIn is TTL for people: minutes up to two hours, then hours up to
// two days, then days (a duration that is not a whole number of the
// larger unit stays in the smaller one).
func (d Data) ExpiresIn() string { return HumanDuration(d.TTL) }

// NameOf is the Name a mail greets a user by.
func NameOf(firstName, username string) string {
	if firstName != "" {
		return firstName
	}
	return username
}

// HumanDuration writes d as ExpiresIn does.
func HumanDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 2*day && d%day == 0:
		return plural(int64(d/day), "day")
	case d >= 2*time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int64(d/time.Minute), "minute") // rounded down: never promise more time than there is
	case d > 0:
		return "less than a minute"
	}
	return ""
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// dateTime is how templates show a time: "Monday, 2 January 2006, 15:04 UTC".
func dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("Monday, 2 January 2006, 15:04 UTC")
}
