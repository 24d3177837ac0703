package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and a parenthesis, as /proc allows.
	stat := []byte("1234 (my (odd) server) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 12 0 100 0 0\n")
	got, err := parseStatCPU(stat)
	if want := 3250 * time.Millisecond; err != nil || got != want {
		t.Errorf("parseStatCPU = %v, %v; want %v", got, err, want)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Error("parseStatCPU(garbage): no error")
	}
}

func TestParseStatus(t *testing.T) {
	status := []byte("Name:\tusergraph\nVmHWM:\t  204800 kB\nVmRSS:\t   20480 kB\n")
	if got := parseStatusKB(status, "VmHWM"); got != 200<<20 {
		t.Errorf("VmHWM = %d", got)
	}
	if got := parseStatusKB(status, "VmRSS"); got != 20<<20 {
		t.Errorf("VmRSS = %d", got)
	}
	if got := parseStatusKB(status, "VmSwap"); got != 0 {
		t.Errorf("VmSwap = %d, want 0 when missing", got)
	}
}

func TestProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	s, err := proc{os.Getpid()}.read()
	if err != nil || s.RSS <= 0 || s.HWM < s.RSS {
		t.Errorf("read self = %+v, %v", s, err)
	}
}
