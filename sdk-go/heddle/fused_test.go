package heddle

import (
	"context"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// A fused call (protocol §5.4) over the real socket to a plugin served in this
// process, so the test can see the step code's tables: the stage gets the very
// *Table the previous step returned (no IPC encode/decode, no copy), while the
// same two steps as separate calls get a decoded copy.
func TestFusedStageGetsTheSameTable(t *testing.T) {
	var returned, received *Table
	p := NewPlugin(Info{Namespace: "fused"})
	Step(p, "produce", func(_ *StepContext, _ emptyConfig, in *Table) (*Table, error) {
		returned = in
		return in, nil
	})
	Step(p, "consume", func(_ *StepContext, _ emptyConfig, in *Table) (*Table, error) {
		received = in
		return in, nil
	})
	conn, _ := serveInProcess(t, p)
	client := pluginv1.NewPluginServiceClient(conn)
	data, err := EncodeIPC(smallTable(t))
	if err != nil {
		t.Fatal(err)
	}
	input := &pluginv1.DataRef{Kind: &pluginv1.DataRef_Inline{Inline: &pluginv1.InlineTable{Ipc: data, NumRows: 3}}}
	invoke := func(step string, then ...*pluginv1.InvokeStage) {
		t.Helper()
		resp, err := client.Invoke(context.Background(), &pluginv1.InvokeRequest{Header: &pluginv1.InvokeHeader{
			CallId: "c", Step: step, ConfigJson: "{}", Input: input, Then: then}})
		if err != nil || resp.GetError() != nil || resp.GetOutput().GetInline().GetNumRows() != 3 {
			t.Fatalf("Invoke %s: %v %v", step, err, resp)
		}
	}

	invoke("produce", &pluginv1.InvokeStage{Step: "consume", ConfigJson: "{}"})
	if returned == nil || received != returned {
		t.Fatalf("fused: the stage got %p, the previous step returned %p", received, returned)
	}
	invoke("produce")
	invoke("consume")
	if received == returned {
		t.Fatal("separate calls: the second step got the first one's table object, which cannot cross IPC")
	}
}
