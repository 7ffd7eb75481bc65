package localsvc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// relocateUnder is where a cluster goes when its user cannot reach the directory asked for:
// a directory every user can reach, kept across reboots (unlike /tmp on many systems).
const relocateUnder = "/var/tmp"

// DataDir returns the directory the user uid (group gid) keeps a cluster in when dir is asked
// for. It is dir itself when the user can reach it. Otherwise (a checkout in a 0700 home
// directory, with PostgreSQL running as another user) it is a new directory under /var/tmp,
// and dir becomes a symbolic link to it, so the next start finds the same cluster and
// deleting the link's target deletes the data (`make dev-reset` does). A link left by an
// earlier start is followed.
func DataDir(dir string, uid, gid uint32) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if target, err := os.Readlink(abs); err == nil {
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		return target, os.MkdirAll(target, 0o700)
	}
	// The parents made here are made reachable (os.MkdirAll would make them 0700 later).
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", err
	}
	if reachable(abs, uid, gid) {
		return abs, nil
	}
	if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
		// A directory with data that the user cannot reach: moving it is the operator's call.
		return "", fmt.Errorf("the PostgreSQL user (uid %d) cannot reach %s, which is not empty: move it under a directory that user can reach", uid, abs)
	}
	target, err := os.MkdirTemp(relocateUnder, "sesame-postgres-")
	if err != nil {
		return "", err
	}
	if !reachable(target, uid, gid) {
		_ = os.Remove(target)
		return "", fmt.Errorf("the PostgreSQL user (uid %d) can reach neither %s nor %s", uid, abs, relocateUnder)
	}
	if err := os.Symlink(target, abs); err != nil {
		_ = os.Remove(target)
		return "", err
	}
	return target, nil
}

// reachable reports whether the user uid, group gid, may traverse every directory above path
// (search permission). Supplementary groups and ACLs are not consulted: a wrong "no" only
// moves the data.
func reachable(path string, uid, gid uint32) bool {
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return false
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		bit := os.FileMode(0o001)
		switch {
		case sys.Uid == uid:
			bit = 0o100
		case sys.Gid == gid:
			bit = 0o010
		}
		if st.Mode().Perm()&bit == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}
