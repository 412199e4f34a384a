// Package security is the seed's security plugin written with the Go SDK: a
// "vault" resource holding an API key, and a "hash" step that turns a
// credentials table (id, password) into a secure table (id, hash), peppering
// each password with the vault's key. The process plugin (../main.go) serves
// it; examples/go/native-security exports it as an in-process library.
package security

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// VaultConfig configures the vault resource.
type VaultConfig struct {
	APIKey string `json:"api_key" heddle:"required,minLength=1" description:"the key used as pepper"`
}

// Vault is the resource instance the hash step receives.
type Vault struct {
	APIKey string
}

// HashConfig configures the hash step; the embedded StepConfig receives the vault.
type HashConfig struct {
	heddle.StepConfig[*Vault]
	Algorithm string `json:"algorithm" heddle:"required,enum=sha256|sha512" description:"the hash function"`
}

// CredentialsSchema is the hash step's input: id and password.
var CredentialsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "password", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// SecureSchema is the hash step's output: id and hash.
var SecureSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "hash", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// NewPlugin registers the vault resource and the hash step. It never fails.
func NewPlugin() *heddle.Plugin {
	plugin := heddle.NewPlugin(heddle.Info{Namespace: "security", Version: "0.1.0",
		Description: "hashes credentials with a peppered hash"})
	heddle.Resource(plugin, "vault", initVault, heddle.Description("holds the API key used as pepper"))
	heddle.Step(plugin, "hash", hashPassword, heddle.UseResource("vault"),
		heddle.Description("input id+password → output id+hash"),
		heddle.InputSchema(CredentialsSchema), heddle.OutputSchema(SecureSchema))
	return plugin
}

func initVault(_ context.Context, cfg VaultConfig) (*Vault, error) {
	return &Vault{APIKey: cfg.APIKey}, nil
}

// checkEvery is how many rows the hash step hashes between looks at ctx.
const checkEvery = 64 << 10

// hashPassword reads an input with id and password and returns id and hash.
func hashPassword(ctx *heddle.StepContext, cfg HashConfig, input *heddle.Table) (*heddle.Table, error) {
	if input == nil {
		return nil, heddle.MissingInput(ctx)
	}
	vault := cfg.Resource() // the vault bound to this call is injected into the config
	col := input.ColumnIndex("password")
	if col < 0 {
		return nil, heddle.NewError(heddle.CodeInvalidInput, "the input needs a utf8 column \"password\"")
	}
	newHash := map[string]func() hash.Hash{"sha256": sha256.New, "sha512": sha512.New}[cfg.Algorithm]
	field := arrow.Field{Name: "hash", Type: arrow.BinaryTypes.String, Nullable: true}
	chunks, err := input.MapColumn(field, func(b arrow.RecordBatch) (arrow.Array, error) {
		passwords, ok := b.Column(col).(*array.String)
		if !ok {
			return nil, heddle.Errorf(heddle.CodeInvalidInput, "column \"password\" is %v, want utf8", b.Column(col).DataType())
		}
		out := array.NewStringBuilder(memory.DefaultAllocator)
		defer out.Release()
		for i := 0; i < passwords.Len(); i++ {
			if i%checkEvery == 0 && ctx.Err() != nil { // cancelled or past its deadline: stop early
				return nil, ctx.Err()
			}
			if passwords.IsNull(i) {
				out.AppendNull()
				continue
			}
			h := newHash()
			h.Write([]byte(vault.APIKey + passwords.Value(i)))
			out.Append(hex.EncodeToString(h.Sum(nil)))
		}
		return out.NewArray(), nil
	})
	if err != nil {
		return nil, err
	}
	return input.SetColumn(col, field, chunks) // hash takes password's place
}
