package heddle

// The frame lane's wire format (protocol §5.5): an 8-byte preface, then
// frames of a 24-byte prefix, a protobuf message and an Arrow IPC payload.
// Reading puts each payload straight into one aligned buffer of its size;
// writing sends prefix, message and payload with one write (small frames) or
// one writev (large ones), so a payload is never copied again.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
)

const (
	// framePreface is what a host writes first on a frame connection
	// (framing version 1).
	framePreface = "HDLFRM01"
	// framePrefixBytes is the size of the fixed part of every frame.
	framePrefixBytes = 24
	// frameKindCall is a call frame (host → plugin): an InvokeHeader.
	frameKindCall = 1
	// frameKindResult is a result frame (plugin → host): an InvokeResponse.
	frameKindResult = 2
	// maxFrameMessageBytes bounds a frame's protobuf message like the gRPC
	// lane's message limit: only a corrupt prefix asks for more.
	maxFrameMessageBytes = maxMessageBytes
	// maxFramePayloadBytes is the protocol's bound on payload_len (2^53 - 1).
	maxFramePayloadBytes = 1<<53 - 1
	// frameReadBuffer is how much a connection reads at once: a small call
	// (prefix, header and payload) arrives in one read.
	frameReadBuffer = 64 << 10
	// frameCoalesceBytes: a payload up to this size is copied behind the
	// message and the frame goes out in one write; a larger one goes by
	// reference in a writev.
	frameCoalesceBytes = 64 << 10
)

// frameHead is a frame's prefix.
type frameHead struct {
	kind       byte
	callNo     uint32
	messageLen uint32 // header_len: the protobuf message after the prefix
	payloadLen uint64
}

// frameError is a protocol error (§5.5 "malformed frame"): the side that
// sees it closes the connection.
type frameError struct{ why string }

func (e *frameError) Error() string { return "malformed frame: " + e.why }

func malformed(format string, args ...any) error {
	return &frameError{why: fmt.Sprintf(format, args...)}
}

// putFrameHead writes h as a frame prefix into b[:24].
func putFrameHead(b []byte, h frameHead) {
	_ = b[framePrefixBytes-1]
	binary.LittleEndian.PutUint32(b[0:], h.messageLen)
	b[4], b[5], b[6], b[7] = h.kind, 0, 0, 0
	binary.LittleEndian.PutUint32(b[8:], h.callNo)
	binary.LittleEndian.PutUint32(b[12:], 0)
	binary.LittleEndian.PutUint64(b[16:], h.payloadLen)
}

// parseFrameHead reads a frame prefix. It fails with a *frameError when the
// kind is not want, a reserved byte is not zero, or a length is past its
// bound (message over 64 MiB, payload of 2^53 bytes or more, or more than
// this machine's memory and swap could ever hold).
func parseFrameHead(b []byte, want byte) (frameHead, error) {
	h := frameHead{
		messageLen: binary.LittleEndian.Uint32(b[0:]),
		kind:       b[4],
		callNo:     binary.LittleEndian.Uint32(b[8:]),
		payloadLen: binary.LittleEndian.Uint64(b[16:]),
	}
	switch {
	case h.kind != want:
		return h, malformed("kind %d where %d was expected (1 call, 2 result)", h.kind, want)
	case b[5] != 0 || b[6] != 0 || b[7] != 0 || binary.LittleEndian.Uint32(b[12:]) != 0:
		return h, malformed("reserved bytes are not zero (prefix % x)", b[:framePrefixBytes])
	case h.messageLen > maxFrameMessageBytes:
		return h, malformed("header_len %d is over the %d-byte limit", h.messageLen, maxFrameMessageBytes)
	case h.payloadLen > maxFramePayloadBytes:
		return h, malformed("payload_len %d is not below 2^53", h.payloadLen)
	case h.payloadLen > memoryBound():
		return h, malformed("payload_len %d is more than this machine's memory and swap (%d bytes) can hold", h.payloadLen, memoryBound())
	}
	return h, nil
}

// memoryBound is RAM plus swap: a payload larger than that cannot be held,
// and asking Go for it would end the process instead of failing.
var memoryBound = sync.OnceValue(func() uint64 {
	var info unix.Sysinfo_t
	if err := unix.Sysinfo(&info); err != nil {
		return maxFramePayloadBytes
	}
	return (uint64(info.Totalram) + uint64(info.Totalswap)) * uint64(info.Unit)
})

// frameReader reads the frames of one connection. It is used by one
// goroutine only.
type frameReader struct {
	r       *bufio.Reader
	prefix  [framePrefixBytes]byte
	message []byte // reused: each message is decoded before the next frame is read
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, frameReadBuffer)}
}

// readPreface reads the connection's first 8 bytes and fails with a
// *frameError unless they are the frame-lane preface.
func (fr *frameReader) readPreface() error {
	var got [len(framePreface)]byte
	if _, err := io.ReadFull(fr.r, got[:]); err != nil {
		return err
	}
	if string(got[:]) != framePreface {
		return malformed("the connection opened with %q, not the preface %q", got[:], framePreface)
	}
	return nil
}

