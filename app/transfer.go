package app

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/transfer"
)

// The import and export commands (package transfer does the work;
// docs/IMPORT.md specifies the files).

// importFlags are the import command's own flags.
type importFlags struct {
	format   string
	rejects  string
	update   bool
	dryRun   bool
	batch    int
	firebase struct {
		signerKey, saltSeparator string
		rounds, memCost          int
	}
}

func (o *importFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "", "`format` of FILE: jsonl, csv, firebase or supabase (default: csv for *.csv, else jsonl)")
	fs.StringVar(&o.rejects, "rejects", "", "`file` the rejected rows are written to, with their reasons, as JSON lines (default FILE.rejects.jsonl)")
	fs.BoolVar(&o.update, "update", false, "replace users that exist already (default: skip them)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "check every row and count what would happen; write no user")
	fs.IntVar(&o.batch, "batch", transfer.DefaultBatch, "users per bulk insert")
	fb := &o.firebase
	fs.StringVar(&fb.signerKey, "firebase-signer-key", "", "the Firebase project's base64_signer_key (Password hash parameters)")
	fs.StringVar(&fb.saltSeparator, "firebase-salt-separator", "Bw==", "the Firebase project's base64_salt_separator")
	fs.IntVar(&fb.rounds, "firebase-rounds", 8, "the Firebase project's rounds")
	fs.IntVar(&fb.memCost, "firebase-mem-cost", 14, "the Firebase project's mem_cost")
}

// firebaseParams decodes the Firebase flags (no signer key: none given).
func (o *importFlags) firebaseParams() (password.FirebaseParams, error) {
	fb := o.firebase
	key, err1 := base64.StdEncoding.DecodeString(fb.signerKey)
	sep, err2 := base64.StdEncoding.DecodeString(fb.saltSeparator)
	if err := errors.Join(err1, err2); err != nil {
		return password.FirebaseParams{}, fmt.Errorf("-firebase-signer-key and -firebase-salt-separator are base64: %v", err)
	}
	return password.FirebaseParams{SignerKey: key, SaltSeparator: sep, Rounds: fb.rounds, MemCost: fb.memCost}, nil
}

// Import reads users from a file into the database the server settings
// name (docs/IMPORT.md).
func Import(ctx context.Context, env Env, args []string) error {
	var o importFlags
	cfg := DefaultConfig()
	cl := newCommandLine("import", "usergraph import [flags] FILE",
		"Imports the users of FILE into the database the server settings name, a running server's\n"+
			"included. Rows that cannot be imported are written, with the reason, to the rejects file,\n"+
			"and the import goes on. Users that exist are skipped (or replaced with -update), so an\n"+
			"import can be run again. Hashes are kept as they are and become argon2id at each user's\n"+
			"next sign-in. docs/IMPORT.md specifies the formats.")
	cl.ownFlags(o.bind)
	cl.wantOperands("FILE")
	cl.settings(&cfg)
	if err := cl.parse(args, env); err != nil {
		return err
	}
	file := cl.args[0]
	if o.rejects == "" {
		o.rejects = file + ".rejects.jsonl"
	}
	in, err := os.Open(file)
	if err != nil {
		return err
	}
	defer in.Close()
	read := &countingReader{r: in}
	rows, err := o.reader(read, file)
	if err != nil {
		return cl.refuse(err)
	}
	return runImport(ctx, env, cfg, o, rows, in, read)
}

// reader opens the rows of FILE in its format.
func (o *importFlags) reader(r io.Reader, file string) (transfer.Reader, error) {
	format := transfer.Format(o.format)
	if format == "" {
		format = transfer.FormatOf(file)
	}
	switch format {
	case transfer.FormatJSONL:
		return transfer.NewJSONLines(r), nil
	case transfer.FormatCSV:
		return transfer.NewCSV(r)
	case transfer.FormatFirebase:
		p, err := o.firebaseParams()
		if err != nil {
			return nil, err
		}
		return transfer.NewFirebase(r, p), nil
	case transfer.FormatSupabase:
		return transfer.NewSupabase(r, transfer.FormatOf(file) == transfer.FormatCSV)
	}
	return nil, fmt.Errorf("-format %q: want jsonl, csv, firebase or supabase", o.format)
}

