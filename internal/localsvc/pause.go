package localsvc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Pause stops the server and every process it started (SIGSTOP): its sockets stay open and
// accept connections, but nothing answers, as with a stalled (not dead) server, until
// Resume. PostgreSQL's backends are children in process groups of their own, so they are
// found through /proc (Linux) rather than signalled as a group.
func (p *Process) Pause() error { return p.signalTree(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (p *Process) Resume() error { return p.signalTree(syscall.SIGCONT) }

// signalTree sends sig to the server first (a stopped PostgreSQL forks no new backend),
// then to its descendants.
func (p *Process) signalTree(sig syscall.Signal) error {
	if p == nil || p.cmd.Process == nil {
		return nil
	}
	root := p.cmd.Process.Pid
	if err := syscall.Kill(root, sig); err != nil {
		return fmt.Errorf("signal %d: %w", root, err)
	}
	kids, err := descendants(root)
	if err != nil {
		return err
	}
	for _, pid := range kids {
		// A child that exited meanwhile is no longer there to stall or resume.
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
			return fmt.Errorf("signal %d: %w", pid, err)
		}
	}
	return nil
}

// descendants returns the processes below root, read from /proc/<pid>/stat.
func descendants(root int) ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return nil, fmt.Errorf("list processes: /proc unreadable")
	}
	children := map[int][]int{}
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after
		// the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 {
			continue
		}
		pid, err1 := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		ppid, err2 := strconv.Atoi(fields[1])
		if err1 == nil && err2 == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	for queue := children[root]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out, nil
}
