package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/heddle-host/heddle/sdk-go/heddle"
)

func TestSecurityExample(t *testing.T) {
	p := start(t, securityBin)
	vault := p.open(t, "vault", map[string]any{"api_key": "k3y"})
	creds := table(t, schema(field("id", int64T), field("password", utf8T)),
		map[string]any{"id": 1, "password": "hunter2"}, map[string]any{"id": 2, "password": "s3cr3t"})

	out := p.invokeOK(t, call{step: "hash", config: map[string]any{"algorithm": "sha256"},
		resources: map[string]string{"vault": vault}, input: creds})
	if got := columns(out.Schema()); !slices.Equal(got, []string{"id:int64", "hash:utf8"}) {
		t.Fatalf("columns %v, want id and hash", got)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	sameRows(t, out, []map[string]any{{"id": 1, "hash": sum("k3yhunter2")}, {"id": 2, "hash": sum("k3ys3cr3t")}})

	e := p.invokeErr(t, call{step: "hash", config: map[string]any{"algorithm": "md5"},
		resources: map[string]string{"vault": vault}, input: creds}, heddle.CodeInvalidConfig)
	if e.GetField() != "/algorithm" {
		t.Errorf("field %q", e.GetField())
	}
	p.invokeErr(t, call{step: "hash", config: map[string]any{"algorithm": "sha256"}, input: creds}, heddle.CodeMissingResource)
}
