package heddle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// LevelTrace is the protocol's "trace" level, below slog.LevelDebug.
const LevelTrace = slog.Level(-8)

// ParseLevel maps a protocol level name (trace, debug, info, warn, error; any
// case) to a slog level. It fails on any other name.
func ParseLevel(name string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "trace":
		return LevelTrace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("unknown log level %q: use trace, debug, info, warn or error", name)
}

// levelName maps a slog level to the protocol's five level names.
func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}

// NewLogger returns a logger writing protocol §9 JSON lines
// ({"level","message","time","fields"}) to w, dropping records below level.
// Attributes become "fields"; groups become nested objects. Writes are
// serialised, so the logger is safe for concurrent use. It never fails; a
// write error to w is dropped, as there is nowhere else to report it.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(&lineHandler{out: &lockedWriter{w: w}, level: level})
}

var (
	processLoggerOnce sync.Once
	processLogger     *slog.Logger
)

// Logger returns the plugin process's logger: JSON lines on stderr at the
// level named by HEDDLE_LOG_LEVEL (info when unset or unknown).
func Logger() *slog.Logger {
	processLoggerOnce.Do(func() {
		level, _ := ParseLevel(os.Getenv("HEDDLE_LOG_LEVEL"))
		processLogger = NewLogger(os.Stderr, level)
	})
	return processLogger
}

// lockedWriter makes whole-line writes atomic across goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) write(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(line)
}

// groupOrAttrs is one WithGroup or WithAttrs call, replayed at Handle time.
type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

type lineHandler struct {
	out   *lockedWriter
	level slog.Leveler
	goas  []groupOrAttrs
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(groupOrAttrs{attrs: attrs})
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(groupOrAttrs{group: name})
}

func (h *lineHandler) with(g groupOrAttrs) *lineHandler {
	goas := make([]groupOrAttrs, len(h.goas), len(h.goas)+1)
	copy(goas, h.goas)
	return &lineHandler{out: h.out, level: h.level, goas: append(goas, g)}
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	// Build the field tree: attributes of earlier WithAttrs calls, nested in
	// the groups open at that time, then the record's own attributes.
	root := &fieldObject{}
	cur := root
	for _, g := range h.goas {
		if g.group != "" {
			child := &fieldObject{}
			cur.add(g.group, child)
			cur = child
			continue
		}
		for _, a := range g.attrs {
			cur.addAttr(a)
		}
	}
	r.Attrs(func(a slog.Attr) bool { cur.addAttr(a); return true })

	var buf bytes.Buffer
	buf.WriteString(`{"level":"`)
	buf.WriteString(levelName(r.Level))
	buf.WriteString(`","message":`)
	writeJSON(&buf, r.Message)
	buf.WriteString(`,"time":"`)
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	buf.WriteString(t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	buf.WriteByte('"')
	if !root.empty() {
		buf.WriteString(`,"fields":`)
		root.write(&buf)
	}
	buf.WriteString("}\n")
	h.out.write(buf.Bytes())
	return nil
}

// fieldObject is an ordered JSON object of log fields.
type fieldObject struct {
	keys   []string
	values []any // slog.Value or *fieldObject
}

func (o *fieldObject) add(key string, v any) {
	o.keys = append(o.keys, key)
	o.values = append(o.values, v)
}

func (o *fieldObject) addAttr(a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		child := &fieldObject{}
		for _, ga := range v.Group() {
			child.addAttr(ga)
		}
		if child.empty() {
			return
		}
		if a.Key == "" { // an inline group: its attributes join this level
			o.keys = append(o.keys, child.keys...)
			o.values = append(o.values, child.values...)
			return
		}
		o.add(a.Key, child)
		return
	}
	if a.Key == "" {
		return
	}
	o.add(a.Key, v)
}

func (o *fieldObject) empty() bool {
	for _, v := range o.values {
		if child, ok := v.(*fieldObject); !ok || !child.empty() {
			return false
		}
	}
	return true
}

func (o *fieldObject) write(buf *bytes.Buffer) {
	buf.WriteByte('{')
	first := true
	for i, k := range o.keys {
		if child, ok := o.values[i].(*fieldObject); ok && child.empty() {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		writeJSON(buf, k)
		buf.WriteByte(':')
		switch v := o.values[i].(type) {
		case *fieldObject:
			v.write(buf)
		case slog.Value:
			writeValue(buf, v)
		}
	}
	buf.WriteByte('}')
}

// writeValue writes one attribute value as JSON: numbers and booleans as
// themselves, times as RFC 3339, errors as their message, anything else
// through encoding/json (falling back to its %v text).
func writeValue(buf *bytes.Buffer, v slog.Value) {
	switch v.Kind() {
	case slog.KindString:
		writeJSON(buf, v.String())
	case slog.KindInt64:
		fmt.Fprintf(buf, "%d", v.Int64())
	case slog.KindUint64:
		fmt.Fprintf(buf, "%d", v.Uint64())
	case slog.KindFloat64:
		writeJSON(buf, v.Float64())
	case slog.KindBool:
		fmt.Fprintf(buf, "%t", v.Bool())
	case slog.KindDuration:
		writeJSON(buf, v.Duration().String())
	case slog.KindTime:
		writeJSON(buf, v.Time().UTC().Format(time.RFC3339Nano))
	default:
		a := v.Any()
		if err, ok := a.(error); ok {
			writeJSON(buf, err.Error())
			return
		}
		b, err := json.Marshal(a)
		if err != nil {
			writeJSON(buf, fmt.Sprintf("%v", a))
			return
		}
		buf.Write(b)
	}
}

func writeJSON(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil { // NaN or ±Inf floats: JSON has no spelling for them
		b, _ = json.Marshal(fmt.Sprint(v))
	}
	buf.Write(b)
}
