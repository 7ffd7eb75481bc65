package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/tlsconf"
	"golang.org/x/net/netutil"
)

func (e *env) serve(args []string) error {
	fs, l := e.flags("serve")
	migrate := fs.Bool("migrate", false, "apply pending database migrations before serving")
	cfg, err := e.load(fs, l, args, config.NeedServe)
	if err != nil {
		return err
	}
	return e.runServer(cfg, *migrate, nil)
}

// runServer serves until e.ctx is done, then shuts down gracefully: the listener closes,
// in-flight requests get cfg.ShutdownTimeout to finish, then the pools close. With TLS files
// it serves TLS, reloading the certificate on SIGHUP. ready (if not nil) runs once the handler
// is built and the listener bound, just before serving.
func (e *env) runServer(cfg *config.Config, migrate bool, ready func()) error {
	log := e.logger(cfg)
	slog.SetDefault(log) // the op package logs only through slog.Default (DESIGN.md)
	var cert *tlsconf.Certificate
	if cfg.TLSCertFile != "" {
		var err error
		if cert, err = tlsconf.Load(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			return configError{fmt.Errorf("SESAME_TLS_CERT_FILE, SESAME_TLS_KEY_FILE: %w", err)}
		}
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		watch, stop := context.WithCancel(e.ctx)
		defer stop()
		go cert.Watch(watch, hup, func(err error) {
			if err != nil {
				log.Error("TLS certificate reload failed: serving the previous one", "err", err)
				return
			}
			log.Info("TLS certificate reloaded", "not_after", cert.Current().Leaf.NotAfter)
		})
	}
	a, err := app.New(e.ctx, cfg, log, app.Options{Migrate: migrate, MigrateTo: logWriter{log}})
	if err != nil {
		return err
	}
	defer a.Close()
	// The periodic jobs run beside the server and stop before the pools close.
	jobs, stopJobs := context.WithCancel(e.ctx)
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		a.Housekeeping(jobs)
	}()
	defer func() {
		stopJobs()
		<-jobsDone
	}()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	// Bounded memory whatever the callers do: at most MaxConnections connections, each with
	// at most MaxHeaderBytes of headers (slow or endless headers end at ReadHeaderTimeout).
	ln = netutil.LimitListener(ln, cfg.MaxConnections)
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready()
	}
	served := make(chan error, 1)
	if cert != nil {
		srv.TLSConfig = cert.Config()
		// ServeTLS adds HTTP/2 to the protocols offered; the certificate comes from
		// GetCertificate, so no file is named here.
		go func() { served <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}
	log.Info("sesame serving", "addr", ln.Addr().String(), "issuer", cfg.Issuer.String(), "tls", cert != nil)

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

// maxHeaderBytes bounds a request's headers (net/http adds 4 KiB of slack): Sesame's own
// cookies and a bearer token fit many times over.
const maxHeaderBytes = 16 << 10
