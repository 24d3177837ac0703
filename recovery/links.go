package recovery

import (
	"net/url"
	"strings"
)

// The paths of the hosted pages, on USERGRAPH_PUBLIC_URL.
const (
	ResetPagePath  = "/reset-password"
	VerifyPagePath = "/verify-email"
)

// ResetLink is the link a reset mail carries: the app's own page
// (USERGRAPH_RESET_PAGE_URL) if set, else the hosted page, with ?token=.
func (s *Service) ResetLink(token string) string {
	return pageLink(s.cfg.ResetPageURL, s.cfg.PublicURL, ResetPagePath, token)
}

// VerifyLink is the link a verification mail carries: the app's own page
// (USERGRAPH_VERIFY_PAGE_URL) if set, else the hosted page, with ?token=.
func (s *Service) VerifyLink(token string) string {
	return pageLink(s.cfg.VerifyPageURL, s.cfg.PublicURL, VerifyPagePath, token)
}

// pageLink adds token to page's query (keeping what it has), or to the
// hosted path under base when page is empty. The configuration checks
// both URLs at start.
func pageLink(page, base, path, token string) string {
	if page == "" {
		page = strings.TrimSuffix(base, "/") + path
	}
	u, err := url.Parse(page)
	if err != nil {
		return page + "?token=" + url.QueryEscape(token)
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}
