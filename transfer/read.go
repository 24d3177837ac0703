package transfer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Row is one user read from a file: its record, or why it could not be
// read (the rows after it are still read).
type Row struct {
	N   int    // where it is: the line of JSON lines and CSV, the user's place in a Firebase export (from 1)
	Raw string // the row as read, for the rejects file
	Rec *Record
	Err error
}

// Reader reads rows. Next returns io.EOF after the last row; any other
// error means the file itself cannot be read further (not one bad row,
// which is a Row with Err) and stops the import.
type Reader interface {
	Next() (Row, error)
}

// Format names a kind of input file (the import command's -format).
type Format string

const (
	FormatJSONL    Format = "jsonl"    // usergraph's format, a JSON object per line
	FormatCSV      Format = "csv"      // usergraph's format, CSV with a header row
	FormatFirebase Format = "firebase" // `firebase auth:export users.json --format=json`
	FormatSupabase Format = "supabase" // auth.users rows, as JSON lines (row_to_json) or CSV (COPY … CSV HEADER)
)

// maxLine bounds one line of JSON lines: a user with 64 KiB of metadata
// and of appMetadata fits many times over, and a file without newlines
// cannot make the import hold it whole.
const maxLine = 1 << 20

// lines reads a file line by line, each at most maxLine bytes.
type lines struct {
	r *bufio.Reader
	n int
}

func newLines(r io.Reader) *lines { return &lines{r: bufio.NewReaderSize(r, 64<<10)} }

// next returns the next line without its end, and whether it was longer
// than maxLine (then its start only; the rest is skipped).
func (l *lines) next() (line []byte, tooLong bool, err error) {
	l.n++
	var buf []byte
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(buf)+len(chunk) <= maxLine {
			buf = append(buf, chunk...)
		} else {
			tooLong = true
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return bytes.TrimRight(buf, "\r\n"), tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return bytes.TrimRight(buf, "\r\n"), tooLong, nil
	}
}

// jsonLines reads usergraph's format as JSON lines.
type jsonLines struct{ l *lines }

// NewJSONLines reads usergraph's format, one JSON object per line; blank
// lines are skipped.
func NewJSONLines(r io.Reader) Reader { return &jsonLines{l: newLines(r)} }

func (j *jsonLines) Next() (Row, error) {
	for {
		line, tooLong, err := j.l.next()
		if err != nil {
			return Row{}, err
		}
		row := Row{N: j.l.n, Raw: string(line)}
		switch {
		case tooLong:
			row.Raw, row.Err = row.Raw[:min(len(row.Raw), 200)]+"…", fmt.Errorf("line longer than %d bytes", maxLine)
			return row, nil
		case len(bytes.TrimSpace(line)) == 0:
			continue
		}
		row.Rec = &Record{}
		row.Err = decodeStrict(line, row.Rec)
		return row, nil
	}
}

// decodeStrict decodes one JSON object into v, refusing unknown fields (a
// misspelt field would otherwise be dropped without a word) and anything
// after the object.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a user object: %v", err)
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}
