package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"unicode"

	"civicdesk/sync/client"
)

// staffFlags adds the flags every back-office command shares: the staff
// token (default from the environment) and --json, which may also come
// after the command.
func staffFlags(fs *flag.FlagSet, g *globals) *string {
	fs.BoolVar(&g.json, "json", g.json, "machine-readable output")
	return fs.String("staff-token", os.Getenv(envStaffToken), "back-office token")
}

// staffClient is a back-office client of the central API (--api, else the
// URL this device enrolled with) with the staff token. Call done when
// finished.
func (g *globals) staffClient(token string) (bo *client.Backoffice, done func(), err error) {
	if token == "" {
		return nil, nil, withCode(exitUsage, "a staff token is needed: pass --staff-token TOKEN or set %s (the operator mints one with 'central --mint-staff NAME')", envStaffToken)
	}
	u, err := g.devicesAPI()
	if err != nil {
		return nil, nil, err
	}
	c, err := client.New(u, client.Options{UserAgent: "hallctl"})
	if err != nil {
		return nil, nil, withCode(exitUsage, "%v", err)
	}
	return c.Backoffice(token), c.CloseIdleConnections, nil
}

// staffErr explains a failed back-office call: a refused token, a refusal
// of the server (its message says what to fix) or the offline exit code.
func staffErr(err error, what string) error {
	var ae *client.APIError
	switch {
	case errors.Is(err, client.ErrUnauthorized):
		return fmt.Errorf("the central API refused the staff token: check it, or ask the operator for a new one: %w", err)
	case errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Message != "":
		return fmt.Errorf("%s: %s", what, ae.Message)
	}
	return netErr(err, what)
}

// parseWithID parses a command's flags and its one id, which may come
// before or after the flags. tooMany is the usage error for more than one (e.g.
// "reply takes one interaction id"); missing says where to find one.
func parseWithID(fs *flag.FlagSet, args []string, tooMany, missing string) (string, error) {
	id, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, rest = args[0], args[1:]
	}
	if err := parseFlags(fs, rest); err != nil {
		return "", err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", withCode(exitUsage, "%s (run 'hallctl help')", tooMany)
	}
	if id == "" {
		return "", withCode(exitUsage, "%s", missing)
	}
	return id, nil
}

// oneLine makes text fit a table cell: control characters become spaces,
// runs of spaces shrink to one, and at most n characters remain (with "…"
// when cut).
func oneLine(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
