package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// ParseFrom reads the sender (USERGRAPH_MAIL_FROM): an address, or
// "Name <address>". When from is empty the sender is no-reply@ the host of
// publicURL (USERGRAPH_PUBLIC_URL).
func ParseFrom(from, publicURL string) (*mail.Address, error) {
	if from == "" {
		host, err := publicHost(publicURL)
		if err != nil {
			return nil, err
		}
		from = "no-reply@" + host
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail sender %q: not an address or \"Name <address>\" (%v)", from, err)
	}
	if domainOf(a.Address) == "" {
		return nil, fmt.Errorf("mail sender %q: the address has no domain", from)
	}
	return a, nil
}

func publicHost(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" {
		return "", errors.New("mail sender: no sender address is set and the public URL has no host to derive one from; set the sender address")
	}
	return u.Hostname(), nil
}

// ParseRecipient checks one recipient address (no display name needed).
func ParseRecipient(to string) (string, error) {
	a, err := mail.ParseAddress(to)
	if err != nil || domainOf(a.Address) == "" {
		return "", fmt.Errorf("mail recipient %q is not an address", to)
	}
	return a.Address, nil
}

// domainOf returns the part of addr after its last "@".
func domainOf(addr string) string {
	i := strings.LastIndex(addr, "@")
	if i < 0 {
		return ""
	}
	return addr[i+1:]
}

// messageID is the Message-ID (without angle brackets) of the mail that
// outbox message id carries: the same on every attempt, so a receiver
// that got an attempt the sender thinks failed can tell the retry is a
// duplicate. The outbox id is unique, and the sender's domain scopes it.
func messageID(outboxID string, from *mail.Address) string {
	return outboxID + "@" + domainOf(from.Address)
}
