// Command bench is usergraph's load tool. It seeds a store directly with
// many users and drives a running server over HTTP with N concurrent
// clients, printing per scenario the request rate, latency percentiles,
// errors and the server's CPU time and peak RSS. See bench/README.md.
//
//	go run ./bench seed -database-url sqlite:PATH -users 1000000 -admin
//	go run ./bench run -start -server-args "..." -scenarios healthz,me,login -clients 32
//	go run ./bench run -url http://127.0.0.1:8080 -server-pid 1234 ...
//	go run ./bench hashcost
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/usergraph/usergraph/password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage: go run ./bench <command> [flags]

commands:
  seed      insert many users straight into a store (bulk path, one precomputed hash)
  run       drive a server over HTTP and print a table of the figures
  hashcost  measure argon2id cost per hash and the hash-bound sign-in rate

"go run ./bench <command> -help" lists a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "seed":
		return runSeed(ctx, args[1:], stdout, stderr)
	case "run":
		return runLoadCmd(ctx, args[1:], stdout, stderr)
	case "hashcost":
		return runHashCost(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// runConfig is the run command's configuration.
type runConfig struct {
	URL          string
	ServerPID    int
	Start        bool
	Repo         string
	ServerArgs   string
	ServerLog    string
	StartTimeout time.Duration
	IdleSettle   time.Duration
	PprofURL     string
	ProfileDir   string

	Scenarios  []string
	Clients    int
	Duration   time.Duration
	Warmup     time.Duration
	Pause      time.Duration
	Timeout    time.Duration
	Population int
	Orgs       int
	Sessions   int
	Password   string
	AdminUser  string
	AdminPass  string
	Burst      int
	BurstLimit time.Duration

	Argon    argonFlags
	HashRuns int
	JSON     bool
}

func runLoadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c runConfig
	var scenarios string
	fs := flag.NewFlagSet("bench run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "base URL of a running server (ignored with -start)")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "pid of the server on this machine, for its CPU time and RSS (0: not measured)")
	fs.BoolVar(&c.Start, "start", false, "build the server from -repo and start it with -server-args (CPU and RSS are then measured)")
	fs.StringVar(&c.Repo, "repo", ".", "with -start: the usergraph checkout to build")
	fs.StringVar(&c.ServerArgs, "server-args", "", "with -start: the server's flags (shell-like quoting); -listen is added if missing")
	fs.StringVar(&c.ServerLog, "server-log", "", "with -start: write the server's log here (default: a temporary file, named at start)")
	fs.DurationVar(&c.StartTimeout, "start-timeout", 10*time.Minute, "with -start: how long to wait for /healthz (index builds on a big store take a while)")
	fs.DurationVar(&c.IdleSettle, "idle-settle", 2*time.Second, "pause after the server answers before its idle RSS is read")
	fs.StringVar(&c.PprofURL, "pprof-url", "", "the server's pprof base URL (e.g. http://127.0.0.1:6060); with -start taken from -pprof-listen in -server-args")
	fs.StringVar(&c.ProfileDir, "profile-dir", "", "save a CPU profile of the server for each scenario's measured window into this directory (needs pprof)")
	fs.StringVar(&scenarios, "scenarios", strings.Join(defaultScenarios, ","), "comma-separated scenarios in run order: "+strings.Join(allScenarios, ", ")+"; or all; or none (idle RSS and hash cost only)")
	fs.IntVar(&c.Clients, "clients", 32, "concurrent clients (closed loop: each sends its next request when the last is answered)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "unmeasured load before each scenario's measured time")
	fs.DurationVar(&c.Pause, "pause", time.Second, "idle time between scenarios")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "client limit per request")
	fs.IntVar(&c.Population, "population", 1000, "seeded users bench-0 … bench-<population-1> that login and sessions draw from")
	fs.IntVar(&c.Orgs, "orgs", 1000, "distinct metadata.org values of the seeded users (seed -orgs)")
	fs.IntVar(&c.Sessions, "sessions", 0, "sessions in the me pool (0: one per client)")
	fs.StringVar(&c.Password, "password", defaultPassword, "password of the seeded users")
	fs.StringVar(&c.AdminUser, "admin-user", defaultAdminUser, "administrator for the users scenarios")
	fs.StringVar(&c.AdminPass, "admin-password", defaultAdminPassword, "the administrator's password")
	fs.IntVar(&c.Burst, "burst", 1000, "logins-burst: concurrent clients, one login each")
	fs.DurationVar(&c.BurstLimit, "burst-timeout", 30*time.Second, "logins-burst: client limit per login")
	c.Argon.register(fs)
	fs.IntVar(&c.HashRuns, "hash-runs", 20, "hashes timed to measure the argon2id cost (the median counts)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if c.Scenarios, err = parseScenarios(scenarios); err != nil {
		return err
	}
	if c.Clients < 1 || c.Duration <= 0 || c.Warmup < 0 || c.Population < 1 || c.Orgs < 1 {
		return errors.New("-clients, -duration, -population and -orgs must be positive, -warmup not negative")
	}
	if c.Start {
		serverArgs, err := splitArgs(c.ServerArgs)
		if err != nil {
			return fmt.Errorf("-server-args: %w", err)
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if err := c.Argon.adopt(serverArgs, given); err != nil {
			return err
		}
	}
	if _, err := c.Argon.params(); err != nil {
		return err
	}
	return runBench(ctx, c, stdout, stderr)
}

// argonFlags mirror the server's -argon2-* flags and USERGRAPH_ARGON2_*
// variables, so the tool measures the cost the server pays.
type argonFlags struct {
	Memory, Iterations, Parallelism uint
}

func (a *argonFlags) register(fs *flag.FlagSet) {
	d := password.DefaultParams()
	fs.UintVar(&a.Memory, "argon2-memory-kib", envUint("USERGRAPH_ARGON2_MEMORY_KIB", uint(d.Memory)), "the server's argon2id memory cost in KiB")
	fs.UintVar(&a.Iterations, "argon2-iterations", envUint("USERGRAPH_ARGON2_ITERATIONS", uint(d.Iterations)), "the server's argon2id iterations")
	fs.UintVar(&a.Parallelism, "argon2-parallelism", envUint("USERGRAPH_ARGON2_PARALLELISM", uint(d.Parallelism)), "the server's argon2id lanes")
}

// adopt takes -argon2-* values from the server's arguments for the flags
// not given to the tool itself.
func (a *argonFlags) adopt(serverArgs []string, given map[string]bool) error {
	for name, dst := range map[string]*uint{"argon2-memory-kib": &a.Memory, "argon2-iterations": &a.Iterations, "argon2-parallelism": &a.Parallelism} {
		v, ok := flagValue(serverArgs, name)
		if !ok || given[name] {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("-server-args: -%s %q: %v", name, v, err)
		}
		*dst = uint(n)
	}
	return nil
}

// params returns the password parameters, with the hasher's salt and key
// lengths.
func (a argonFlags) params() (password.Params, error) {
	p := password.DefaultParams()
	p.Memory, p.Iterations, p.Parallelism = uint32(a.Memory), uint32(a.Iterations), uint8(a.Parallelism)
	if a.Parallelism > 255 {
		return p, fmt.Errorf("argon2-parallelism %d: at most 255", a.Parallelism)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("argon2 parameters: %w", err)
	}
	return p, nil
}

func envUint(name string, def uint) uint {
	if v, err := strconv.ParseUint(os.Getenv(name), 10, 32); err == nil {
		return uint(v)
	}
	return def
}

// flagValue finds -name v, --name v, -name=v or --name=v in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if k, v, ok := strings.Cut(a, "="); ok && k == name {
			return v, true
		}
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// splitArgs splits a command line into words the way a POSIX shell does for
// plain words, single quotes, double quotes and backslashes; nothing is
// expanded.
func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
