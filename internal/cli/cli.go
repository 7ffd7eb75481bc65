// Package cli is the sesame command line: serve, migrate, dev and the bootstrap commands
// (org, user, client). Exit codes: 0 ok, 1 failure, 2 bad input (usage, configuration,
// invalid or conflicting values); errors are one line each, never quoting a secret.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/org"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitBadInput = 2
)

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string   { return e.msg }
func (e usageError) Kind() kind.Kind { return kind.Invalid }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// configError wraps configuration problems (exit 2).
type configError struct{ err error }

func (e configError) Error() string   { return e.err.Error() }
func (e configError) Kind() kind.Kind { return kind.Invalid }

// env is one invocation's world: no globals, so tests run Main in-process.
type env struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name, summary string
	run           func(e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the OpenID Provider", (*env).serve},
		{"migrate", "apply or inspect database migrations: up | down | status", (*env).migrate},
		{"dev", "run a development server with local PostgreSQL, Redis and demo data", (*env).dev},
		{"keys", "manage signing keys: rotate | list", (*env).keys},
		{"health", "probe a running server's /readyz (for container health checks)", (*env).health},
		{"org", "manage organizations: create | list", (*env).org},
		{"user", "manage users: create | list | disable | enable | unlock", (*env).user},
		{"client", "manage OAuth clients: create | list", (*env).client},
	}
}

// Main runs the sesame command with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		e.usage(stdout)
		if len(args) == 0 {
			return ExitBadInput
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return e.exit(c.run(e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "sesame: unknown command %q (run sesame help)\n", args[0])
	return ExitBadInput
}

func (e *env) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sesame <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nrun sesame <command> -h for its flags; settings are also read from SESAME_* variables")
}

func (e *env) exit(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	for _, line := range errorLines(err) {
		fmt.Fprintf(e.stderr, "sesame: %s\n", line)
	}
	return exitCode(kind.Of(err))
}

// errorLines is what the CLI prints for err: one line per failure. A configuration error lists
// each of its problems; any other error is one failure, and a text of several lines (a driver's
// errors.Join of its attempts, a server's log tail) is folded into one, a part contained in an
// earlier one left out.
func errorLines(err error) []string {
	var ce configError
	if errors.As(err, &ce) {
		return strings.Split(ce.Error(), "\n")
	}
	var parts []string
	for _, p := range strings.Split(err.Error(), "\n") {
		p = strings.TrimSpace(p)
		if p == "" || slices.ContainsFunc(parts, func(q string) bool { return strings.Contains(q, p) }) {
			continue
		}
		parts = append(parts, p)
	}
	return []string{strings.Join(parts, "; ")}
}

// exitCode is the one mapping from error kinds to exit codes: 2 when the caller can fix
// the input (invalid, unknown or conflicting values), 1 for everything else.
func exitCode(k kind.Kind) int {
	switch k {
	case kind.Invalid, kind.NotFound, kind.Conflict:
		return ExitBadInput
	}
	return ExitFailure
}

// flags returns a flag set for a command, with the configuration flags bound.
func (e *env) flags(name string) (*flag.FlagSet, *config.Loader) {
	fs := flag.NewFlagSet("sesame "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, config.Bind(fs)
}

// parse parses args; -h prints the flags to stdout. Positional arguments are refused.
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(e.stdout)
			fmt.Fprintf(e.stdout, "usage of %s:\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return usagef("%v (run %s -h)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (run %s -h)", fs.Arg(0), fs.Name())
	}
	return nil
}

// load parses args and loads the configuration for need.
func (e *env) load(fs *flag.FlagSet, l *config.Loader, args []string, need config.Need) (*config.Config, error) {
	if err := e.parse(fs, args); err != nil {
		return nil, err
	}
	cfg, err := l.Load(e.getenv, need)
	if err != nil {
		return nil, configError{err}
	}
	return cfg, nil
}

// logger builds the process logger from cfg, writing to stderr.
func (e *env) logger(cfg *config.Config) *slog.Logger {
	o := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, o))
	}
	return slog.New(slog.NewTextHandler(e.stderr, o))
}

// withServices runs fn with the services over the configured database.
func (e *env) withServices(cfg *config.Config, fn func(*app.Services) error) error {
	a, err := app.Open(e.ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// subcommand splits "create ..." style arguments.
func subcommand(group string, args []string, names ...string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, usagef("sesame %s needs a subcommand: %s", group, strings.Join(names, " | "))
	}
	for _, n := range names {
		if args[0] == n {
			return n, args[1:], nil
		}
	}
	return "", nil, usagef("sesame %s: unknown subcommand %q (want %s)", group, args[0], strings.Join(names, " | "))
}

// inOrg runs fn with the services and the organization named by slug.
func (e *env) inOrg(cfg *config.Config, slug string, fn func(*app.Services, org.Organization) error) error {
	if slug == "" {
		return usagef("--org is required")
	}
	return e.withServices(cfg, func(a *app.Services) error {
		o, err := a.Orgs.BySlug(e.ctx, slug)
		if err != nil {
			return err
		}
		return fn(a, o)
	})
}
