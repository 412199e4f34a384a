package heddle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"unsafe"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
)

// socketPair returns the two ends of a connected Unix stream socket.
func socketPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	end := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c.(*net.UnixConn)
	}
	return end(fds[0]), end(fds[1])
}

func rawFrame(kind byte, callNo uint32, message, payload []byte) []byte {
	b := make([]byte, framePrefixBytes, framePrefixBytes+len(message)+len(payload))
	putFrameHead(b, frameHead{kind: kind, callNo: callNo, messageLen: uint32(len(message)), payloadLen: uint64(len(payload))})
	return append(append(b, message...), payload...)
}

func TestFrameHeadLayout(t *testing.T) {
	b := make([]byte, framePrefixBytes)
	putFrameHead(b, frameHead{kind: frameKindResult, callNo: 0x01020304, messageLen: 0x000b0c0d, payloadLen: 0x11223344})
	want := []byte{0x0d, 0x0c, 0x0b, 0x00, 2, 0, 0, 0, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0}
	if !bytes.Equal(b, want) {
		t.Fatalf("prefix % x, want % x", b, want)
	}
	h, err := parseFrameHead(b, frameKindResult)
	if err != nil || h.callNo != 0x01020304 || h.messageLen != 0x000b0c0d || h.payloadLen != 0x11223344 {
		t.Fatalf("parsed %+v, %v", h, err)
	}
}

func TestFrameHeadRejectsMalformedPrefixes(t *testing.T) {
	good := func() []byte { return rawFrame(frameKindCall, 1, nil, nil) }
	cases := map[string]func([]byte){
		"result kind where a call is expected": func(b []byte) { b[4] = frameKindResult },
		"unknown kind":                         func(b []byte) { b[4] = 0 },
		"message over the limit":               func(b []byte) { binary.LittleEndian.PutUint32(b, maxFrameMessageBytes+1) },
		"payload of 2^53 bytes":                func(b []byte) { binary.LittleEndian.PutUint64(b[16:], 1<<53) },
		"payload past memory and swap":         func(b []byte) { binary.LittleEndian.PutUint64(b[16:], memoryBound()+1) },
	}
	for _, at := range []int{5, 6, 7, 12, 13, 14, 15} {
		cases[fmt.Sprintf("reserved byte %d set", at)] = func(b []byte) { b[at] = 0x80 }
	}
	for name, edit := range cases {
		b := good()
		edit(b)
		if _, err := parseFrameHead(b, frameKindCall); !isFrameError(err) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
	if _, err := parseFrameHead(good(), frameKindCall); err != nil {
		t.Fatal(err)
	}
}

func TestFrameReaderOverASocket(t *testing.T) {
	host, plugin := socketPair(t)
	h := &pluginv1.InvokeHeader{CallId: "c1", Step: "echo", ConfigJson: "{}"}
	message, _ := proto.Marshal(h)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 10_000) // past the read buffer: read straight into place
	go func() {
		var all []byte
		all = append(all, framePreface...)
		all = append(all, rawFrame(frameKindCall, 5, message, payload)...)
		all = append(all, rawFrame(frameKindCall, 6, message, nil)...)
		all = append(all, rawFrame(frameKindCall, 7, message, []byte("cut"))[:framePrefixBytes+len(message)+1]...)
		_, _ = host.Write(all)
		_ = host.CloseWrite()
	}()
	fr := newFrameReader(plugin)
	if err := fr.readPreface(); err != nil {
		t.Fatal(err)
	}
	got := &pluginv1.InvokeHeader{}
	head, p, err := fr.next(frameKindCall, got)
	if err != nil || head.callNo != 5 || !proto.Equal(got, h) || !bytes.Equal(p, payload) {
		t.Fatalf("frame 5: %+v %v, payload %d bytes", head, err, len(p))
	}
	if uintptr(unsafe.Pointer(&p[0]))%64 != 0 || cap(p) != len(p) {
		t.Errorf("the payload buffer is not a 64-byte aligned buffer of exactly payload_len bytes")
	}
	head, p, err = fr.next(frameKindCall, &pluginv1.InvokeHeader{})
	if err != nil || head.callNo != 6 || p != nil {
		t.Fatalf("frame 6: %+v %v %v", head, p, err)
	}
	if _, _, err = fr.next(frameKindCall, &pluginv1.InvokeHeader{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a frame cut short: %v, want ErrUnexpectedEOF", err)
	}
}

func TestFrameReaderEndsCleanlyBetweenFrames(t *testing.T) {
	host, plugin := socketPair(t)
	_, _ = host.Write([]byte(framePreface))
	_ = host.CloseWrite()
	fr := newFrameReader(plugin)
	if err := fr.readPreface(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fr.next(frameKindCall, &pluginv1.InvokeHeader{}); err != io.EOF {
		t.Fatalf("%v, want io.EOF", err)
	}
}

func TestFrameReaderRejects(t *testing.T) {
	for name, bytes := range map[string][]byte{
		"a wrong preface":                []byte("HDLFRM02"),
		"a message that does not decode": append([]byte(framePreface), rawFrame(frameKindCall, 1, []byte{0xff, 0xff}, nil)...),
		"a result frame":                 append([]byte(framePreface), rawFrame(frameKindResult, 1, nil, nil)...),
	} {
		host, plugin := socketPair(t)
		go func() { _, _ = host.Write(bytes) }()
		fr := newFrameReader(plugin)
		err := fr.readPreface()
		if err == nil {
			_, _, err = fr.next(frameKindCall, &pluginv1.InvokeHeader{})
		}
		if !isFrameError(err) {
			t.Errorf("%s: %v, want a protocol error", name, err)
		}
	}
}

func TestFrameWriterSmallAndLargeFrames(t *testing.T) {
	plugin, host := socketPair(t)
	w := &frameWriter{conn: plugin}
	resp := &pluginv1.InvokeResponse{Stats: &pluginv1.CallStats{OutputRows: 3}}
	small := [][]byte{[]byte("abc"), []byte("def")}
	large := [][]byte{bytes.Repeat([]byte{1}, 100_000), []byte("tail"), bytes.Repeat([]byte{2}, 200_000)}
	const writers = 8
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pieces := small
			if i%2 == 1 {
				pieces = large
			}
			n := 0
			for _, p := range pieces {
				n += len(p)
			}
			if err := w.write(frameKindResult, uint32(i), resp, pieces, n); err != nil {
				t.Error(err)
			}
		}()
	}
	fr := newFrameReader(host)
	seen := map[uint32]bool{}
	for i := 0; i < writers; i++ {
		got := &pluginv1.InvokeResponse{}
		head, payload, err := fr.next(frameKindResult, got)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Join(small, nil)
		if head.callNo%2 == 1 {
			want = bytes.Join(large, nil)
		}
		if !bytes.Equal(payload, want) || !proto.Equal(got, resp) || seen[head.callNo] {
			t.Fatalf("frame %d: payload %d bytes (want %d), message %v, seen before %v", head.callNo, len(payload), len(want), got, seen[head.callNo])
		}
		seen[head.callNo] = true
	}
	wg.Wait()
	_ = host.Close()
	for i := 0; i < 3; i++ { // the peer is gone: writes fail, and keep failing
		if err := w.write(frameKindResult, 99, resp, large, 300_004); err == nil {
			t.Fatal("writing to a closed peer succeeded")
		}
	}
}

