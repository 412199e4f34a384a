package heddle

import (
	"testing"
	"time"
)

func TestPaceTrustsAStepAfterQuickRunsAndDropsItAtOneSlowRun(t *testing.T) {
	var p pace
	for i := 0; i < trustedAfter-1; i++ {
		p.record(5 * time.Microsecond)
	}
	if p.trusted() {
		t.Fatalf("trusted after %d quick runs, want %d", trustedAfter-1, trustedAfter)
	}
	p.record(5 * time.Microsecond)
	if !p.trusted() {
		t.Fatal("not trusted after enough quick runs")
	}
	p.record(3 * time.Millisecond)
	if p.trusted() {
		t.Fatal("still trusted after a slow run")
	}
}
