package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Env is what a command takes from its process: the environment and the
// standard streams. Tests give commands one of their own.
type Env struct {
	Vars   []string // KEY=value, as os.Environ returns them
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// ProcessEnv is this process's environment and streams.
func ProcessEnv() Env {
	return Env{Vars: os.Environ(), Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Getenv returns the value of the variable key ("" when unset).
func (e Env) Getenv(key string) string {
	v := ""
	for _, kv := range e.Vars {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val // the last one wins, as in a shell
		}
	}
	return v
}

// Variables that are no setting but known: the one read by the init
// command, and the one the test suites read (e2e, store/mongo), which a
// developer's shell may well export while running the server.
const (
	adminPasswordVar = "USERGRAPH_ADMIN_PASSWORD"
	TestMongoURIVar  = "USERGRAPH_TEST_MONGODB_URI"
)

// UsageError is a command line or a setting that a command refuses: an
// unknown flag, a value that does not parse, settings that contradict each
// other. usergraph prints it with a pointer to -help and exits 2.
type UsageError struct {
	Command  string // "serve", "init", …
	Synopsis string // the command's usage line
	Err      error
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// commandLine is one command's flags: its own, if any, then every setting
// of a Config, each also a USERGRAPH_* variable (envName); a flag on the
// command line wins over the variable.
type commandLine struct {
	name     string // the command: serve, init, …
	synopsis string // "usergraph init -username NAME …"
	about    string // what the command does, for -help
	fs       *flag.FlagSet
	own      map[string]bool // the command's own flags, listed first in -help
	cfg      *Config         // nil: the command has no settings
	operands []string        // names of the arguments that are no flags (FILE), each required
	args     []string        // their values, after parse
}

func newCommandLine(name, synopsis, about string) *commandLine {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; -help is printed by parse
	fs.Usage = func() {}
	return &commandLine{name: name, synopsis: synopsis, about: about, fs: fs, own: map[string]bool{}}
}

// ownFlags registers the command's own flags with bind.
func (cl *commandLine) ownFlags(bind func(*flag.FlagSet)) {
	before := map[string]bool{}
	cl.fs.VisitAll(func(f *flag.Flag) { before[f.Name] = true })
	bind(cl.fs)
	cl.fs.VisitAll(func(f *flag.Flag) {
		if !before[f.Name] {
			cl.own[f.Name] = true
		}
	})
}

// wantOperands names the arguments the command takes besides its flags,
// in order (e.g. "FILE"); each is required, and flags may come before or
// after them.
func (cl *commandLine) wantOperands(names ...string) { cl.operands = names }

// parseFlags parses args, taking the operands out from among the flags.
func (cl *commandLine) parseFlags(args []string) error {
	if err := cl.fs.Parse(args); err != nil {
		return err
	}
	for cl.fs.NArg() > 0 {
		if len(cl.args) == len(cl.operands) {
			return fmt.Errorf("unexpected argument %q", cl.fs.Arg(0))
		}
		cl.args = append(cl.args, cl.fs.Arg(0))
		if err := cl.fs.Parse(cl.fs.Args()[1:]); err != nil {
			return err
		}
	}
	if len(cl.args) < len(cl.operands) {
		return fmt.Errorf("missing %s", cl.operands[len(cl.args)])
	}
	return nil
}

// settings registers every setting of c, starting from its values.
func (cl *commandLine) settings(c *Config) {
	cl.cfg = c
	c.bind(cl.fs)
}

// parse reads args, then the variables of the flags args did not give, and
// checks the settings. It warns on env.Stderr about USERGRAPH_* variables
// that name nothing (a typo would otherwise go unnoticed). -help prints
// the help on env.Stdout and returns flag.ErrHelp.
func (cl *commandLine) parse(args []string, env Env) error {
	if err := cl.parseFlags(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cl.printHelp(env.Stdout)
			return err
		}
		return cl.refuse(err)
	}
	given := map[string]bool{}
	cl.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	cl.fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v := env.Getenv(name); v != "" && !given[f.Name] && err == nil {
			if e := cl.fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	cl.warnUnknown(env)
	if err != nil {
		return cl.refuse(err)
	}
	if cl.cfg != nil {
		if err := cl.cfg.Check(); err != nil {
			return cl.refuse(err)
		}
	}
	return nil
}

func (cl *commandLine) refuse(err error) error {
	return &UsageError{Command: cl.name, Synopsis: "usage: " + cl.synopsis, Err: err}
}

// warnUnknown names the USERGRAPH_* variables that are neither a server
// setting (every command may run where the server's are set) nor a flag of
// this command nor a known variable. Not fatal: a variable set for another
// command (init's) or for a newer version must not stop a server.
func (cl *commandLine) warnUnknown(env Env) {
	known := map[string]bool{adminPasswordVar: true, TestMongoURIVar: true}
	settings := flag.NewFlagSet("settings", flag.ContinueOnError)
	cfg := DefaultConfig()
	cfg.bind(settings)
	for _, fs := range []*flag.FlagSet{settings, cl.fs} {
		fs.VisitAll(func(f *flag.Flag) { known[envName(f.Name)] = true })
	}
	var unknown []string
	for _, kv := range env.Vars {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "USERGRAPH_") && !known[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		fmt.Fprintf(env.Stderr, "usergraph %s: warning: %s is not a setting of this command; ignored (usergraph %s -help lists them)\n",
			cl.name, name, cl.name)
	}
}

// printHelp writes the synopsis, what the command does and its flags,
// each with its variable: the command's own first, then the settings.
func (cl *commandLine) printHelp(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", cl.synopsis, cl.about)
	if len(cl.own) > 0 {
		fmt.Fprintf(w, "\nFlags of %s:\n", cl.name)
		cl.printFlags(w, func(f *flag.Flag) bool { return cl.own[f.Name] })
	}
	if cl.cfg != nil {
		if len(cl.own) > 0 {
			fmt.Fprintf(w, "\nServer settings (the same as usergraph serve's):\n")
		} else {
			fmt.Fprintf(w, "\nSettings:\n")
		}
		fmt.Fprintf(w, "  Each flag is also the environment variable shown beside it; a flag given\n  on the command line wins over the variable.\n\n")
		cl.printFlags(w, func(f *flag.Flag) bool { return !cl.own[f.Name] })
	}
}

// printFlags writes the flags that keep selects as flag.PrintDefaults
// does, with each flag's variable.
func (cl *commandLine) printFlags(w io.Writer, keep func(*flag.Flag) bool) {
	cl.fs.VisitAll(func(f *flag.Flag) {
		if !keep(f) {
			return
		}
		kind, usage := flag.UnquoteUsage(f)
		head := "  -" + f.Name
		if kind != "" {
			head += " " + kind
		}
		fmt.Fprintf(w, "%-40s %s\n", head, envName(f.Name))
		fmt.Fprintf(w, "    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch {
		case f.DefValue == "" || f.DefValue == "false":
		case kind == "string":
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}
