// Command ferretdb runs a FerretDB server (MongoDB wire protocol, SQLite
// storage) for usergraph's tests on the MongoDB backend: .ci/ferretdb
// starts it, runs a command against it and stops it.
//
// It is a module of its own (go.mod beside this file), so FerretDB's
// dependencies never enter the server's. It embeds FerretDB through its
// package github.com/FerretDB/FerretDB/ferretdb because FerretDB's own
// command, built with go install, panics at start: the version file it
// reads is not in the module.
//
// Usage:
//
//	ferretdb -listen 127.0.0.1:0 -dir DIR
//
// Once the server listens it prints its connection string on a line of its
// own on standard output (with -listen :0, the port it got), then serves
// until SIGTERM or SIGINT, when it closes its connections and its storage
// and exits 0. Its log goes to standard error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ferretdb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "TCP `address` to listen on (port 0: a free one, printed)")
	dir := fs.String("dir", "", "`directory` of the SQLite files (created if missing; required)")
	// At warn FerretDB logs every error answer it sends, and the tests
	// provoke thousands (duplicate keys, indexes it lacks).
	level := fs.String("log-level", "error", "FerretDB's log `level`: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-dir is required, and nothing else")
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	// FerretDB's SQLite handler refuses a directory that does not exist.
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}

	// Set before New: New binds the listener, and a signal that came
	// before the handler would kill the process without closing storage.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/", // a directory: the trailing slash is required
	})
	if err != nil {
		return err
	}
	// New has bound the socket: connections made from now on wait in the
	// backlog until Run accepts them, so the address is ready to hand out.
	fmt.Fprintln(stdout, srv.MongoDBURI())
	return srv.Run(ctx)
}
