package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is a usergraph process the tool built and started, so that its
// CPU time and memory can be read.
type server struct {
	URL      string
	PprofURL string
	LogPath  string
	cmd      *exec.Cmd
	dir      string
	exited   chan error
}

// startServer builds the server from repo with `go build` and starts it
// with args, adding -listen on a free local port when args have none, then
// waits until /healthz answers.
func startServer(ctx context.Context, repo string, args []string, logPath string, timeout time.Duration, progress io.Writer) (*server, error) {
	dir, err := os.MkdirTemp("", "usergraph-bench-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, exited: make(chan error, 1)}
	bin := filepath.Join(dir, "usergraph")
	fmt.Fprintf(progress, "building the server: go build -o %s . (in %s)\n", bin, repo)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir, build.Stdout, build.Stderr = repo, progress, progress
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("go build: %w", err)
	}
	listen, ok := flagValue(args, "listen")
	if !ok {
		if listen, err = freeAddr(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		args = append([]string{"-listen", listen}, args...)
	}
	if s.URL, err = baseURL(listen); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if p, ok := flagValue(args, "pprof-listen"); ok && p != "" {
		s.PprofURL, _ = baseURL(p)
	}
	if logPath == "" {
		logPath = filepath.Join(dir, "server.log")
	}
	s.LogPath = logPath
	logFile, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close()
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a ^C to the tool reaches the server through Stop, not twice
	fmt.Fprintf(progress, "starting: %s %s (log: %s)\n", bin, strings.Join(args, " "), logPath)
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.exited <- s.cmd.Wait() }()
	if err := s.waitHealthy(ctx, timeout); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Pid is the server's process id.
func (s *server) Pid() int { return s.cmd.Process.Pid }

func (s *server) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("the server exited before answering (%v); its log:\n%s", err, tail(s.LogPath, 2000))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not answer /healthz within %s; log: %s", timeout, s.LogPath)
		}
	}
}

// Stop ends the server with SIGTERM (a clean shutdown checkpoints the
// store), killing it after 30 s, and removes the built binary.
func (s *server) Stop() error {
	defer os.Remove(filepath.Join(s.dir, "usergraph"))
	select {
	case err := <-s.exited:
		s.exited <- err
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("the server did not stop within 30 s after SIGTERM; killed")
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// baseURL turns a listen address into a URL a local client can reach.
func baseURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %v", listen, err)
	}
	if port == "0" {
		return "", fmt.Errorf("listen address %q: give a fixed port (or leave -listen out)", listen)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
