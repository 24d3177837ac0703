package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
)

// Templates are Go templates embedded in the binary. Any file can be
// replaced by a file of the same name in the override directory
// (USERGRAPH_TEMPLATES_DIR/mail/): one mail's HTML part, say, without
// copying the rest.
//
// Per mail: <name>.subject.tmpl and <name>.text.tmpl (text/template) and
// <name>.html.tmpl (html/template, which escapes what it inserts). Shared:
// layout.text.tmpl and layout.html.tmpl define the pieces the mails include
// ({{template "greeting" .}}, {{template "footer" .}}, {{template "header"
// .}}, {{template "button" .Link}}). Every template gets the function
// datetime (a time in words, UTC).
//
//go:embed templates/*.tmpl
var builtin embed.FS

// MailTemplatesDir is the subdirectory of USERGRAPH_TEMPLATES_DIR holding
// mail template overrides (the hosted pages have their own).
const MailTemplatesDir = "mail"

// Templates renders the mails.
type Templates struct {
	mails map[string]*mailTemplates
}

type mailTemplates struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

// Rendered is a mail's content.
type Rendered struct {
	Subject, Text, HTML string
}

var funcs = map[string]any{"datetime": dateTime}

// LoadTemplates parses the built-in templates, each replaced by the file
// of the same name under dir/mail when there is one (dir "" or without a
// mail subdirectory: built-in only). It fails, naming the file, on a file
// that does not parse, on one that fails to render a sample mail (a
// misspelt variable, say), and on a file in dir/mail that replaces
// nothing (a misspelt name would otherwise be ignored without a word).
func LoadTemplates(dir string) (*Templates, error) {
	src, err := newSources(dir)
	if err != nil {
		return nil, err
	}
	t := &Templates{mails: map[string]*mailTemplates{}}
	for _, name := range Names {
		m, err := src.parse(name)
		if err != nil {
			return nil, err
		}
		t.mails[name] = m
	}
	for _, name := range Names {
		if _, err := t.Render(name, sampleData()); err != nil {
			return nil, fmt.Errorf("mail templates: %w", err)
		}
	}
	return t, nil
}

// sources reads a template file from the override directory if it has
// it, else from the embedded set.
type sources struct {
	dir       string          // override directory; "" if none
	overrides map[string]bool // file names present there
}

func newSources(dir string) (*sources, error) {
	s := &sources{overrides: map[string]bool{}}
	if dir == "" {
		return s, nil
	}
	s.dir = filepath.Join(dir, MailTemplatesDir)
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &sources{overrides: map[string]bool{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	known, _ := fs.Glob(builtin, "templates/*.tmpl")
	for i := range known {
		known[i] = filepath.Base(known[i])
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !slices.Contains(known, e.Name()) {
			return nil, fmt.Errorf("mail templates: %s replaces no built-in template (the names are %s)",
				filepath.Join(s.dir, e.Name()), strings.Join(known, ", "))
		}
		s.overrides[e.Name()] = true
	}
	return s, nil
}

// read returns the file's text and the name errors should give it: the
// override's path, or the built-in name.
func (s *sources) read(file string) (body, name string, err error) {
	if s.overrides[file] {
		path := filepath.Join(s.dir, file)
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", fmt.Errorf("mail templates: %w", err)
		}
		return string(b), path, nil
	}
	b, err := builtin.ReadFile("templates/" + file)
	if err != nil {
		return "", "", fmt.Errorf("mail templates: built-in %s: %w", file, err)
	}
	return string(b), "built-in " + file, nil
}

func (s *sources) parse(mail string) (*mailTemplates, error) {
	var m mailTemplates
	var err error
	if m.subject, err = s.parseText(mail+".subject.tmpl", ""); err != nil {
		return nil, err
	}
	if m.text, err = s.parseText(mail+".text.tmpl", "layout.text.tmpl"); err != nil {
		return nil, err
	}
	if m.html, err = s.parseHTML(mail+".html.tmpl", "layout.html.tmpl"); err != nil {
		return nil, err
	}
	return &m, nil
}

// parseText parses file, with the definitions of layout if not "".
func (s *sources) parseText(file, layout string) (*texttemplate.Template, error) {
	body, name, err := s.read(file)
	if err != nil {
		return nil, err
	}
	t, err := texttemplate.New(name).Funcs(funcs).Parse(body)
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	if layout == "" {
		return t, nil
	}
	body, name, err = s.read(layout)
	if err != nil {
		return nil, err
	}
	if _, err := t.New(name).Parse(body); err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	return t, nil
}

// parseHTML is parseText for html/template.
func (s *sources) parseHTML(file, layout string) (*htmltemplate.Template, error) {
	body, name, err := s.read(file)
	if err != nil {
		return nil, err
	}
	t, err := htmltemplate.New(name).Funcs(funcs).Parse(body)
	if err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	body, name, err = s.read(layout)
	if err != nil {
		return nil, err
	}
	if _, err := t.New(name).Parse(body); err != nil {
		return nil, fmt.Errorf("mail templates: %w", err)
	}
	return t, nil
}

// view is what the templates see: the data and the rendered subject (the
// HTML part's title).
type view struct {
	Data
	Subject string
}

// Render produces the subject (one line), text and HTML parts of mail
// name. Returns an error for an unknown name or a template that fails.
func (t *Templates) Render(name string, d Data) (*Rendered, error) {
	m, ok := t.mails[name]
	if !ok {
		return nil, fmt.Errorf("no mail template %q", name)
	}
	var subject, text, html bytes.Buffer
	if err := m.subject.Execute(&subject, view{Data: d}); err != nil {
		return nil, err
	}
	v := view{Data: d, Subject: oneLine(subject.String())}
	if err := m.text.Execute(&text, v); err != nil {
		return nil, err
	}
	if err := m.html.Execute(&html, v); err != nil {
		return nil, err
	}
	return &Rendered{Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}

// Has reports whether name is a mail the templates render.
func (t *Templates) Has(name string) bool {
	_, ok := t.mails[name]
	return ok
}

// oneLine folds a rendered subject into one header-safe line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sampleData has every variable set, so rendering it at load finds a
// template that names a variable that does not exist.
func sampleData() Data {
	at := time.Date(2025, 1, 2, 15, 4, 0, 0, time.UTC)
	return Data{AppName: "usergraph", Name: "Ann", Username: "ann", Email: "ann@example.com",
		NewEmail: "ann@example.org", Link: "https://example.com/reset-password?token=sample",
		ExpiresAt: at.Add(20 * time.Minute), TTL: 20 * time.Minute, ChangedAt: at, RequestedAt: at, IP: "192.0.2.1"}
}
