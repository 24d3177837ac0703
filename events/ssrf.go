package events

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/usergraph/usergraph/apperr"
)

// Server-side request forgery: a webhook URL is the administrators' to
// choose, but the server must not become their way into the networks it
// can reach and they cannot (cloud metadata at 169.254.169.254, a database
// on localhost). Unless AllowPrivate is on, loopback, private, link-local,
// unspecified and multicast addresses are refused twice: when a webhook is
// saved (a literal address, or a name that resolves to one), and at every
// connection, on the address actually dialled, so a name that resolves
// elsewhere later (DNS rebinding) is caught too.

// refused reports whether ip may not be dialled without AllowPrivate.
func refused(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		// 100.64.0.0/10, carrier-grade NAT: private in practice.
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// checkURL validates a webhook URL: absolute http or https, no user
// information, and (unless private addresses are allowed) a host that is
// not, and does not resolve to, a refused address.
func (s *Service) checkURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || len(raw) > 2048 {
		return apperr.Input("url", "want an absolute http:// or https:// URL of at most 2048 bytes")
	}
	if u.User != nil {
		return apperr.Input("url", "a webhook URL carries no credentials: the signature authenticates the sender")
	}
	if s.cfg.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if refused(ip) {
			return apperr.Input("url", "%s is a loopback or private address (USERGRAPH_WEBHOOK_ALLOW_PRIVATE allows it)", host)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return apperr.Input("url", "the host %s does not resolve", host)
	}
	for _, ip := range addrs {
		if refused(ip) {
			return apperr.Input("url", "%s resolves to a loopback or private address (USERGRAPH_WEBHOOK_ALLOW_PRIVATE allows it)", host)
		}
	}
	return nil
}

// errRefusedAddress is a delivery's dial to a refused address.
type errRefusedAddress struct{ addr string }

func (e errRefusedAddress) Error() string {
	return fmt.Sprintf("refused to connect to %s: a loopback or private address (USERGRAPH_WEBHOOK_ALLOW_PRIVATE)", e.addr)
}

// client returns the HTTP client of deliveries: bounded by timeout, never
// following a redirect (a 3xx is a failed attempt), no proxy from the
// environment, and dialling only addresses that are allowed.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || refused(ap.Addr()) {
				return errRefusedAddress{address}
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: timeout,
			MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
