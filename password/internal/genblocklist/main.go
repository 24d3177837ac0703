// Command genblocklist writes the password blocklist that package password
// embeds: the 30,000 most common passwords of the zxcvbn frequency lists
// (github.com/trustelem/zxcvbn, a Go port of Dropbox's zxcvbn built from
// leaked password corpora), lower-cased, one per line, gzip-compressed.
// Generating it keeps zxcvbn's word lists (several MB, initialized at
// start-up) out of the server binary. Run by `go generate ./...`.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"strings"

	"github.com/trustelem/zxcvbn/frequency"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genblocklist:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	seen := map[string]bool{}
	var list bytes.Buffer
	for _, pw := range frequency.FrequencyLists["passwords"] {
		pw = strings.ToLower(pw)
		if !seen[pw] && !strings.Contains(pw, "\n") {
			seen[pw] = true
			list.WriteString(pw + "\n")
		}
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(list.Bytes())
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, gz.Bytes(), 0o644)
}
