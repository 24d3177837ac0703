package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/usergraph/usergraph/account"
)

// The commands of usergraph (server.go's table names them). Each parses
// its own command line: a refused one is a *UsageError, -help prints the
// help and returns flag.ErrHelp.

// Serve runs the server until ctx ends (SIGINT or SIGTERM), then finishes
// the requests in flight and closes the store.
func Serve(ctx context.Context, env Env, args []string) error {
	cfg, err := Load(args, env)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, env.Stderr)
	setMemoryLimit(cfg.Runtime, env, log)
	m := New(cfg, log)
	if err := m.Run(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	return m.Close()
}

// Load reads the server's settings from args and, for the flags args does
// not give, from env's USERGRAPH_* variables, and checks them.
func Load(args []string, env Env) (Config, error) {
	cfg := DefaultConfig()
	cl := serveCommandLine(&cfg)
	return cfg, cl.parse(args, env)
}

func serveCommandLine(cfg *Config) *commandLine {
	cl := newCommandLine("serve", "usergraph [serve] [flags]",
		"Runs the server until SIGINT or SIGTERM, then finishes the requests in flight.")
	cl.settings(cfg)
	return cl
}

// Init creates the first administrator straight in the database, for
// scripted deployments:
//
//	USERGRAPH_ADMIN_PASSWORD=… usergraph init -username admin -email a@b.c [-device-token T]
//
// The password comes from USERGRAPH_ADMIN_PASSWORD or the first line of
// standard input; if neither gives one, a strong one is generated and
// printed, once, on standard output (never to the log). Under device
// control a device token is required, and that device is permitted. The
// server's settings choose the database.
func Init(ctx context.Context, env Env, args []string) error {
	var admin account.Admin
	cfg := DefaultConfig()
	cl := newCommandLine("init", "usergraph init -username NAME [-email ADDRESS] [-device-token TOKEN] [server flags]",
		"Creates the first administrator in the database the server settings name, once: it fails\n"+
			"if the database has one. The password is read from "+adminPasswordVar+", else from the\n"+
			"first line of standard input; without either, one is generated and printed once.\n"+
			"Under -device-control the administrator's device token is required.")
	cl.ownFlags(func(fs *flag.FlagSet) {
		fs.StringVar(&admin.Username, "username", "", "the administrator's username")
		fs.StringVar(&admin.Email, "email", "", "the administrator's email")
		fs.StringVar(&admin.DeviceToken, "device-token", "", "the administrator's device token, registered permitted (required under -device-control)")
	})
	cl.settings(&cfg)
	if err := cl.parse(args, env); err != nil {
		return err
	}
	var err error
	if admin.Password, err = adminPassword(env); err != nil {
		return err
	}
	if cfg.HTTP.PublicURL == "" { // no listener: the issuer a server on this address would have
		cfg.HTTP.PublicURL = "http://" + cfg.HTTP.Listen
	}
	svc, err := openServices(ctx, cfg, newLogger(cfg.Log, env.Stderr), unwatched())
	if err != nil {
		return err
	}
	defer svc.close()
	u, generated, err := svc.accounts.InitializeTrusted(ctx, admin)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created administrator %s (id %s)\n", strings.TrimSpace(admin.Username+" "+admin.Email), u.ID)
	if generated != "" {
		fmt.Fprintf(env.Stdout, "generated password (shown this once, keep it safe): %s\n", generated)
	}
	return nil
}

// adminPassword reads the password from the variable, else from the first
// line of standard input. None at all ("": no variable, and standard input
// empty or an empty line) asks for a generated one.
func adminPassword(env Env) (string, error) {
	if pw := env.Getenv(adminPasswordVar); pw != "" {
		return pw, nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Version prints the version usergraph was built as.
func Version(_ context.Context, env Env, args []string) error {
	cl := newCommandLine("version", "usergraph version", "Prints the module version and the source revision usergraph was built from.")
	if err := cl.parse(args, env); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "usergraph", buildVersion())
	return nil
}

// buildVersion describes the build: the module version ("(devel)" when
// built from a checkout), the VCS revision and time when the build recorded
// them (go build does, go run does not), and the Go release.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	parts := []string{info.Main.Version}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += "+modified"
		}
		parts = append(parts, "revision "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	return strings.Join(append(parts, info.GoVersion), " ")
}

func newLogger(c LogConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// setMemoryLimit gives the Go runtime a soft memory limit, so a burst of
// sign-ins (each argon2id hash allocates its memory anew) makes the
// collector work harder instead of letting the heap double. GOMEMLIMIT in
// the environment takes precedence, as the runtime documents.
func setMemoryLimit(c RuntimeConfig, env Env, log *slog.Logger) {
	if env.Getenv("GOMEMLIMIT") != "" {
		log.Debug("memory limit left to GOMEMLIMIT")
		return
	}
	if c.MemoryLimit > 0 {
		debug.SetMemoryLimit(c.MemoryLimit)
	}
}
