package heddle

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLoggerWritesProtocolLines(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelDebug)
	log.Debug("d")
	log.Info("opened vault", "instance", "vault-1", "n", 3, "ok", true, "err", errors.New("boom"))
	log.With("call", "c1").WithGroup("g").Warn("w", "k", "v")
	log.Log(nil, LevelTrace, "not written") //nolint:staticcheck // a nil context is allowed by slog
	log.Error("e")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	type record struct {
		Level   string         `json:"level"`
		Message string         `json:"message"`
		Time    string         `json:"time"`
		Fields  map[string]any `json:"fields"`
	}
	var recs []record
	for _, l := range lines {
		var r record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", r.Time); err != nil {
			t.Errorf("time %q is not RFC 3339 UTC with milliseconds", r.Time)
		}
		recs = append(recs, r)
	}
	if recs[0].Level != "debug" || recs[0].Fields != nil {
		t.Errorf("first line %s", lines[0])
	}
	f := recs[1].Fields
	if recs[1].Level != "info" || recs[1].Message != "opened vault" || f["instance"] != "vault-1" || f["n"] != 3.0 || f["ok"] != true || f["err"] != "boom" {
		t.Errorf("second line %s", lines[1])
	}
	if recs[2].Level != "warn" || recs[2].Fields["call"] != "c1" || recs[2].Fields["g"].(map[string]any)["k"] != "v" {
		t.Errorf("third line %s", lines[2])
	}
	if recs[3].Level != "error" {
		t.Errorf("fourth line %s", lines[3])
	}
}

func TestParseLevel(t *testing.T) {
	for name, want := range map[string]slog.Level{"trace": LevelTrace, "DEBUG": slog.LevelDebug, "": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := ParseLevel(name); err != nil || got != want {
			t.Errorf("%q: %v %v", name, got, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("unknown level accepted")
	}
	var buf bytes.Buffer
	NewLogger(&buf, slog.LevelWarn).Info("dropped")
	if buf.Len() != 0 {
		t.Error("a record below the level was written")
	}
}
