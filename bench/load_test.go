package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 95, 95 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond}, // 0.99*100 is 99.00000000000001 in floating point
		{hundred, 99.5, 100 * time.Millisecond},
		{hundred, 0.1, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
		}
	}
}

func TestGraphQLErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer ok":
			w.Write([]byte(`{"data":{"me":{"id":"1"}}}`))
		case "Bearer 500":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			w.Write([]byte(`{"errors":[{"message":"no","extensions":{"code":"UNAUTHENTICATED"}}],"data":{"me":null}}`))
		}
	}))
	defer srv.Close()
	c := newClient(srv.URL, time.Second, 1)
	ctx := context.Background()
	var out struct {
		Me struct{ ID string } `json:"me"`
	}
	if err := c.graphql(ctx, "ok", newGQL("{me{id}}", nil), &out); err != nil || out.Me.ID != "1" {
		t.Errorf("graphql(ok) = %v, me.id %q; want nil, 1", err, out.Me.ID)
	}
	for bearer, want := range map[string]string{"500": "http 500", "bad": "UNAUTHENTICATED"} {
		err := c.graphql(ctx, bearer, newGQL("{me{id}}", nil), nil)
		if got := errKind(err); got != want {
			t.Errorf("graphql(%s) error kind = %q (%v), want %q", bearer, got, err, want)
		}
	}
	srv.Close()
	if got := errKind(c.get(ctx, "/healthz")); got != "transport" {
		t.Errorf("get on a closed server: kind %q, want transport", got)
	}
}

func TestClosedLoopCountsOnlyTheWindow(t *testing.T) {
	calls := 0
	fail := errors.New("x")
	r := closedLoop(context.Background(), 1, 30*time.Millisecond, 60*time.Millisecond, func(int) func(context.Context) error {
		return func(context.Context) error {
			calls++
			time.Sleep(time.Millisecond)
			if calls%2 == 0 {
				return &reqError{"odd", fail}
			}
			return nil
		}
	}, window{})
	total := r.OK + r.errorCount()
	if total == 0 || total >= calls {
		t.Errorf("counted %d of %d calls; want some, and not those of the warm-up", total, calls)
	}
	if r.Errors["odd"] == 0 || len(r.Latencies) != r.OK {
		t.Errorf("errors %v, %d latencies for %d ok", r.Errors, len(r.Latencies), r.OK)
	}
}
