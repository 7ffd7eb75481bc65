package redis

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sesameid/sesame/internal/kind"
	"github.com/sesameid/sesame/internal/login"
)

var _ login.TransactionStore = (*Store)(nil)

// CreateTransaction stores t until expires.
func (s *Store) CreateTransaction(ctx context.Context, t login.Transaction, expires, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	ttl := expires.Sub(now)
	if ttl <= 0 {
		return login.ErrExpired
	}
	b, err := json.Marshal(transactionRecord(t))
	if err != nil {
		return err
	}
	return fail("create transaction", s.c.Set(ctx, s.keys.transaction(t.ID), b, ttl).Err())
}

// Transaction returns the transaction with id, or login.ErrExpired.
func (s *Store) Transaction(ctx context.Context, id string) (login.Transaction, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	r, err := getJSON[txRecord](ctx, s, s.keys.transaction(id), "transaction", login.ErrExpired)
	if err != nil {
		return login.Transaction{}, err
	}
	return r.domain(id), nil
}

// maxUpdateAttempts bounds the optimistic retries of UpdateTransaction: one browser drives a
// transaction, so contention means duplicated requests, not load; a short random backoff
// between attempts lets a burst of them all land.
const maxUpdateAttempts = 20

// UpdateTransaction applies fn to the stored transaction with WATCH/MULTI: when another
// update lands between the read and the write, the write is dropped and fn runs again on
// the new value. The write is SET … XX KEEPTTL: it keeps the expiry and never recreates a
// transaction that expired or was consumed meanwhile. fn's error is returned as is.
func (s *Store) UpdateTransaction(ctx context.Context, id string, fn func(login.Transaction) (login.Transaction, error)) (login.Transaction, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	key := s.keys.transaction(id)
	var out login.Transaction
	var fnErr error
	for range maxUpdateAttempts {
		err := s.c.Watch(ctx, func(tx *goredis.Tx) error {
			b, err := tx.Get(ctx, key).Bytes()
			if err != nil {
				return err
			}
			var r txRecord
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			if out, fnErr = fn(r.domain(id)); fnErr != nil {
				return fnErr
			}
			nb, err := json.Marshal(transactionRecord(out))
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				p.SetArgs(ctx, key, nb, goredis.SetArgs{Mode: "XX", KeepTTL: true})
				return nil
			})
			return err
		}, key)
		switch {
		case err == nil:
			return out, nil
		case fnErr != nil:
			return login.Transaction{}, fnErr
		case errors.Is(err, goredis.TxFailedErr):
			select {
			case <-time.After(time.Duration(rand.N(int64(2*time.Millisecond))) + 100*time.Microsecond):
			case <-ctx.Done():
				return login.Transaction{}, fail("update transaction", ctx.Err())
			}
			continue
		case errors.Is(err, goredis.Nil):
			return login.Transaction{}, login.ErrExpired
		}
		return login.Transaction{}, fail("update transaction", err)
	}
	return login.Transaction{}, kind.Wrap(kind.Unavailable, errors.New("update transaction: too many concurrent updates"))
}
