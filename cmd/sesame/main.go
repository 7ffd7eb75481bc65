// Command sesame is the Sesame OpenID Provider: server, migrations and bootstrap CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sesameid/sesame/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
