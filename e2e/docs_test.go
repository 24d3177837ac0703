package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documents a cloner reads first name paths of this repository; these
// tests keep them true as files move.

// README's layout table names every directory at the root, and only paths
// that exist.
func TestREADMELayout(t *testing.T) {
	t.Parallel()
	readme := readRepoFile(t, "README.md")
	start := strings.Index(readme, "## Layout\n")
	if start < 0 {
		t.Fatal("README has no Layout section")
	}
	section := readme[start:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	named := map[string]bool{}
	row := regexp.MustCompile("(?m)^\\| ([^|]+)\\|")
	path := regexp.MustCompile("`([^`]+)`")
	for _, r := range row.FindAllStringSubmatch(section, -1) {
		for _, p := range path.FindAllStringSubmatch(r[1], -1) {
			named[strings.TrimSuffix(p[1], "/")] = true
		}
	}
	for p := range named {
		if _, err := os.Stat(filepath.Join("..", p)); err != nil {
			t.Errorf("README's layout names %s, which does not exist", p)
		}
	}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != ".git" && !named[e.Name()] {
			t.Errorf("README's layout lacks the directory %s/", e.Name())
		}
	}
}

// docs/ARCHITECTURE.md's paths exist, and a function it names beside a Go
// file ("`account/admin.go` (`guardLastAdmin`)") is declared there.
func TestArchitecturePaths(t *testing.T) {
	t.Parallel()
	doc := readRepoFile(t, "docs/ARCHITECTURE.md")
	path := regexp.MustCompile("`((?:[a-z0-9_]+/)+(?:[a-z0-9_.]+\\.(?:go|md|graphqls))?)`(?: \\(`([A-Za-z]+)`\\))?")
	found := 0
	for _, m := range path.FindAllStringSubmatch(doc, -1) {
		found++
		p, fn := m[1], m[2]
		if _, err := os.Stat(filepath.Join("..", p)); err != nil {
			t.Errorf("docs/ARCHITECTURE.md names %s, which does not exist", p)
			continue
		}
		if fn == "" || !strings.HasSuffix(p, ".go") {
			continue
		}
		decl := regexp.MustCompile(`(?m)^func (\([^)]*\) )?` + fn + `\b`)
		if !decl.MatchString(readRepoFile(t, p)) {
			t.Errorf("docs/ARCHITECTURE.md says %s declares %s; it does not", p, fn)
		}
	}
	if found < 40 {
		t.Errorf("found %d paths in docs/ARCHITECTURE.md; the pattern no longer matches how it names them", found)
	}
}

// readRepoFile reads a file at the repository's root.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
