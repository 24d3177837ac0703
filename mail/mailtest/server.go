// Package mailtest runs an SMTP server inside a test: a real server
// (github.com/emersion/go-smtp) on 127.0.0.1 speaking the real protocol,
// with STARTTLS and implicit TLS under a certificate made for the test,
// optional AUTH PLAIN, and recipients it can be told to refuse. It records
// every mail it accepts, with the text and HTML parts decoded, so tests can
// read the mail and follow its links.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape the server. The zero value accepts any mail without AUTH
// and offers STARTTLS.
type Options struct {
	// Username and Password, when set, are required (AUTH PLAIN, offered
	// only over TLS, as real servers do) before a mail is accepted.
	Username, Password string
	// NoSTARTTLS: the plain listener does not offer STARTTLS.
	NoSTARTTLS bool
}

// Server is a running test SMTP server. It stops when the test ends.
type Server struct {
	opts    Options
	addr    string // plain listener (STARTTLS offered unless NoSTARTTLS)
	tlsAddr string // implicit TLS listener
	pool    *x509.CertPool

	mu       sync.Mutex
	received []*Received
	refusals map[string]*smtp.SMTPError // by lower-cased recipient
	attempts map[string]int             // RCPT TO per lower-cased recipient
}

// Start starts a server for the duration of t.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, pool, err := selfSigned()
	if err != nil {
		t.Fatalf("mailtest: certificate: %v", err)
	}
	s := &Server{opts: opts, pool: pool, refusals: map[string]*smtp.SMTPError{}, attempts: map[string]int{}}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	plain := s.newSMTPServer(tlsConfig)
	if opts.NoSTARTTLS {
		plain.TLSConfig = nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.addr = l.Addr().String()
	go plain.Serve(l)
	t.Cleanup(func() { plain.Close() })

	implicit := s.newSMTPServer(tlsConfig)
	tl, err := tls.Listen("tcp", "127.0.0.1:0", tlsConfig)
	if err != nil {
		t.Fatalf("mailtest: listen TLS: %v", err)
	}
	s.tlsAddr = tl.Addr().String()
	go implicit.Serve(tl)
	t.Cleanup(func() { implicit.Close() })
	return s
}

func (s *Server) newSMTPServer(tlsConfig *tls.Config) *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = tlsConfig
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 10
	srv.ErrorLog = log.New(io.Discard, "", 0)
	return srv
}

// Addr is the host:port of the plain listener (STARTTLS offered unless
// NoSTARTTLS).
func (s *Server) Addr() string { return s.addr }

// URL is the smtp:// URL of the plain listener, with the credentials of
// Options if set: what USERGRAPH_SMTP_URL would hold.
func (s *Server) URL() string { return s.url("smtp", s.addr) }

// TLSURL is the smtps:// URL of the implicit TLS listener.
func (s *Server) TLSURL() string { return s.url("smtps", s.tlsAddr) }

func (s *Server) url(scheme, addr string) string {
	u := url.URL{Scheme: scheme, Host: addr}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// RootCAs trusts the server's certificate (valid for 127.0.0.1 and
// localhost), for the client's TLS configuration.
func (s *Server) RootCAs() *x509.CertPool { return s.pool }

// Refuse makes the server answer RCPT TO for rcpt with code (a 4xx
// temporary or 5xx permanent refusal) until Accept.
func (s *Server) Refuse(rcpt string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1},
		Message: fmt.Sprintf("mailtest refuses %s", rcpt)}
	if code/100 == 4 {
		e.EnhancedCode = smtp.EnhancedCode{4, 2, 1}
		e.Message = fmt.Sprintf("mailtest: %s is busy, try again later", rcpt)
	}
	s.refusals[strings.ToLower(rcpt)] = e
}

// Accept undoes Refuse for rcpt.
func (s *Server) Accept(rcpt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refusals, strings.ToLower(rcpt))
}

// Attempts counts the RCPT TO commands for rcpt, accepted or refused.
func (s *Server) Attempts(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[strings.ToLower(rcpt)]
}

// Messages returns the mails accepted so far, in order.
func (s *Server) Messages() []*Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Received(nil), s.received...)
}

// To returns the mails accepted so far for rcpt, in order.
func (s *Server) To(rcpt string) []*Received {
	var out []*Received
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Wait polls until at least n mails were accepted and returns them; it
// fails the test if that does not happen within the bound.
func (s *Server) Wait(t testing.TB, n int, within time.Duration) []*Received {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := s.Messages()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: %d mails received within %v, want %d", len(got), within, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) rcpt(to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(to)
	s.attempts[key]++
	if e, ok := s.refusals[key]; ok {
		return e
	}
	return nil
}

func (s *Server) store(r *Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, r)
}

// session is one SMTP transaction's state.
type session struct {
	srv  *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.srv.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.srv.opts.Username || password != ss.srv.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.opts.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.srv.rcpt(to); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	rec, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "mailtest: " + err.Error()}
	}
	rec.From, rec.To, rec.TLS, rec.User = ss.from, append([]string(nil), ss.to...), isTLS, ss.user
	ss.srv.store(rec)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost that is its
// own authority, and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
