package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
	"github.com/usergraph/usergraph/store/sqlite"
)

// The password of every seeded user, and the seeded administrator.
const (
	defaultPassword      = "bench-password-1"
	defaultAdminUser     = "bench-admin"
	defaultAdminPassword = "bench-admin-password-1"
)

type seedConfig struct {
	DatabaseURL  string
	Users        int
	First        int
	Batch        int
	Orgs         int
	Password     string
	Admin        bool
	AdminUser    string
	AdminPass    string
	DefaultRole  string
	IndexedPaths string
	Argon        argonFlags
}

// runSeed inserts users bench-<First> … bench-<First+Users-1> straight into
// the store through its bulk path (store.CreateUsers), all with one
// precomputed argon2id hash of the same password at the server's
// parameters, so that a login costs exactly what a real one costs.
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c seedConfig
	fs := flag.NewFlagSet("bench seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("USERGRAPH_DATABASE_URL"), "the server's store: sqlite:PATH or mongodb://… (default $USERGRAPH_DATABASE_URL)")
	fs.IntVar(&c.Users, "users", 10000, "users to insert")
	fs.IntVar(&c.First, "first", 0, "index of the first user (to add to an earlier seed)")
	fs.IntVar(&c.Batch, "batch", 10000, "users per CreateUsers call")
	fs.IntVar(&c.Orgs, "orgs", 1000, "distinct metadata.org values (org-<i mod orgs>)")
	fs.StringVar(&c.Password, "password", defaultPassword, "password of every seeded user")
	fs.BoolVar(&c.Admin, "admin", false, "also create the administrator -admin-user (the first one, if the store is not initialized)")
	fs.StringVar(&c.AdminUser, "admin-user", defaultAdminUser, "the administrator's username")
	fs.StringVar(&c.AdminPass, "admin-password", defaultAdminPassword, "the administrator's password")
	fs.StringVar(&c.DefaultRole, "default-role", "user", "the server's -default-role, given to every seeded user")
	fs.StringVar(&c.IndexedPaths, "indexed-paths", "metadata.org", "the server's -indexed-paths, whose indexes are built once after inserting (empty: leave it to the server's start)")
	c.Argon.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.Users < 0 || c.First < 0 || c.Batch < 1 || c.Orgs < 1 {
		return errors.New("-users and -first must not be negative, -batch and -orgs must be positive")
	}
	paths, err := parseIndexedPaths(c.IndexedPaths)
	if err != nil {
		return err
	}
	params, err := c.Argon.params()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	db, err := openSeedStore(ctx, c.DatabaseURL, paths, log)
	if err != nil {
		return err
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	hasher := password.NewHasher(params, 1)
	t0 := time.Now()
	hash, err := hasher.Hash(ctx, c.Password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "one argon2id hash (m=%d KiB t=%d p=%d) in %s, shared by every seeded user\n",
		params.Memory, params.Iterations, params.Parallelism, time.Since(t0).Round(time.Millisecond))
	roles := access.New(db, c.DefaultRole, time.Minute, log)
	if err := roles.EnsureBuiltIns(ctx); err != nil {
		return fmt.Errorf("built-in roles: %w", err)
	}
	if c.Admin {
		if err := seedAdmin(ctx, db, hasher, roles, c, log, stdout); err != nil {
			return err
		}
	}
	if err := seedUsers(ctx, db, c, hash, stdout); err != nil {
		return err
	}
	err, db = db.Close(), nil
	if err != nil {
		return err
	}
	if path, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok && len(paths) > 0 {
		fmt.Fprintf(stdout, "building the indexes of %s…\n", c.IndexedPaths)
		t0 := time.Now()
		db2, err := sqlite.Open(ctx, path, sqlite.Options{IndexedPaths: paths})
		if err != nil {
			return err
		}
		if err := db2.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "indexes built in %s\n", time.Since(t0).Round(time.Millisecond))
	}
	return nil
}

// openSeedStore opens the store a database URL names, as the server does.
// SQLite opens without the path indexes, which are built once after the
// inserts (cheaper than keeping them up to date row by row); MongoDB
// creates its indexes at open.
func openSeedStore(ctx context.Context, url string, paths []store.IndexedPath, log *slog.Logger) (store.Store, error) {
	if strings.HasPrefix(url, "mongodb://") || strings.HasPrefix(url, "mongodb+srv://") {
		return mongo.Open(ctx, url, mongo.Options{IndexedPaths: paths, Timeout: 10 * time.Second, Log: log})
	}
	path, err := sqlitePath(url)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, path, sqlite.Options{})
}

