package localsvc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// RedisOptions tune a local Redis server.
type RedisOptions struct {
	Port    int       // 0 picks a free port
	Persist bool      // snapshot to dir; off for tests
	Log     io.Writer // server output, besides the tail kept for errors
	Args    []string  // more redis-server arguments, e.g. --cluster-enabled yes
}

// Redis is a running local Redis server.
type Redis struct{ *Process }

// URL returns the server's redis:// URL.
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// StartRedis runs redis-server on a loopback port, working in dir.
func StartRedis(ctx context.Context, dir string, o RedisOptions) (*Redis, error) {
	bin, err := FindBinary("redis-server")
	if err != nil {
		return nil, err
	}
	if o.Port == 0 {
		if o.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	args := []string{"--port", strconv.Itoa(o.Port), "--bind", "127.0.0.1", "--dir", dir,
		"--protected-mode", "yes", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}
	if o.Persist {
		args = append(args, "--save", "60 1")
	} else {
		args = append(args, "--save", "")
	}
	args = append(args, o.Args...)
	proc, err := start(exec.Command(bin, args...), o.Port, o.Log)
	if err != nil {
		return nil, err
	}
	if err := proc.waitReady(ctx, "redis-server", func(context.Context) error { return ping(o.Port) }); err != nil {
		return nil, err
	}
	return &Redis{proc}, nil
}

func ping(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return errors.New("unexpected PING reply")
	}
	return nil
}
