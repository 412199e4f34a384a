package heddle

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

func TestCodesMatchTheProto(t *testing.T) {
	for _, c := range []Code{CodeInvalidConfig, CodeInvalidInput, CodeUnknownStep, CodeUnknownResource, CodeResourceNotOpen,
		CodeResourceInitFailed, CodeStepFailed, CodeInvalidOutput, CodeCancelled, CodeDeadlineExceeded,
		CodeUnknownCommand, CodeCommandFailed, CodeUnsupported, CodeMissingResource, CodeInternal} {
		if c.Proto().String() != "ERROR_CODE_"+string(c) {
			t.Errorf("%s maps to %v", c, c.Proto())
		}
	}
	if Code("TYPO").Proto() != pluginv1.ErrorCode_ERROR_CODE_INTERNAL {
		t.Error("an unknown code should become INTERNAL")
	}
}

func TestClassify(t *testing.T) {
	typed := fmt.Errorf("wrapped: %w", NewError(CodeInvalidInput, "typed failure"))
	e := classify(typed, CodeStepFailed, "s", "origin")
	if e.Code != CodeInvalidInput || e.Message != "typed failure" || e.Component != "s" || !strings.Contains(e.Stack, "TestClassify") {
		t.Errorf("typed: %+v", e)
	}
	plain := classify(fmt.Errorf("outer: %w", errors.New("inner")), CodeStepFailed, "s", "returned by step \"s\"\n")
	if plain.Code != CodeStepFailed || plain.Message != "outer: inner" || !strings.Contains(plain.Stack, "returned by step") ||
		!strings.Contains(plain.Stack, "inner") {
		t.Errorf("plain: %+v", plain)
	}
	p := panicError("boom", CodeStepFailed, "s", []byte("stack"))
	if p.Message != "panic: boom" || p.Stack != "stack" {
		t.Errorf("panic: %+v", p)
	}
	w := Errorf(CodeInvalidInput, "bad %w", errors.ErrUnsupported)
	if !errors.Is(w, errors.ErrUnsupported) || w.Error() != "INVALID_INPUT: bad unsupported operation" {
		t.Errorf("Errorf: %v", w)
	}
}
