package heddle

// Reading an Arrow IPC stream that is already in memory without copying it:
// arrow-go's ipc.NewMessageReader reads every message body into a new buffer,
// which for an input of a few hundred megabytes doubles its memory and costs a
// full pass over it. bytesMessageReader hands the reader slices of the bytes
// instead, so the batches of a decoded Table point into them.

import (
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ipcContinuation opens every IPC message since Arrow 0.15.
const ipcContinuation = 0xFFFFFFFF

// bytesMessageReader is an ipc.MessageReader over one IPC stream held in
// data. It follows the framing rules of arrow-go's own message reader
// (continuation marker, legacy length-only prefix, end-of-stream marker or
// plain end of data) and never reads outside data.
type bytesMessageReader struct {
	data []byte
	pos  int
}

// Message returns the next message, whose metadata and body are slices of
// data (a body that does not start at an 8-byte aligned address is copied to
// one that does, as Arrow readers assume). At the end of the stream the error
// wraps io.EOF; a truncated or corrupt stream gives another error, never a
// panic.
func (r *bytesMessageReader) Message() (msg *ipc.Message, err error) {
	defer func() { // flatbuffers panic on corrupt metadata
		if recovered := recover(); recovered != nil {
			msg, err = nil, fmt.Errorf("arrow/ipc: invalid message metadata: %v", recovered)
		}
	}()
	word, err := r.take(4)
	if err != nil {
		return nil, fmt.Errorf("arrow/ipc: could not read continuation indicator: %w", err)
	}
	length := binary.LittleEndian.Uint32(word)
	switch length {
	case 0:
		return nil, io.EOF
	case ipcContinuation:
		if word, err = r.take(4); err != nil {
			return nil, fmt.Errorf("arrow/ipc: could not read message length: %w", unexpected(err))
		}
		if length = binary.LittleEndian.Uint32(word); length == 0 {
			return nil, io.EOF
		}
	}
	// Otherwise: a stream from before Arrow 0.15, where the length comes alone.
	if int32(length) < 4 {
		return nil, fmt.Errorf("arrow/ipc: invalid message metadata length %d", int32(length))
	}
	meta, err := r.take(int(length))
	if err != nil {
		return nil, fmt.Errorf("arrow/ipc: could not read message metadata: %w", unexpected(err))
	}
	metaBuf := memory.NewBufferBytes(meta)
	msg = ipc.NewMessage(metaBuf, memory.NewBufferBytes(nil))
	bodyLen := msg.BodyLen()
	if bodyLen < 0 || bodyLen > int64(len(r.data)-r.pos) {
		return nil, fmt.Errorf("arrow/ipc: message body length %d exceeds the %d bytes left in the stream", bodyLen, len(r.data)-r.pos)
	}
	body, _ := r.take(int(bodyLen))
	if len(body) > 0 && uintptr(unsafe.Pointer(&body[0]))%8 != 0 {
		body = append(alignedBytes(len(body))[:0], body...)
	}
	return ipc.NewMessage(metaBuf, memory.NewBufferBytes(body)), nil
}

// take returns the next n bytes of data; fewer than n left is io.EOF when
// none are left and io.ErrUnexpectedEOF otherwise.
func (r *bytesMessageReader) take(n int) ([]byte, error) {
	left := len(r.data) - r.pos
	if n > left {
		if left == 0 {
			return nil, io.EOF
		}
		r.pos = len(r.data)
		return nil, io.ErrUnexpectedEOF
	}
	b := r.data[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return b, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Retain and Release do nothing: the reader owns no memory, data belongs to
// the caller.
func (r *bytesMessageReader) Retain()  {}
func (r *bytesMessageReader) Release() {}

// alignedBytes returns n zeroed bytes whose first byte is 64-byte aligned,
// the alignment Arrow prefers for buffers, so column data read into them can
// be used in place.
func alignedBytes(n int) []byte {
	if n == 0 {
		return nil
	}
	raw := make([]byte, n+63)
	skip := int((64 - uintptr(unsafe.Pointer(&raw[0]))%64) % 64)
	return raw[skip : skip+n : skip+n]
}
