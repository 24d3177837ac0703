package apperr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/apperr"
)

var errDisk = errors.New("disk I/O error: /var/lib/usergraph/usergraph.db")

func TestWrapKeepsCauseForLogsOnly(t *testing.T) {
	e := apperr.Wrap(apperr.NotFound, errDisk, "no such user")
	if !errors.Is(e, errDisk) {
		t.Errorf("errors.Is(Wrap(..., cause), cause) = false, want true")
	}
	if got, want := e.Message, "no such user"; got != want {
		t.Errorf("Message = %q, want %q (the client's text, without the cause)", got, want)
	}
	if got := e.Error(); !strings.Contains(got, errDisk.Error()) {
		t.Errorf("Error() = %q, want it to carry the cause for the log", got)
	}
	if got, want := e.Status, 605; got != want {
		t.Errorf("Status = %d, want the code's default %d", got, want)
	}
}

func TestWithCauseCopies(t *testing.T) {
	base := apperr.New(apperr.Forbidden, "no")
	e := base.WithCause(errDisk)
	if errors.Is(base, errDisk) {
		t.Errorf("WithCause changed the original")
	}
	if !errors.Is(e, errDisk) {
		t.Errorf("errors.Is(WithCause(cause), cause) = false, want true")
	}
	// A copy keeps the cause.
	if !errors.Is(e.OnField("x").WithStatus(607), errDisk) {
		t.Errorf("OnField/WithStatus dropped the cause")
	}
}

func TestAsFindsTheOutermostError(t *testing.T) {
	inner := apperr.New(apperr.NotFound, "inner")
	outer := apperr.Wrap(apperr.Internal, inner, "outer")
	got, ok := apperr.As(outer)
	if !ok || got != outer {
		t.Fatalf("As(outer) = %v, %v; want outer", got, ok)
	}
	if !errors.Is(outer, inner) {
		t.Errorf("errors.Is does not see the wrapped *Error")
	}
}

func TestIsFault(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"a client error", apperr.New(apperr.NotFound, "x"), false},
		{"a client error wrapping a fault", apperr.Wrap(apperr.BadUserInput, errDisk, "x"), false},
		{"INTERNAL", apperr.Wrap(apperr.Internal, errDisk, "x"), true},
		{"any other error", errDisk, true},
	} {
		if got := apperr.IsFault(c.err); got != c.want {
			t.Errorf("%s: IsFault = %v, want %v", c.name, got, c.want)
		}
	}
}
