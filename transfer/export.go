package transfer

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/usergraph/usergraph/store"
)

// ExportOptions choose what an export writes.
type ExportOptions struct {
	CSV        bool // CSV with a header row, else JSON lines
	WithHashes bool // include password hashes (off: the file holds no secret but personal data)
}

// exportPage is how many users one store read returns.
const exportPage = 1000

// Export writes every user of s (soft-deleted ones and guests included),
// with their identities, to w in usergraph's format, oldest first, and
// returns how many it wrote. The file imports back as it is
// (docs/IMPORT.md).
func Export(ctx context.Context, s store.TransferStore, w io.Writer, opts ExportOptions) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	write := jsonLineWriter(bw)
	if opts.CSV {
		cw := csv.NewWriter(bw)
		if err := cw.Write(columns); err != nil {
			return 0, err
		}
		write = csvWriter(cw)
	}
	n := 0
	q := store.UserQuery{Limit: exportPage}
	for {
		page, err := s.ListUsers(ctx, q)
		if err != nil {
			return n, fmt.Errorf("reading users: %w", err)
		}
		ids, err := identitiesOf(ctx, s, page.Users)
		if err != nil {
			return n, err
		}
		for _, u := range page.Users {
			r := recordOf(u, opts.WithHashes)
			r.Identities = ids[u.ID]
			if err := write(r); err != nil {
				return n, err
			}
			n++
		}
		if !page.HasNext {
			break
		}
		q.After = store.CursorOf(page.Users[len(page.Users)-1], nil)
	}
	return n, bw.Flush()
}

// identitiesOf reads the identities of a page of users, by user id.
func identitiesOf(ctx context.Context, s store.TransferStore, users []*store.User) (map[string][]Identity, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	list, err := s.ListIdentities(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading identities: %w", err)
	}
	out := map[string][]Identity{}
	for _, id := range list {
		out[id.UserID] = append(out[id.UserID], Identity{Provider: id.Provider, Subject: id.Subject, Email: id.Email, LinkedAt: id.LinkedAt})
	}
	return out, nil
}

func jsonLineWriter(w io.Writer) func(*Record) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(r *Record) error { return enc.Encode(r) }
}

func csvWriter(w *csv.Writer) func(*Record) error {
	return func(r *Record) error {
		if err := w.Write(csvCells(r)); err != nil {
			return err
		}
		w.Flush() // into the bufio.Writer; csv's own buffer would otherwise grow to the file
		return w.Error()
	}
}

// csvCells are r's cells in columns' order: lists, objects and identities
// as JSON, times as RFC 3339.
func csvCells(r *Record) []string {
	jsonText := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	timeText := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	cells := []string{r.ID, r.Username, r.Email, strconv.FormatBool(r.EmailVerified), r.Phone,
		r.FirstName, r.LastName, r.FullName, r.Website, r.AvatarURL, r.Address, r.AdditionalInfo,
		"", string(r.Metadata), string(r.AppMetadata), jsonText(r.Roles), r.Status,
		strconv.FormatBool(r.IsGuest), timeText(r.CreatedAt), timeText(r.LastLoginAt), timeText(r.DeletedAt),
		r.PasswordHash, ""}
	if len(r.Tags) > 0 {
		cells[12] = jsonText(r.Tags)
	}
	if len(r.Identities) > 0 {
		cells[22] = jsonText(r.Identities)
	}
	return cells
}

// FormatOf guesses a file's format from its name: .csv is CSV, anything
// else JSON lines. Firebase and Supabase exports are named with -format.
func FormatOf(name string) Format {
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		return FormatCSV
	}
	return FormatJSONL
}