// runImport opens the services and the rejects file, and imports with a
// progress display.
func runImport(ctx context.Context, env Env, cfg Config, o importFlags, rows transfer.Reader, in *os.File, read *countingReader) error {
	if cfg.HTTP.PublicURL == "" { // no listener: the issuer a server on this address would have
		cfg.HTTP.PublicURL = "http://" + cfg.HTTP.Listen
	}
	svc, err := openServices(ctx, cfg, newLogger(cfg.Log, env.Stderr), unwatched())
	if err != nil {
		return err
	}
	defer svc.close()
	// The rejected rows are the file's own: personal data, hashes.
	rejects, err := os.OpenFile(o.rejects, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer rejects.Close()
	im := transfer.NewImporter(svc.store, svc.accounts.StartImport(), rejects,
		transfer.Options{Update: o.update, DryRun: o.dryRun, BatchSize: o.batch})
	var size int64
	if fi, err := in.Stat(); err == nil {
		size = fi.Size()
	}
	stop := showProgress(env, size, &read.n, &im.Counts)
	err = im.Run(ctx, rows)
	stop()
	summarize(env.Stdout, in.Name(), o, &im.Counts)
	if im.Counts.Rejected.Load() == 0 {
		os.Remove(o.rejects) // no rejects: no file to wonder about
	}
	return err
}

// summarize prints what the import did.
func summarize(w io.Writer, file string, o importFlags, c *transfer.Counts) {
	verb := "imported"
	if o.dryRun {
		verb = "dry run of"
	}
	fmt.Fprintf(w, "%s %s: %d rows read: %d created, %d updated, %d skipped (existing), %d rejected\n", verb, file,
		c.Read.Load(), c.Created.Load(), c.Updated.Load(), c.Skipped.Load(), c.Rejected.Load())
	if n := c.Rejected.Load(); n > 0 {
		fmt.Fprintf(w, "the rejected rows and their reasons are in %s\n", o.rejects)
	}
	if n := c.Identities.Load(); n > 0 {
		fmt.Fprintf(w, "%d identities linked (social sign-in)\n", n)
	}
}

// countingReader counts the bytes read through it, for the progress display.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Export writes every user of the database to a file (docs/IMPORT.md).
func Export(ctx context.Context, env Env, args []string) error {
	var format string
	var opts transfer.ExportOptions
	cfg := DefaultConfig()
	cl := newCommandLine("export", "usergraph export [flags] FILE",
		"Writes every user of the database the server settings name to FILE (- for standard output)\n"+
			"in the format usergraph import reads. Password hashes are left out unless -with-hashes\n"+
			"is given; the file is created readable by its owner only, and never overwritten.")
	cl.ownFlags(func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "", "`format`: jsonl or csv (default: csv for *.csv, else jsonl)")
		fs.BoolVar(&opts.WithHashes, "with-hashes", false, "include the password hashes, so that users keep their passwords")
	})
	cl.wantOperands("FILE")
	cl.settings(&cfg)
	if err := cl.parse(args, env); err != nil {
		return err
	}
	file := cl.args[0]
	if format == "" {
		format = string(transfer.FormatOf(file))
	}
	if format != string(transfer.FormatJSONL) && format != string(transfer.FormatCSV) {
		return cl.refuse(fmt.Errorf("-format %q: want jsonl or csv", format))
	}
	opts.CSV = format == string(transfer.FormatCSV)
	db, err := openStore(ctx, cfg.Store, newLogger(cfg.Log, env.Stderr), unwatched())
	if err != nil {
		return err
	}
	defer db.Close()
	out, done, err := createOutput(env, file)
	if err != nil {
		return err
	}
	n, err := transfer.Export(ctx, db, out, opts)
	if err := errors.Join(err, done()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported %d users to %s\n", n, file)
	return nil
}

// createOutput creates file (mode 0600, never over an existing one), or
// returns standard output for "-"; done closes it.
func createOutput(env Env, file string) (io.Writer, func() error, error) {
	if file == "-" {
		return env.Stdout, func() error { return nil }, nil
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
