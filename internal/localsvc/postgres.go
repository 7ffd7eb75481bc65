package localsvc

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// PostgresOptions tune a local PostgreSQL server.
type PostgresOptions struct {
	Port      int       // 0 picks a free port
	Throwaway bool      // fsync and synchronous commit off: for tests only
	MaxConns  int       // max_connections; 0 means 200
	Log       io.Writer // server output, besides the tail kept for errors
	SuperUser string    // role created by initdb; "" means "sesame"
}

// Postgres is a running local PostgreSQL server.
type Postgres struct {
	*Process
	User string
}

// URL returns a connection URL for database db.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", p.User, p.Port, db)
}

// StartPostgres runs PostgreSQL on a loopback port with its data in dir, creating the
// cluster (trust authentication, loopback only) when dir holds none. As root, the server
// runs as the postgres (or nobody) user; when that user cannot reach dir (a checkout in a
// 0700 home directory), the cluster lives under /var/tmp instead, dir being a symbolic link
// to it (see DataDir).
func StartPostgres(ctx context.Context, dir string, o PostgresOptions) (*Postgres, error) {
	initdb, err := FindBinary("initdb")
	if err != nil {
		return nil, err
	}
	postgres, err := FindBinary("postgres")
	if err != nil {
		return nil, err
	}
	cred, err := dropRoot()
	if err != nil {
		return nil, err
	}
	if o.SuperUser == "" {
		o.SuperUser = "sesame"
	}
	if o.MaxConns == 0 {
		o.MaxConns = 200
	}
	if o.Port == 0 {
		if o.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	if cred != nil {
		if dir, err = DataDir(dir, cred.Uid, cred.Gid); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); os.IsNotExist(err) {
		cmd := exec.CommandContext(ctx, initdb, "-D", dir, "-U", o.SuperUser, "--auth=trust",
			"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb %s: %v\n%s", dir, err, out)
		}
	}
	args := []string{"-D", dir, "-p", strconv.Itoa(o.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "max_connections=" + strconv.Itoa(o.MaxConns)}
	if o.Throwaway {
		args = append(args, "-F", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(postgres, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	proc, err := start(cmd, o.Port, o.Log)
	if err != nil {
		return nil, err
	}
	pg := &Postgres{Process: proc, User: o.SuperUser}
	err = proc.waitReady(ctx, "postgres", func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, pg.URL("postgres"))
		if err != nil {
			return err
		}
		return c.Close(ctx)
	})
	if err != nil {
		return nil, err
	}
	return pg, nil
}

// CreateDatabase creates database name (optionally from template) if it does not exist.
func (p *Postgres) CreateDatabase(ctx context.Context, name, template string) error {
	c, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	var exists bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	_, err = c.Exec(ctx, sql)
	return err
}
