package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// Received is one mail the server accepted.
type Received struct {
	// From and To are the envelope (MAIL FROM, RCPT TO).
	From string
	To   []string
	// TLS: the mail came over an encrypted connection (STARTTLS or
	// implicit TLS). User: who authenticated, "" if nobody did.
	TLS  bool
	User string
	// Raw is the message as transmitted; Header its parsed header.
	Raw    []byte
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// Text and HTML are the decoded bodies of the text/plain and
	// text/html parts ("" if the mail has none).
	Text, HTML string
}

// MessageID returns the Message-ID header, angle brackets included.
func (r *Received) MessageID() string { return r.Header.Get("Message-Id") }

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Links returns the URLs in the text part, in order.
func (r *Received) Links() []string { return linkPattern.FindAllString(r.Text, -1) }

// parse reads a MIME mail: one text part, or multipart/alternative (or
// mixed) with text/plain and text/html parts.
func parse(raw []byte) (*Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	r := &Received{Raw: raw, Header: msg.Header}
	if r.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	if err := r.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return nil, err
	}
	if r.Text == "" && r.HTML == "" {
		return nil, errors.New("no text/plain or text/html part")
	}
	return r, nil
}

// readPart stores a text part's decoded body, or walks a multipart body.
func (r *Received) readPart(contentType, encoding string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := r.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	decoded, err := decode(encoding, body)
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	switch mediaType {
	case "text/plain":
		r.Text = decoded
	case "text/html":
		r.HTML = decoded
	}
	return nil
}

func decode(encoding string, body io.Reader) (string, error) {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err
}
