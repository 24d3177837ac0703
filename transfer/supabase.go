package transfer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/usergraph/usergraph/store"
)

// supabaseReader reads Supabase's auth.users rows, from JSON lines
// (`select row_to_json(u) from auth.users u`) or CSV (`\copy auth.users to
// … csv header`). Columns usergraph has no use for are ignored.
type supabaseReader struct {
	lines *lines   // JSON lines, or
	csv   *csvRows // CSV
	now   time.Time
}

// NewSupabase reads auth.users rows; csv chooses CSV over JSON lines.
func NewSupabase(r io.Reader, csv bool) (Reader, error) {
	s := &supabaseReader{now: time.Now()}
	if !csv {
		s.lines = newLines(r)
		return s, nil
	}
	rows, err := newCSVRows(r)
	s.csv = rows
	return s, err
}

func (s *supabaseReader) Next() (Row, error) {
	cells, row, err := s.nextCells()
	if err != nil || row.Err != nil {
		return row, err
	}
	row.Rec, row.Err = supabaseRecord(cells, s.now)
	return row, nil
}

// nextCells reads the next row as text cells by column, JSON null and
// CSV's empty cell both "".
func (s *supabaseReader) nextCells() (map[string]string, Row, error) {
	if s.csv != nil {
		return s.csv.next()
	}
	for {
		line, tooLong, err := s.lines.next()
		if err != nil {
			return nil, Row{}, err
		}
		row := Row{N: s.lines.n, Raw: string(line)}
		if tooLong {
			row.Raw, row.Err = row.Raw[:200]+"…", fmt.Errorf("line longer than %d bytes", maxLine)
			return nil, row, nil
		}
		if strings.TrimSpace(string(line)) == "" {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(line, &fields); err != nil {
			row.Err = fmt.Errorf("not an auth.users row: %v", err)
			return nil, row, nil
		}
		cells := make(map[string]string, len(fields))
		for k, v := range fields {
			var str string
			switch {
			case string(v) == "null":
			case json.Unmarshal(v, &str) == nil:
				cells[k] = str
			default:
				cells[k] = string(v) // objects, numbers, booleans as their JSON text
			}
		}
		return cells, row, nil
	}
}

// supabaseRecord maps an auth.users row to usergraph's: the bcrypt
// encrypted_password is kept, raw_user_meta_data is the user's metadata
// (its full_name or name, and avatar_url, also fill the profile),
// raw_app_meta_data the appMetadata; a confirmed email is verified; a ban
// still running is SUSPENDED; is_anonymous is a guest.
func supabaseRecord(c map[string]string, now time.Time) (*Record, error) {
	r := &Record{ID: c["id"], Email: c["email"], PasswordHash: c["encrypted_password"],
		EmailVerified: c["email_confirmed_at"] != "", IsGuest: isTrue(c["is_anonymous"])}
	if p := c["phone"]; p != "" && !strings.HasPrefix(p, "+") {
		r.Phone = "+" + p // Supabase keeps E.164 without its plus
	} else {
		r.Phone = p
	}
	for _, t := range []struct {
		col string
		dst *time.Time
	}{{"created_at", &r.CreatedAt}, {"last_sign_in_at", &r.LastLoginAt}, {"deleted_at", &r.DeletedAt}} {
		var err error
		if *t.dst, err = parsePGTime(c[t.col]); err != nil {
			return r, fmt.Errorf("%s: %v", t.col, err)
		}
	}
	banned, err := parsePGTime(c["banned_until"])
	if err != nil {
		return r, fmt.Errorf("banned_until: %v", err)
	}
	if banned.After(now) {
		r.Status = string(store.StatusSuspended)
	}
	if v := c["raw_app_meta_data"]; v != "" {
		r.AppMetadata = json.RawMessage(v)
	}
	if v := c["raw_user_meta_data"]; v != "" {
		r.Metadata = json.RawMessage(v)
		var meta struct {
			FullName  string `json:"full_name"`
			Name      string `json:"name"`
			AvatarURL string `json:"avatar_url"`
		}
		if json.Unmarshal(r.Metadata, &meta) == nil {
			r.FullName, r.AvatarURL = either(meta.FullName, meta.Name), meta.AvatarURL
		}
	}
	return r, nil
}

func either(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// isTrue reads a Postgres boolean as JSON (true) or CSV (t) writes it.
func isTrue(s string) bool { return s == "true" || s == "t" }

// pgTimeLayouts are the ways timestamptz arrives: row_to_json's ISO 8601,
// and the text form CSV carries ("2024-01-02 03:04:05.123456+00").
var pgTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07"}

func parsePGTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range pgTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want ISO 8601 or Postgres' text form", s)
}
