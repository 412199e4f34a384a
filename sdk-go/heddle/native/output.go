package native

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/cdata"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// exportOutput hands t to the host as the stream at out, with arrow-go's
// cdata exporter: no copy, each array's buffers are t's own memory (or the
// host's, for a column passed through) and stay alive until the host
// releases that array. It fails with INVALID_OUTPUT when a batch does not
// match the table's schema.
func exportOutput(step string, t *heddle.Table, out unsafe.Pointer) *heddle.Error {
	reader, err := array.NewRecordReader(t.Schema(), t.Batches())
	if err != nil {
		return &heddle.Error{Code: heddle.CodeInvalidOutput, Component: step,
			Message: fmt.Sprintf("%s returned a table whose batches do not match its schema: %v", step, err)}
	}
	defer reader.Release() // the exported stream holds its own reference
	cdata.ExportRecordReader(reader, (*cdata.CArrowArrayStream)(out))
	return nil
}
