package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/usergraph/usergraph/account"
)

// runInit creates the first administrator straight in the database, for
// scripted deployments:
//
//	USERGRAPH_ADMIN_PASSWORD=… usergraph init -username admin -email a@b.c
//
// The password comes from USERGRAPH_ADMIN_PASSWORD or the first line of
// standard input; the server's flags and variables choose the database.
func runInit(ctx context.Context, args []string) error {
	var username, email string
	cfg, err := LoadConfig(args, os.Getenv, os.Stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "init: the administrator's username")
		fs.StringVar(&email, "email", "", "init: the administrator's email")
	})
	if err != nil {
		return err
	}
	pw, err := adminPassword()
	if err != nil {
		return err
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Listen
	}
	m := NewMain(cfg, newLogger(cfg, os.Stderr))
	if _, _, err := m.open(ctx); err != nil {
		return err
	}
	defer m.Close()
	u, err := m.accounts.InitializeTrusted(ctx, account.Admin{Username: username, Email: email, Password: pw})
	if err != nil {
		return err
	}
	fmt.Printf("created administrator %s (id %s)\n", strings.TrimSpace(username+" "+email), u.ID)
	return nil
}

func adminPassword() (string, error) {
	if pw := os.Getenv("USERGRAPH_ADMIN_PASSWORD"); pw != "" {
		return pw, nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("give the password in USERGRAPH_ADMIN_PASSWORD or on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
