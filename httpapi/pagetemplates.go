package httpapi

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The hosted pages' templates are html/template files embedded in the
// binary (httpapi/pages/), and any of them can be replaced by a file of
// the same name in the override directory (USERGRAPH_TEMPLATES_DIR/pages/),
// as the mails' are (package mail): one page, or only the layout and its
// style, without copying the rest. layout.html.tmpl defines what the pages
// share ("header", "footer", "problem"); each page's file is its whole
// document, in which it defines its "title". docs/RECOVERY.md lists what a
// template sees (pageView, recoverypages.go).
//
//go:embed pages/*.html.tmpl
var builtinPages embed.FS

// pagesOverrideDir is the subdirectory of USERGRAPH_TEMPLATES_DIR holding
// the hosted pages' overrides (the mails' are in mail/).
const pagesOverrideDir = "pages"

// The template files.
const (
	pageLayoutFile = "layout.html.tmpl"
	resetPageFile  = "reset-password.html.tmpl"
	verifyPageFile = "verify-email.html.tmpl"
)

// loadPageTemplate parses the page file with the layout, each from the
// override directory if it is there, else built in. It fails, naming the
// file, on a file that does not parse, on a file in the override
// directory that replaces nothing (a misspelt name would otherwise be
// ignored without a word), and on a template that fails to render one of
// the samples (a misspelt field, say): a broken override stops the server
// at start, not a user at the page.
func loadPageTemplate(src *pageSources, file string, samples []pageView) (*template.Template, error) {
	var tmpl *template.Template
	for _, f := range []string{file, pageLayoutFile} {
		body, name, err := src.read(f)
		if err != nil {
			return nil, err
		}
		if tmpl == nil {
			tmpl = template.New(name)
		} else {
			tmpl = tmpl.New(name)
		}
		if _, err := tmpl.Parse(body); err != nil {
			return nil, fmt.Errorf("page templates: %w", err)
		}
	}
	tmpl = tmpl.Lookup(src.name(file))
	for _, v := range samples {
		if err := tmpl.Execute(io.Discard, v); err != nil {
			return nil, fmt.Errorf("page templates: %w", err)
		}
	}
	return tmpl, nil
}

// pageSources reads a template file from the override directory if it
// has it, else from the embedded set.
type pageSources struct {
	dir       string          // the override directory; "" if none
	overrides map[string]bool // file names present there
}

// newPageSources lists the overrides in dir's pages/ subdirectory (dir
// "" or without one: none), refusing a file that replaces nothing.
func newPageSources(dir string) (*pageSources, error) {
	s := &pageSources{overrides: map[string]bool{}}
	if dir == "" {
		return s, nil
	}
	s.dir = filepath.Join(dir, pagesOverrideDir)
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &pageSources{overrides: map[string]bool{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("page templates: %w", err)
	}
	known := []string{pageLayoutFile, resetPageFile, verifyPageFile}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !slices.Contains(known, e.Name()) {
			return nil, fmt.Errorf("page templates: %s replaces no built-in template (the names are %s)",
				filepath.Join(s.dir, e.Name()), strings.Join(known, ", "))
		}
		s.overrides[e.Name()] = true
	}
	return s, nil
}

// name is what errors call file: the override's path, or the built-in
// name.
func (s *pageSources) name(file string) string {
	if s.overrides[file] {
		return filepath.Join(s.dir, file)
	}
	return "built-in " + file
}

// read returns the file's text and its name (see name).
func (s *pageSources) read(file string) (body, name string, err error) {
	name = s.name(file)
	if s.overrides[file] {
		b, err := os.ReadFile(name)
		if err != nil {
			return "", "", fmt.Errorf("page templates: %w", err)
		}
		return string(b), name, nil
	}
	b, err := builtinPages.ReadFile("pages/" + file)
	if err != nil {
		return "", "", fmt.Errorf("page templates: %s: %w", name, err)
	}
	return string(b), name, nil
}
