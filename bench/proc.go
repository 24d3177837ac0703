package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The server's CPU time and memory, read from /proc (Linux only).

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// procSample is one reading of a process.
type procSample struct {
	CPU time.Duration // user + system time so far
	RSS int64         // VmRSS, bytes
	HWM int64         // VmHWM (peak RSS since start or the last reset), bytes
}

// proc reads one process; the zero proc (pid 0) reads nothing.
type proc struct{ pid int }

func (p proc) ok() bool { return p.pid > 0 }

func (p proc) read() (procSample, error) {
	var s procSample
	if !p.ok() {
		return s, fmt.Errorf("no server pid")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return s, err
	}
	if s.CPU, err = parseStatCPU(stat); err != nil {
		return s, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return s, err
	}
	s.RSS, s.HWM = parseStatusKB(status, "VmRSS"), parseStatusKB(status, "VmHWM")
	return s, nil
}

// parseStatCPU returns utime + stime from the contents of /proc/<pid>/stat.
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed stat: %d fields", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed stat times %q %q", f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// parseStatusKB returns the value of a "Name:   123 kB" line in bytes, or 0.
func parseStatusKB(status []byte, name string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n << 10
	}
	return 0
}

// resetPeak sets VmHWM back to the current RSS (clear_refs 5, Linux 4.0+),
// so a later VmHWM is the peak of what happened in between. It needs the
// right to write the process's clear_refs (same user, or root).
func (p proc) resetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid), []byte("5"), 0)
}

// watch measures a process over a window: CPU time used and peak RSS.
// The peak is VmHWM after a reset when the reset is allowed, and otherwise
// the highest VmRSS sampled every 20 ms.
type watch struct {
	p       proc
	start   procSample
	exact   bool
	stop    chan struct{}
	done    sync.WaitGroup
	mu      sync.Mutex
	sampled int64
}

// measured is what a watch reports; zero values when the server is not
// on this machine.
type measured struct {
	CPU       time.Duration
	PeakRSS   int64
	PeakExact bool // from VmHWM, not sampled
}

func (p proc) watch() *watch {
	w := &watch{p: p, stop: make(chan struct{})}
	if !p.ok() {
		return w
	}
	w.exact = p.resetPeak() == nil
	w.start, _ = p.read()
	w.sampled = w.start.RSS
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				if s, err := p.read(); err == nil {
					w.mu.Lock()
					w.sampled = max(w.sampled, s.RSS)
					w.mu.Unlock()
				}
			}
		}
	}()
	return w
}

func (w *watch) end() measured {
	if !w.p.ok() {
		return measured{}
	}
	close(w.stop)
	w.done.Wait()
	s, err := w.p.read()
	if err != nil {
		return measured{}
	}
	m := measured{CPU: s.CPU - w.start.CPU, PeakRSS: max(w.sampled, s.RSS)}
	if w.exact {
		m.PeakRSS, m.PeakExact = max(m.PeakRSS, s.HWM), true
	}
	return m
}

// cpuClock measures the tool's own CPU time and the whole machine's busy
// time over a window. On a shared machine, what the clients and other
// processes took was not available to the server; the report shows both.
type cpuClock struct{ tool, machine time.Duration }

func (c *cpuClock) start() {
	s, _ := proc{os.Getpid()}.read()
	c.tool = s.CPU
	c.machine, _ = machineBusy()
}

// end returns the tool's and the machine's CPU seconds since start.
func (c *cpuClock) end() (tool, machine float64) {
	if s, err := (proc{os.Getpid()}).read(); err == nil {
		tool = (s.CPU - c.tool).Seconds()
	}
	if m, err := machineBusy(); err == nil {
		machine = (m - c.machine).Seconds()
	}
	return tool, machine
}

// machineBusy returns the CPU time all cores spent not idle since boot,
// from the first line of /proc/stat.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseProcStat(b)
}

func parseProcStat(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	// cpu user nice system idle iowait irq softirq steal [guest guest_nice]
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat")
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat: %v", err)
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}
