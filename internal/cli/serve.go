package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
)

func (e *env) serve(args []string) error {
	fs, l := e.flags("serve")
	migrate := fs.Bool("migrate", false, "apply pending database migrations before serving")
	cfg, err := e.load(fs, l, args, config.NeedServe)
	if err != nil {
		return err
	}
	return e.runServer(cfg, *migrate)
}

// runServer serves until e.ctx is done, then shuts down gracefully: the listener closes,
// in-flight requests get cfg.ShutdownTimeout to finish, then the pools close.
func (e *env) runServer(cfg *config.Config, migrate bool) error {
	log := e.logger(cfg)
	slog.SetDefault(log) // the op package logs only through slog.Default (DESIGN.md)
	a, err := app.New(e.ctx, cfg, log, app.Options{Migrate: migrate, MigrateTo: logWriter{log}})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("sesame serving", "addr", ln.Addr().String(), "issuer", cfg.Issuer.String())

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-e.ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// logWriter turns migration progress lines into log lines.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info("migration applied", "detail", string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
