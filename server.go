// Command usergraph is a self-hosted user-management backend that frontends
// talk to over GraphQL.
//
//	usergraph [serve] [flags]   run the server (the default command)
//	usergraph init [flags]      create the first administrator from the command line
//	usergraph import FILE       import users (docs/IMPORT.md); export FILE writes them
//	usergraph config            print the effective settings, secrets redacted
//	usergraph keys rotate       sign access tokens with a new key
//	usergraph backup FILE       copy the SQLite database of a running server
//	usergraph version           print the version
//	usergraph help [command]    list the commands, or show one's flags
//
// Every flag of the server is also a USERGRAPH_* variable; `usergraph
// -help` lists them. The commands live in package app; this file only
// dispatches to them.
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/usergraph/usergraph/app"
)

// command is one of usergraph's commands. Adding one is a line in commands
// and a function in package app.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env app.Env, args []string) error
}

// commands are usergraph's commands; the first is the default.
var commands = []command{
	{"serve", "run the server (the default)", app.Serve},
	{"init", "create the first administrator from the command line", app.Init},
	{"import", "import users from a file (usergraph's format, Firebase, Supabase)", app.Import},
	{"export", "export every user to a file", app.Export},
	{"config", "print the effective settings, secrets redacted", app.ConfigCommand},
	{"keys", "keys rotate: sign tokens with a new key", app.Keys},
	{"backup", "copy the SQLite database of a running server", app.Backup},
	{"version", "print the version", app.Version},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, app.ProcessEnv(), os.Args[1:]))
}

// run dispatches args to a command and returns the exit status: 0 done,
// 1 failed, 2 refused (an unknown command or flag, a bad setting).
func run(ctx context.Context, env app.Env, args []string) int {
	cmd, rest, ok := lookup(args)
	switch {
	case !ok:
		fmt.Fprintf(env.Stderr, "usergraph: unknown command %q\n\n", args[0])
		usage(env.Stderr)
		return 2
	case cmd.name == "help":
		return help(ctx, env, rest)
	}
	err := cmd.run(ctx, env, rest)
	var refused *app.UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &refused):
		fmt.Fprintf(env.Stderr, "usergraph %s: %v\n%s\nRun 'usergraph %s -help' for its flags.\n", cmd.name, err, refused.Synopsis, cmd.name)
		return 2
	}
	fmt.Fprintln(env.Stderr, "usergraph:", err)
	return 1
}

// lookup finds the command args name; args that start with a flag, or no
// args, run the default command.
func lookup(args []string) (command, []string, bool) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return commands[0], args, true
	}
	if args[0] == "help" {
		return command{name: "help"}, args[1:], true
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c, args[1:], true
		}
	}
	return command{}, nil, false
}

// help lists the commands, or shows one command's flags.
func help(ctx context.Context, env app.Env, args []string) int {
	if len(args) == 0 {
		usage(env.Stdout)
		return 0
	}
	return run(ctx, env, []string{args[0], "-help"})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: usergraph [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "help", "list the commands; help COMMAND shows its flags")
	fmt.Fprintln(w, "\nRun 'usergraph COMMAND -help' for a command's flags.")
}
