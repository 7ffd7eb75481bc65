package oidcop_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/sesameid/sesame/internal/client"
	"github.com/sesameid/sesame/internal/store/redis"
	"github.com/sesameid/sesame/internal/testenv"
	"github.com/sesameid/sesame/internal/testserver"
)

// redisCalls returns the commands Redis served since the last reset, by name.
func redisCalls(t *testing.T, url string) map[string]int {
	t.Helper()
	c, err := redis.Connect(url, testenv.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
		calls[name] = n
	}
	delete(calls, "info")
	delete(calls, "config|resetstat")
	return calls
}

func resetRedisStats(t *testing.T, url string) {
	t.Helper()
	c, err := redis.Connect(url, testenv.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.ConfigResetStat(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// An SSO sign-in works on the records in hand: one script reads and slides the session,
// one SET writes the code; the transaction is never stored, read back or deleted.
func TestSSORedisCommands(t *testing.T) {
	t.Parallel()
	h := testserver.Start(t, testserver.Options{OwnRedis: true})
	second := h.Register(t, client.NewClient{Name: "Second", RedirectURIs: []string{"https://rp2.example/cb"}})
	b := newBrowser(t, h.URL)
	_, challenge := pkce()
	answered(t, b.signIn(t, authParams(h.Web.ID, testserver.WebCB, challenge)), testserver.WebCB, h.URL)
	sso := func() {
		q := authParams(second.ID, "https://rp2.example/cb", challenge)
		if got := answered(t, b.get(t, "/authorize?"+q.Encode()), "https://rp2.example/cb", h.URL); got.Get("code") == "" {
			t.Fatalf("SSO gave no code: %v", got)
		}
	}
	sso() // loads the scripts into Redis's cache
	resetRedisStats(t, h.RedisURL)
	sso()
	// commandstats counts the commands the script runs too (HMGET, PEXPIRE), and the HELLO
	// of the connection that reads it; what Sesame sent is the EVALSHAs and the SET. The
	// login pages' flood limit (one EVALSHA: HGET, HSET, HDEL, PEXPIRE) runs first.
	calls := redisCalls(t, h.RedisURL)
	if calls["evalsha"] != 2 {
		t.Errorf("Redis commands for one SSO sign-in = %v, want exactly 2 EVALSHA (the flood limit, touch the session) and 1 SET (the code)", calls)
	}
	if calls["sadd"] != 1 {
		t.Errorf("SSO sign-in ran SADD %d times, want once (the grant, under the session for logout): %v", calls["sadd"], calls)
	}
	if calls["set"] != 1 {
		t.Errorf("SSO sign-in ran SET %d times, want once (the code): %v", calls["set"], calls)
	}
	for _, c := range []string{"get", "getdel", "del", "multi", "exec", "watch"} {
		if calls[c] != 0 {
			t.Errorf("SSO sign-in ran %s %d times: a record in hand was stored, read back or deleted (%v)", c, calls[c], calls)
		}
	}
}
