package sms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestNewLogLoopbackOnly(t *testing.T) {
	for _, c := range []struct {
		issuer string
		ok     bool
	}{
		{"http://localhost:8080", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"https://id.example.com", false},
		{"https://localhost.example.com", false},
		{"https://10.0.0.1", false},
	} {
		u, _ := url.Parse(c.issuer)
		_, err := NewLog(slog.New(slog.DiscardHandler), u)
		if (err == nil) != c.ok {
			t.Errorf("NewLog(issuer %s) = %v, want accepted=%v", c.issuer, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrLogNotLoopback) {
			t.Errorf("NewLog(issuer %s) = %v, want ErrLogNotLoopback", c.issuer, err)
		}
	}
	if _, err := NewLog(slog.New(slog.DiscardHandler), nil); err == nil {
		t.Error("NewLog(no issuer) = nil error, want refused")
	}
}

func TestLogSend(t *testing.T) {
	var buf bytes.Buffer
	u, _ := url.Parse("http://localhost:8080")
	l, err := NewLog(slog.New(slog.NewTextHandler(&buf, nil)), u)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Send(context.Background(), Message{To: "+447700900123", Body: "code 493817"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.Contains(buf.String(), "sms to +447700900123: code 493817") {
		t.Errorf("log = %q, want the number and the body", buf.String())
	}
	if err := l.Send(context.Background(), Message{To: "0770\n0900123", Body: "x"}); err != ErrPhone {
		t.Errorf("Send to a number that is not E.164 = %v, want ErrPhone", err)
	}
}
