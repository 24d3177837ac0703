package store

import (
	"context"
	"time"
)

// Application is a client application's credentials (ConnectyCube's
// application session, Kinvey's master secret): a public ClientID and a
// secret kept only as its hash. A session opened with them (Kind APP) has
// no user and acts with the application's Roles; package apps has the
// rules.
type Application struct {
	ID          string
	Name        string
	Description string
	ClientID    string // unique
	SecretHash  string // hex SHA-256 of the client secret; the secret itself is never stored
	// SecretSince is when the current secret was made: sessions opened
	// before it no longer count (a rotation ends them).
	SecretSince time.Time
	Roles       []string // role names; never nil when read back
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastUsedAt  time.Time // the latest session opened with the credentials; zero: never
	Version     int64
}

// Normalize puts a in its stored form (times in UTC, milliseconds; roles
// never nil; a new application gets version 1).
func (a *Application) Normalize() {
	if a.Version == 0 {
		a.Version = 1
	}
	for _, t := range []*time.Time{&a.SecretSince, &a.CreatedAt, &a.UpdatedAt, &a.LastUsedAt} {
		*t = Trunc(*t)
	}
	if a.Roles == nil {
		a.Roles = []string{}
	}
}

// ApplicationStore keeps applications.
type ApplicationStore interface {
	// CreateApplication inserts a (caller sets ID, ClientID and times).
	// Returns ErrAlreadyExists naming FieldClientID if the client id is
	// taken, FieldID if the id is.
	CreateApplication(ctx context.Context, a *Application) error
	// GetApplication returns ErrNotFound if no application has the id.
	GetApplication(ctx context.Context, id string) (*Application, error)
	// GetApplicationByClientID returns ErrNotFound if no application has
	// the client id (compared byte for byte).
	GetApplicationByClientID(ctx context.Context, clientID string) (*Application, error)
	// ListApplications returns every application, oldest first
	// (CreatedAt, then id).
	ListApplications(ctx context.Context) ([]*Application, error)
	// UpdateApplication is UpdateUser for applications (ClientID stays as
	// stored; LastUsedAt only moves forward). Returns ErrNotFound.
	UpdateApplication(ctx context.Context, id string, update func(*Application) error) (*Application, error)
	// DeleteApplication removes an application. Its sessions stay in the
	// store until they are purged; the session check refuses them, since
	// it requires their application. Returns ErrNotFound.
	DeleteApplication(ctx context.Context, id string) error
}
