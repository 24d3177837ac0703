package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	allScenarios     = []string{"healthz", "me", "refresh", "login", "signup", "users", "users-total", "logins-burst"}
	defaultScenarios = allScenarios[:len(allScenarios)-1]
)

func parseScenarios(s string) ([]string, error) {
	switch s {
	case "all":
		return allScenarios, nil
	case "none": // only the idle RSS and the hash cost
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		known := false
		for _, k := range allScenarios {
			known = known || k == name
		}
		if !known {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(allScenarios, ", "))
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("no scenarios given")
	}
	return out, nil
}

// scenario is one kind of request a closed loop repeats.
type scenario interface {
	// prepare runs before the warm-up, unmeasured (signing in pools).
	prepare(ctx context.Context) error
	// client returns the request function of client i; it keeps the
	// client's own state (e.g. its refresh chain) between calls.
	client(i int) func(context.Context) error
}

// env is what scenarios share: the client, the configuration and a run id
// that keeps names unique across runs.
type env struct {
	c     *client
	cfg   *runConfig
	runID string
}

func newScenario(name string, e *env) scenario {
	switch name {
	case "healthz":
		return healthz{e}
	case "me":
		return &me{env: e}
	case "refresh":
		return &refresh{env: e}
	case "login":
		return login{e}
	case "signup":
		return signup{e}
	case "users":
		return &users{env: e, total: false}
	case "users-total":
		return &users{env: e, total: true}
	}
	panic("unknown scenario " + name) // parseScenarios checked
}

// seededUser is the username of the i-th seeded user (see seed.go).
func seededUser(i int) string { return "bench-" + strconv.Itoa(i) }

const loginMutation = `mutation Login($i: String!, $p: String!) {
  login(input: {identifier: $i, password: $p}) { accessToken refreshToken }
}`

type tokens struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
}

func (e *env) login(ctx context.Context, identifier, pw string) (tokens, error) {
	var out struct {
		Login tokens `json:"login"`
	}
	err := e.c.graphql(ctx, "", newGQL(loginMutation, map[string]any{"i": identifier, "p": pw}), &out)
	return out.Login, err
}

// loginPool signs in n sessions of distinct seeded users (as far as the
// population allows), cfg.Clients at a time.
func (e *env) loginPool(ctx context.Context, n int) ([]tokens, error) {
	pool := make([]tokens, n)
	errs := make([]error, n)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(n, e.cfg.Clients) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				user := seededUser(poolUser(i, n, e.cfg.Population))
				pool[i], errs[i] = e.login(ctx, user, e.cfg.Password)
				if errs[i] != nil {
					errs[i] = loginHint(user, errs[i])
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return pool, nil
}

// poolUser spreads n pool members over the population.
func poolUser(i, n, population int) int {
	if n >= population {
		return i % population
	}
	return i * (population / n)
}

func loginHint(user string, err error) error {
	switch errKind(err) {
	case "RATE_LIMITED":
		return fmt.Errorf("log in %s: %w (start the server with -login-limit-ip off -login-limit-account off -signup-limit-ip off)", user, err)
	case "INVALID_CREDENTIALS":
		return fmt.Errorf("log in %s: %w (was the store seeded with `bench seed`, with this -password, and -population within the seeded count?)", user, err)
	}
	return fmt.Errorf("log in %s: %w", user, err)
}

// healthz: the same client against /healthz, the ceiling of client and machine.
type healthz struct{ *env }

func (healthz) prepare(context.Context) error { return nil }
func (s healthz) client(int) func(context.Context) error {
	return func(ctx context.Context) error { return s.c.get(ctx, "/healthz") }
}

// me: an authenticated query over a pool of sessions.
type me struct {
	*env
	pool []tokens
}

var meQuery = newGQL(`query Me { me { id username } }`, nil)

func (s *me) prepare(ctx context.Context) (err error) {
	n := s.cfg.Sessions
	if n <= 0 {
		n = s.cfg.Clients
	}
	s.pool, err = s.loginPool(ctx, n)
	return err
}

func (s *me) client(i int) func(context.Context) error {
	tok := s.pool[i%len(s.pool)].AccessToken
	return func(ctx context.Context) error { return s.c.graphql(ctx, tok, meQuery, nil) }
}

// refresh: each client owns a rotation chain and always presents the latest
// refresh token. A refresh that fails loses the chain: it is counted (at
// any time, warm-up included) and the client signs in again to go on.
type refresh struct {
	*env
	chains []tokens
	lost   atomic.Int64
}

const refreshMutation = `mutation Refresh($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }`

func (s *refresh) prepare(ctx context.Context) (err error) {
	s.chains, err = s.loginPool(ctx, s.cfg.Clients)
	return err
}

func (s *refresh) client(i int) func(context.Context) error {
	rt := s.chains[i].RefreshToken
	user := seededUser(poolUser(i, s.cfg.Clients, s.cfg.Population))
	return func(ctx context.Context) error {
		var out struct {
			Refresh tokens `json:"refreshSession"`
		}
		err := s.c.graphql(ctx, "", newGQL(refreshMutation, map[string]any{"t": rt}), &out)
		if err == nil && (out.Refresh.RefreshToken == "" || out.Refresh.RefreshToken == rt) {
			err = &reqError{"not rotated", errors.New("refreshSession returned no new refresh token")}
		}
		if err == nil {
			rt = out.Refresh.RefreshToken
			return nil
		}
		s.lost.Add(1)
		if t, lerr := s.login(ctx, user, s.cfg.Password); lerr == nil {
			rt = t.RefreshToken
		}
		return err
	}
}

// login: sign-in of random seeded users.
type login struct{ *env }

func (login) prepare(context.Context) error { return nil }
func (s login) client(i int) func(context.Context) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
	return func(ctx context.Context) error {
		_, err := s.login(ctx, seededUser(rng.IntN(s.cfg.Population)), s.cfg.Password)
		return err
	}
}