// next reads one frame of kind want into m and returns its head and payload.
// The payload is a new 64-byte aligned buffer of exactly payload_len bytes
// (nil when empty) that the caller owns. It returns io.EOF when the peer
// closed the connection between frames, a *frameError for a malformed frame
// (the message does not decode into m, or see parseFrameHead), and the read
// error otherwise (io.ErrUnexpectedEOF for a connection closed inside a frame).
func (fr *frameReader) next(want byte, m proto.Message) (frameHead, []byte, error) {
	if _, err := io.ReadFull(fr.r, fr.prefix[:]); err != nil {
		return frameHead{}, nil, err
	}
	h, err := parseFrameHead(fr.prefix[:], want)
	if err != nil {
		return h, nil, err
	}
	if cap(fr.message) < int(h.messageLen) {
		fr.message = make([]byte, h.messageLen)
	}
	msg := fr.message[:h.messageLen]
	if _, err := io.ReadFull(fr.r, msg); err != nil {
		return h, nil, unexpected(err)
	}
	// proto.Unmarshal copies strings and bytes out of msg, so msg is free again.
	if err := proto.Unmarshal(msg, m); err != nil {
		return h, nil, malformed("the message of call_no %d does not decode: %v", h.callNo, err)
	}
	if fr.message != nil && cap(fr.message) > frameReadBuffer {
		fr.message = nil // do not keep a rare huge message buffer for the connection's life
	}
	// bufio hands a read of at least its size straight to the socket, so a
	// large payload lands in its buffer without passing through bufio's.
	payload := alignedBytes(int(h.payloadLen))
	if _, err := io.ReadFull(fr.r, payload); err != nil {
		return h, nil, unexpected(err)
	}
	return h, payload, nil
}

// frameWriter writes whole frames to one connection; concurrent calls'
// frames never interleave. After the first failed write every later write
// fails with the same error (the connection is broken).
type frameWriter struct {
	mu   sync.Mutex
	conn io.Writer // a *frameSocket in the server
	err  error
}

// buffersWriter writes several buffers in one system call (frameSocket).
type buffersWriter interface {
	writeBuffers(bufs [][]byte) error
}

// frameBuffers holds the prefix and message of frames being written (and
// small payloads copied behind them), so a call allocates none.
var frameBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// write sends one frame: the prefix, m, and the payload made of pieces
// (payloadLen bytes in all). It fails when m cannot be marshalled or the
// connection cannot be written.
func (w *frameWriter) write(kind byte, callNo uint32, m proto.Message, pieces [][]byte, payloadLen int) error {
	bp := frameBuffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 { // a rare huge frame's buffer is left to the collector
			frameBuffers.Put(bp)
		}
	}()
	buf, err := proto.MarshalOptions{}.MarshalAppend(append((*bp)[:0], make([]byte, framePrefixBytes)...), m)
	if err != nil {
		return fmt.Errorf("the frame message cannot be encoded: %w", err)
	}
	putFrameHead(buf, frameHead{kind: kind, callNo: callNo, messageLen: uint32(len(buf) - framePrefixBytes), payloadLen: uint64(payloadLen)})
	var vec net.Buffers
	if payloadLen <= frameCoalesceBytes {
		for _, p := range pieces {
			buf = append(buf, p...)
		}
	} else {
		vec = make(net.Buffers, 0, len(pieces)+1)
		vec = append(append(vec, buf), pieces...)
	}
	*bp = buf

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	switch bw, ok := w.conn.(buffersWriter); {
	case vec == nil:
		_, err = w.conn.Write(buf)
	case ok:
		err = bw.writeBuffers(vec) // writev: the payload goes from where it is
	default:
		_, err = vec.WriteTo(w.conn) // writev on a net.Conn
	}
	if err != nil {
		w.err = err
	}
	return err
}

// ipcPieces gathers an IPC stream as the Arrow writer produces it, for a
// frame payload: small writes (message metadata, padding) are copied into
// shared buffers, column buffers of at least pieceByReference bytes are kept
// by reference (they stay valid: they belong to the output table, or were
// made by ipcAllocator, and buffers are never written again), so the payload
// reaches the socket without a copy.
type ipcPieces struct {
	pieces [][]byte
	small  []byte // the small writes since the last piece kept by reference
	total  int
}

const pieceByReference = 16 << 10

func (g *ipcPieces) add(p []byte) error {
	g.total += len(p)
	if len(p) < pieceByReference {
		g.small = append(g.small, p...)
		return nil
	}
	g.cut()
	g.pieces = append(g.pieces, p)
	return nil
}

// cut ends the current run of small writes; later ones go to a new buffer
// (appending would move bytes an earlier piece points to).
func (g *ipcPieces) cut() {
	if len(g.small) > 0 {
		g.pieces = append(g.pieces, g.small)
		g.small = nil
	}
}

// framePayload returns t's IPC stream as the pieces of a frame payload: the
// bytes it was decoded from when it passes through unchanged (no encoding at
// all, as EncodeIPC), otherwise what writeIPC produces. It fails when a batch
// does not match the table's schema.
func framePayload(t *Table) ([][]byte, int, error) {
	if t.ipc != nil {
		return [][]byte{t.ipc}, len(t.ipc), nil
	}
	g := &ipcPieces{}
	if _, err := writeIPC(t, g.add, 0); err != nil {
		return nil, 0, err
	}
	g.cut()
	return g.pieces, g.total, nil
}

// isFrameError reports whether err is a protocol error rather than an I/O one.
func isFrameError(err error) bool {
	var fe *frameError
	return errors.As(err, &fe)
}
