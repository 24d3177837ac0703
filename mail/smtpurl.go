package mail

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// SMTPConfig is where and how to reach the SMTP server, read from
// USERGRAPH_SMTP_URL by ParseSMTPURL.
type SMTPConfig struct {
	Host string
	Port int
	// ImplicitTLS: TLS from the first byte (smtps://, port 465 by
	// default). Otherwise the connection starts in clear and is upgraded
	// with STARTTLS whenever the server offers it (smtp://, port 587).
	ImplicitTLS bool
	Username    string
	Password    string
}

// String describes the server for logs, never with the password.
func (c SMTPConfig) String() string {
	scheme := "smtp"
	if c.ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String()
}

// ParseSMTPURL reads smtp://user:pass@host:port or smtps://… . The user
// and password are optional and percent-decoded (a password with "@" or
// ":" is written %40, %3A); the port defaults to 587 for smtp and 465 for
// smtps. Errors never quote the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// The parser's message quotes the URL or a piece of it, which may
		// be the password: it is not repeated.
		return SMTPConfig{}, errors.New("SMTP URL: not a valid URL; want smtp://user:password@host:port or smtps://…, " +
			"with special characters of the user and password percent-encoded")
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port, c.ImplicitTLS = 465, true
	default:
		return SMTPConfig{}, fmt.Errorf("SMTP URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return SMTPConfig{}, errors.New("SMTP URL: only smtp[s]://[user[:password]@]host[:port] is understood (no path, query or fragment)")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return SMTPConfig{}, errors.New("SMTP URL: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("SMTP URL: port %q is not a number from 1 to 65535", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return SMTPConfig{}, errors.New("SMTP URL: a password without a user name")
		}
	}
	return c, nil
}
