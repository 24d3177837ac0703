package transfer

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// csvRows reads CSV with a header row, giving each row as a map from the
// header's names to the cells.
type csvRows struct {
	r      *csv.Reader
	header []string
}

func newCSVRows(r io.Reader) (*csvRows, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheets write a byte-order mark
	return &csvRows{r: cr, header: header}, nil
}

// next returns the next row's cells by name. A row that does not parse is
// a Row error; the reader goes on with the next one.
func (c *csvRows) next() (cells map[string]string, row Row, err error) {
	rec, err := c.r.Read()
	var parse *csv.ParseError
	switch {
	case errors.As(err, &parse):
		return nil, Row{N: parse.StartLine, Raw: strings.Join(rec, ","), Err: err}, nil
	case err != nil:
		return nil, Row{}, err
	}
	line, _ := c.r.FieldPos(0)
	row = Row{N: line, Raw: csvLine(rec)}
	cells = make(map[string]string, len(rec))
	for i, name := range c.header {
		cells[name] = rec[i]
	}
	return cells, row, nil
}

// csvLine writes cells back as one CSV line.
func csvLine(cells []string) string {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	w.Write(cells)
	w.Flush()
	return strings.TrimRight(sb.String(), "\n")
}

// csvRecords reads usergraph's format as CSV.
type csvRecords struct{ rows *csvRows }

// NewCSV reads usergraph's format as CSV: a header row of column names
// (Record's JSON names, any subset, any order), then a user per row. An
// unknown column refuses the file.
func NewCSV(r io.Reader) (Reader, error) {
	rows, err := newCSVRows(r)
	if err != nil {
		return nil, err
	}
	for _, name := range rows.header {
		if !slices.Contains(columns, name) {
			return nil, fmt.Errorf("unknown CSV column %q (docs/IMPORT.md lists them)", name)
		}
	}
	return &csvRecords{rows: rows}, nil
}

func (c *csvRecords) Next() (Row, error) {
	cells, row, err := c.rows.next()
	if err != nil || row.Err != nil {
		return row, err
	}
	row.Rec = &Record{}
	for _, name := range c.rows.header {
		if err := setColumn(row.Rec, name, cells[name]); err != nil {
			row.Err = fmt.Errorf("column %s: %v", name, err)
			break
		}
	}
	return row, nil
}

// setColumn sets one field of r from its CSV cell. Empty cells leave the
// field unset, except roles: an empty roles cell is no roles (the column
// left out gives the default role).
func setColumn(r *Record, name, v string) error {
	if v == "" && name != "roles" {
		return nil
	}
	text := map[string]*string{"id": &r.ID, "username": &r.Username, "email": &r.Email, "phone": &r.Phone,
		"firstName": &r.FirstName, "lastName": &r.LastName, "fullName": &r.FullName, "website": &r.Website,
		"avatarUrl": &r.AvatarURL, "address": &r.Address, "additionalInfo": &r.AdditionalInfo,
		"status": &r.Status, "passwordHash": &r.PasswordHash}
	if p, ok := text[name]; ok {
		*p = v
		return nil
	}
	var err error
	switch name {
	case "emailVerified":
		r.EmailVerified, err = strconv.ParseBool(v)
	case "isGuest":
		r.IsGuest, err = strconv.ParseBool(v)
	case "tags":
		r.Tags, err = parseList(v)
	case "roles":
		r.Roles, err = parseList(v)
	case "metadata":
		r.Metadata, err = parseObject(v)
	case "appMetadata":
		r.AppMetadata, err = parseObject(v)
	case "createdAt":
		r.CreatedAt, err = time.Parse(time.RFC3339Nano, v)
	case "lastLoginAt":
		r.LastLoginAt, err = time.Parse(time.RFC3339Nano, v)
	case "deletedAt":
		r.DeletedAt, err = time.Parse(time.RFC3339Nano, v)
	case "identities":
		err = json.Unmarshal([]byte(v), &r.Identities)
	}
	return err
}

// parseList reads a list cell: a JSON array of strings, or names separated
// by commas.
func parseList(v string) ([]string, error) {
	list := []string{}
	if strings.HasPrefix(strings.TrimSpace(v), "[") {
		err := json.Unmarshal([]byte(v), &list)
		return list, err
	}
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list, nil
}

// parseObject reads a JSON object cell; the account rules check it further.
func parseObject(v string) (json.RawMessage, error) {
	if !json.Valid([]byte(v)) {
		return nil, errors.New("not JSON")
	}
	return json.RawMessage(v), nil
}
