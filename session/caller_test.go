package session_test

import (
	"context"
	"testing"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
)

// Caller returns the principal, else the recorded reason credentials were
// refused, else "sign in first".
func TestCaller(t *testing.T) {
	p := &session.Principal{UserID: "u1"}
	expired := apperr.New(apperr.Unauthenticated, "expired").WithStatus(apperr.StatusExpiredToken)

	if got, err := session.Caller(session.WithPrincipal(context.Background(), p)); got != p || err != nil {
		t.Errorf("Caller(with principal) = %v, %v; want the principal, nil", got, err)
	}
	if got, err := session.Caller(session.WithFailure(context.Background(), expired)); got != nil || err != expired {
		t.Errorf("Caller(with failure) = %v, %v; want nil, the recorded failure", got, err)
	}
	got, err := session.Caller(context.Background())
	if got != nil || apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("Caller(anonymous) = %v, %v; want nil, UNAUTHENTICATED", got, err)
	}
}