func TestFramePayloadAvoidsCopies(t *testing.T) {
	in := smallTable(t)
	data, _ := EncodeIPC(in)
	decoded, err := DecodeIPC(data)
	if err != nil {
		t.Fatal(err)
	}
	pieces, n, err := framePayload(decoded)
	if err != nil || len(pieces) != 1 || &pieces[0][0] != &data[0] || n != len(data) {
		t.Fatalf("an unchanged table should go out as its own bytes: %d pieces, %v", len(pieces), err)
	}

	big := bigTable(t, 3, 100_000) // 800 kB columns
	pieces, n, err = framePayload(big)
	if err != nil {
		t.Fatal(err)
	}
	joined := bytes.Join(pieces, nil)
	if len(joined) != n {
		t.Fatalf("total %d, pieces hold %d", n, len(joined))
	}
	reference, _ := EncodeIPC(big)
	if !bytes.Equal(joined, reference) {
		t.Fatal("the pieces are not the table's IPC stream")
	}
	for i, b := range big.Batches() {
		column := b.Column(0).Data().Buffers()[1].Bytes()
		found := false
		for _, p := range pieces {
			found = found || &p[0] == &column[0]
		}
		if !found {
			t.Errorf("the column buffer of batch %d was copied instead of sent by reference", i)
		}
	}
}

func TestDecodeIPCReadsInPlace(t *testing.T) {
	data, _ := EncodeIPC(bigTable(t, 2, 1000))
	aligned := append(alignedBytes(len(data))[:0], data...)
	tbl, err := DecodeIPC(aligned)
	if err != nil {
		t.Fatal(err)
	}
	column := tbl.Batches()[1].Column(0).Data().Buffers()[1].Bytes()
	start, end := uintptr(unsafe.Pointer(&aligned[0])), uintptr(unsafe.Pointer(&aligned[len(aligned)-1]))
	if at := uintptr(unsafe.Pointer(&column[0])); at < start || at > end {
		t.Error("the decoded column is a copy, not a slice of the input")
	}
	// Misaligned bytes still decode (bodies are copied to aligned memory).
	shifted := append(make([]byte, 1, len(data)+1), data...)[1:]
	if got, err := DecodeIPC(shifted); err != nil || got.NumRows() != 2000 {
		t.Fatalf("misaligned input: %v", err)
	}
	// Every truncation fails cleanly, never panics or reads past the end.
	for cut := 1; cut < len(data)-8; cut += 7 {
		if tbl, err := DecodeIPC(data[:cut:cut]); err == nil && tbl.NumRows() == 2000 {
			t.Fatalf("a stream cut at %d of %d bytes decoded whole", cut, len(data))
		}
	}
}

func TestInFlightIdle(t *testing.T) {
	var p inFlight
	select {
	case <-p.idle():
	default:
		t.Fatal("an empty count is not idle")
	}
	p.add()
	p.add()
	idle := p.idle()
	p.done()
	select {
	case <-idle:
		t.Fatal("idle with one frame left")
	default:
	}
	p.done()
	<-idle
}