// signup: sign-up of new users with unique names.
type signup struct{ *env }

const signupMutation = `mutation Signup($in: SignupInput!) { signup(input: $in) { user { id } auth { accessToken } } }`

func (signup) prepare(context.Context) error { return nil }
func (s signup) client(i int) func(context.Context) error {
	seq := 0
	prefix := "bs" + s.runID + "-" + strconv.Itoa(i) + "-"
	return func(ctx context.Context) error {
		seq++
		name := prefix + strconv.Itoa(seq)
		in := map[string]any{"username": name, "email": name + "@example.com", "password": s.cfg.Password}
		return s.c.graphql(ctx, "", newGQL(signupMutation, map[string]any{"in": in}), nil)
	}
}

// users: an administrator's filtered page of 50 on metadata.org (an indexed
// path when the server runs with -indexed-paths metadata.org), optionally
// with totalCount.
type users struct {
	*env
	total  bool
	admin  string
	bodies []gqlRequest // by org
}

func usersQuery(total bool) string {
	sel := "nodes { id }"
	if total {
		sel = "totalCount " + sel
	}
	return `query Users($f: UserFilter) { users(filter: $f, first: 50) { ` + sel + ` } }`
}

func orgFilter(org int) map[string]any {
	return map[string]any{"metadata": []any{map[string]any{"path": "org", "op": "EQ", "value": "org-" + strconv.Itoa(org)}}}
}

func (s *users) prepare(ctx context.Context) error {
	t, err := s.login(ctx, s.cfg.AdminUser, s.cfg.AdminPass)
	if err != nil {
		return fmt.Errorf("%w (seed with -admin, or give -admin-user and -admin-password)", loginHint(s.cfg.AdminUser, err))
	}
	s.admin = t.AccessToken
	q := usersQuery(s.total)
	s.bodies = make([]gqlRequest, s.cfg.Orgs)
	for org := range s.bodies {
		s.bodies[org] = newGQL(q, map[string]any{"f": orgFilter(org)})
	}
	var out struct {
		Users struct {
			Nodes []struct{ ID string } `json:"nodes"`
		} `json:"users"`
	}
	if err := s.c.graphql(ctx, s.admin, s.bodies[0], &out); err != nil {
		return fmt.Errorf("users query: %w", err)
	}
	if len(out.Users.Nodes) == 0 {
		return errors.New("users query for org-0 found nobody: was the store seeded with `bench seed`?")
	}
	return nil
}

func (s *users) client(i int) func(context.Context) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
	return func(ctx context.Context) error {
		return s.c.graphql(ctx, s.admin, s.bodies[rng.IntN(len(s.bodies))], nil)
	}
}

// burstResult is what logins-burst saw.
type burstResult struct {
	Clients   int             `json:"clients"`
	Answered  int             `json:"answered"`
	Refused   int             `json:"refused"` // RATE_LIMITED at once: the server's hash queue was full (-hash-queue-timeout)
	Failed    int             `json:"failed"`
	Timeouts  int             `json:"timeouts"`
	Errors    map[string]int  `json:"errors,omitempty"`
	WallS     float64         `json:"wallSeconds"`
	Wall      time.Duration   `json:"-"`
	Latencies []time.Duration `json:"-"`
}

// loginsBurst starts n clients at once, each signing in one seeded user
// once with the given client limit.
func loginsBurst(ctx context.Context, e *env, n int, limit time.Duration) *burstResult {
	r := &burstResult{Clients: n, Errors: map[string]int{}}
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			user := seededUser(poolUser(i, n, e.cfg.Population))
			body := newGQL(loginMutation, map[string]any{"i": user, "p": e.cfg.Password})
			ready.Done()
			<-start
			cctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			t0 := time.Now()
			errs[i] = e.c.graphql(cctx, "", body, nil)
			lat[i] = time.Since(t0)
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	r.Wall = time.Since(t0)
	r.WallS = r.Wall.Seconds()
	for i, err := range errs {
		switch {
		case err == nil:
			r.Answered++
			r.Latencies = append(r.Latencies, lat[i])
		case errKind(err) == "timeout":
			r.Timeouts++
			r.Errors["timeout"]++
		case errKind(err) == "RATE_LIMITED":
			r.Refused++
			r.Errors["RATE_LIMITED"]++
		default:
			r.Failed++
			r.Errors[errKind(err)]++
		}
	}
	return r
}