// seedUsers inserts the users in batches; a goroutine builds the next
// batch while the store writes the current one.
func seedUsers(ctx context.Context, db store.Store, c seedConfig, hash string, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*store.User, 2)
	go func() {
		defer close(batches)
		for start := c.First; start < c.First+c.Users; start += c.Batch {
			end := min(start+c.Batch, c.First+c.Users)
			b := make([]*store.User, 0, end-start)
			now := store.Now()
			for i := start; i < end; i++ {
				b = append(b, seededRecord(i, c.Orgs, c.DefaultRole, hash, now))
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	t0, last := time.Now(), time.Now()
	done := 0
	for b := range batches {
		if err := db.CreateUsers(ctx, b); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				err = fmt.Errorf("%w (seeded before? add users after an earlier seed with -first <its -users>, or seed a new file)", err)
			}
			return fmt.Errorf("after %d users: %w", done, err)
		}
		done += len(b)
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			el := time.Since(t0)
			fmt.Fprintf(out, "  %d/%d users, %.0f users/s, %s\n", done, c.Users, float64(done)/el.Seconds(), el.Round(time.Second))
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	el := time.Since(t0)
	fmt.Fprintf(out, "seeded %d users (bench-%d … bench-%d, password %q) in %s: %.0f users/s\n",
		done, c.First, c.First+c.Users-1, c.Password, el.Round(time.Millisecond), float64(done)/max(el.Seconds(), 1e-9))
	return nil
}

var plans = []string{"free", "pro", "team"}

// seededRecord is the i-th seeded user, keyed the way the account service
// keys users (store.FoldKey).
func seededRecord(i, orgs int, role, hash string, now time.Time) *store.User {
	name := seededUser(i)
	email := name + "@example.com"
	meta := make([]byte, 0, 64)
	meta = append(meta, `{"org":"org-`...)
	meta = strconv.AppendInt(meta, int64(i%orgs), 10)
	meta = append(meta, `","plan":"`...)
	meta = append(meta, plans[i%len(plans)]...)
	meta = append(meta, `","n":`...)
	meta = strconv.AppendInt(meta, int64(i), 10)
	meta = append(meta, '}')
	var roles []string
	if role != "" {
		roles = []string{role}
	}
	return &store.User{
		ID:           store.NewID(),
		Username:     name,
		Email:        email,
		UsernameKey:  store.FoldKey(name),
		EmailKey:     store.FoldKey(email),
		Metadata:     meta,
		Status:       store.StatusActive,
		Roles:        roles,
		PasswordHash: hash,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
}

// seedAdmin creates the administrator: as the first one through the
// account service (as `usergraph init` does) when the store is not
// initialized, and otherwise directly with the admin role.
func seedAdmin(ctx context.Context, db store.Store, hasher *password.Hasher, roles *access.Service, c seedConfig, log *slog.Logger, out io.Writer) error {
	deviceTokens := devices.New(devices.Deps{Store: db, Access: roles, Log: log}, devices.Config{})
	accounts := account.New(account.Deps{Store: db, Hasher: hasher, Access: roles, DeviceTokens: deviceTokens, Log: log}, account.Config{})
	email := c.AdminUser + "@example.com"
	u, _, err := accounts.InitializeTrusted(ctx, account.Admin{Username: c.AdminUser, Email: email, Password: c.AdminPass})
	if apperr.CodeOf(err) == apperr.Forbidden { // initialized before
		u, err = addAdmin(ctx, db, hasher, c.AdminUser, email, c.AdminPass, c.DefaultRole)
		if errors.Is(err, store.ErrAlreadyExists) {
			fmt.Fprintf(out, "administrator %s exists already; its password is unchanged\n", c.AdminUser)
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("administrator: %w", err)
	}
	fmt.Fprintf(out, "administrator: username %s, password %s (id %s)\n", c.AdminUser, c.AdminPass, u.ID)
	return nil
}

func addAdmin(ctx context.Context, db store.Store, hasher *password.Hasher, username, email, pw, defaultRole string) (*store.User, error) {
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return nil, err
	}
	roles := []string{access.AdminRole}
	if defaultRole != "" && defaultRole != access.AdminRole {
		roles = append(roles, defaultRole)
	}
	now := store.Now()
	u := &store.User{ID: store.NewID(), Username: username, Email: email,
		UsernameKey: store.FoldKey(username), EmailKey: store.FoldKey(email),
		Status: store.StatusActive, Roles: roles, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	return u, db.CreateUser(ctx, u)
}

// sqlitePath takes the path out of a database URL the way the server does.
func sqlitePath(url string) (string, error) {
	switch {
	case url == "":
		return "", errors.New("give -database-url sqlite:PATH (or USERGRAPH_DATABASE_URL)")
	case strings.HasPrefix(url, "sqlite:"):
		return strings.TrimPrefix(url, "sqlite:"), nil
	case strings.HasPrefix(url, "mongodb://"), strings.HasPrefix(url, "mongodb+srv://"):
		return "", errors.New("not an sqlite: URL")
	}
	scheme, _, _ := strings.Cut(url, ":")
	return "", fmt.Errorf("database-url must start with sqlite: or mongodb:// (got %s:…)", scheme)
}

// parseIndexedPaths reads the server's -indexed-paths syntax:
// "metadata.a.b,appMetadata.c".
func parseIndexedPaths(s string) ([]store.IndexedPath, error) {
	var out []store.IndexedPath
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		field, path, _ := strings.Cut(p, ".")
		if field != "metadata" && field != "appMetadata" {
			return nil, fmt.Errorf("indexed-paths: %q must start with metadata. or appMetadata.", p)
		}
		if _, err := store.ParsePath(path); err != nil {
			return nil, fmt.Errorf("indexed-paths: %v", err)
		}
		out = append(out, store.IndexedPath{AppMetadata: field == "appMetadata", Path: path})
	}
	return out, nil
}
