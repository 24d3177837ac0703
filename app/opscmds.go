package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/token"
)

// The operators' commands: config, keys rotate and backup.

// ConfigCommand prints the effective settings, each as the USERGRAPH_* variable
// that sets it, with the credentials among them redacted (redactSetting).
func ConfigCommand(_ context.Context, env Env, args []string) error {
	cfg := DefaultConfig()
	cl := newCommandLine("config", "usergraph config [server flags]",
		"Prints the settings a server started with the same flags and environment would run with,\n"+
			"one USERGRAPH_* variable a line, after checking them as the server does. Secrets are\n"+
			"redacted, and passwords taken out of URLs.")
	cl.settings(&cfg)
	if err := cl.parse(args, env); err != nil {
		return err
	}
	cl.fs.VisitAll(func(f *flag.Flag) {
		value, note := redactSetting(f.Name, f.Value.String())
		if note == "" && f.Value.String() == f.DefValue {
			note = "default"
		}
		line := envName(f.Name) + "=" + value
		if note != "" {
			line = fmt.Sprintf("%-56s # %s", line, note)
		}
		fmt.Fprintln(env.Stdout, line)
	})
	return nil
}

// secretSettings hold credentials: config prints that they are set, never
// their value. TestConfigRedactsSecrets keeps every setting whose name says
// secret or token (but for durations) in this list.
var secretSettings = map[string]bool{"bootstrap-token": true, "sms-webhook-secret": true}

// redactSetting returns what config prints for a setting's value, and a
// note when it changed it. A URL setting (its name ends in -url or -urls)
// may carry a password in its user info or a credential in its query
// (a database's, an SMTP server's, a webhook's key): every URL is printed
// without either.
func redactSetting(name, value string) (shown, note string) {
	switch {
	case value == "":
		return "", ""
	case secretSettings[name]:
		return "***", "secret, redacted"
	case strings.HasSuffix(name, "-url") || strings.HasSuffix(name, "-urls"):
		urls := strings.Split(value, ",")
		for i, u := range urls {
			urls[i] = redactURL(u)
			if q := strings.IndexByte(urls[i], '?'); q >= 0 {
				urls[i] = urls[i][:q+1] + "***"
			}
		}
		if shown = strings.Join(urls, ","); shown != value {
			note = "credentials redacted"
		}
		return shown, note
	}
	return value, ""
}

// Keys runs `usergraph keys rotate`: a new signing key signs from now on;
// the previous one keeps verifying the tokens it signed until they expire.
func Keys(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	cfg := DefaultConfig()
	cl := newCommandLine("keys", "usergraph keys rotate [server flags]",
		"rotate: stores a new token signing key, which signs every access token from now on; the\n"+
			"previous key is retired and still verifies the tokens it signed until they expire (twice\n"+
			"the access token lifetime). Running servers sign with the new key within a minute, and\n"+
			"verify its tokens at once.")
	cl.settings(&cfg)
	if err := cl.parse(args, env); err != nil {
		return err
	}
	if sub != "rotate" {
		return cl.refuse(fmt.Errorf("unknown keys command %q: want rotate", sub))
	}
	db, err := openStore(ctx, cfg.Store, newLogger(cfg.Log, env.Stderr), unwatched())
	if err != nil {
		return err
	}
	defer db.Close()
	// The issuer is not used: this service signs nothing.
	tokens, err := token.New(ctx, db, token.Config{Issuer: "usergraph", Audience: "usergraph",
		AccessTTL: cfg.Sessions.AccessTokenTTL}, newLogger(cfg.Log, env.Stderr))
	if err != nil {
		return err
	}
	if err := tokens.Rotate(ctx); err != nil {
		return err
	}
	keys, err := db.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "signing key rotated: key %s signs from now on\n", keys[0].ID)
	for _, k := range keys[1:] {
		fmt.Fprintf(env.Stdout, "key %s retired %s: verifies its tokens until they expire\n", k.ID, k.RetiredAt.Format(time.RFC3339))
	}
	return nil
}

// Backup writes a consistent copy of the server's SQLite database, which
// may be in use, to a new file. MongoDB deployments back up with
// mongodump (docs/MONGODB.md).
func Backup(ctx context.Context, env Env, args []string) error {
	cfg := DefaultConfig()
	cl := newCommandLine("backup", "usergraph backup [server flags] FILE",
		"Copies the SQLite database the server settings name to FILE, a new file, while servers\n"+
			"keep running on it (SQLite's VACUUM INTO: one consistent snapshot, compacted). The copy\n"+
			"is a complete database; restore it by pointing -database-url at it. For MongoDB use\n"+
			"mongodump (docs/MONGODB.md).")
	cl.wantOperands("FILE")
	cl.settings(&cfg)
	if err := cl.parse(args, env); err != nil {
		return err
	}
	path, ok := strings.CutPrefix(cfg.Store.URL, "sqlite:")
	if !ok {
		return cl.refuse(errors.New("backup copies SQLite databases; back up MongoDB with mongodump (docs/MONGODB.md)"))
	}
	if err := sqlite.Backup(ctx, path, cl.args[0]); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s\n", path, cl.args[0])
	return nil
}
