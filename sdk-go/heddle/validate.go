package heddle

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// configCodec validates config JSON against a schema generated from one Go
// type and decodes it into a value of that type. It is built once per
// component at registration, so calls pay no reflection over the type.
type configCodec struct {
	typ        reflect.Type
	schema     *schemaNode
	schemaJSON string
	emptyJSON  []byte // what "{}" becomes once defaults are applied
}

func newConfigCodec(t reflect.Type) *configCodec {
	s := schemaFor(t)
	text, _ := s.MarshalJSON()
	c := &configCodec{typ: t, schema: s, schemaJSON: string(text)}
	if len(s.Required) == 0 {
		v, err := s.check(map[string]any{}, "")
		if err != nil {
			panic(fmt.Sprintf("heddle: config type %v rejects {} although nothing is required: %s", t, err.Message))
		}
		c.emptyJSON, _ = json.Marshal(v)
	}
	return c
}

// decode validates raw (empty means {}) and returns a value of the codec's
// type. It fails with INVALID_CONFIG naming the offending field as a JSON
// pointer when raw is not JSON, not an object, or breaks the schema.
func (c *configCodec) decode(raw string) (any, *Error) {
	var normalised []byte
	if trimmed := strings.TrimSpace(raw); (trimmed == "" || trimmed == "{}") && c.emptyJSON != nil {
		normalised = c.emptyJSON
	} else {
		if trimmed == "" {
			trimmed = "{}"
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, configError("", "config is not valid JSON (%v): pass a JSON object such as {}", err)
		}
		if dec.More() {
			return nil, configError("", "config holds more than one JSON value: pass exactly one JSON object")
		}
		v, verr := c.schema.check(v, "")
		if verr != nil {
			return nil, verr
		}
		normalised, _ = json.Marshal(v)
	}
	ptr := reflect.New(c.typ)
	if string(normalised) != "{}" {
		if err := json.Unmarshal(normalised, ptr.Interface()); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				field := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
				return nil, configError(field, "config field %s: value %s does not fit Go type %v", field, typeErr.Value, typeErr.Type)
			}
			return nil, configError("", "config does not decode into %v: %v", c.typ, err)
		}
	}
	return ptr.Elem().Interface(), nil
}

// check validates v (decoded with UseNumber) at JSON pointer ptr, fills in
// defaults of missing properties and writes integral numbers of integer
// fields in integer form. It returns the first violation as INVALID_CONFIG.
func (n *schemaNode) check(v any, ptr string) (any, *Error) {
	switch n.Type {
	case "":
		return v, nil
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, typeError(ptr, "an object", v)
		}
		return n.checkObject(obj, ptr)
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return nil, typeError(ptr, "an array", v)
		}
		if n.MinItems != nil && len(arr) < *n.MinItems {
			return nil, configError(ptr, "%s must have at least %d items, got %d", fieldName(ptr), *n.MinItems, len(arr))
		}
		if n.MaxItems != nil && len(arr) > *n.MaxItems {
			return nil, configError(ptr, "%s must have at most %d items, got %d", fieldName(ptr), *n.MaxItems, len(arr))
		}
		for i := range arr {
			item, err := n.Items.check(arr[i], ptr+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			arr[i] = item
		}
		return n.checkEnum(arr, ptr)
	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, typeError(ptr, "a string", v)
		}
		length := utf8.RuneCountInString(s)
		if n.MinLength != nil && length < *n.MinLength {
			return nil, configError(ptr, "%s must be at least %d characters long, got %q", fieldName(ptr), *n.MinLength, s)
		}
		if n.MaxLength != nil && length > *n.MaxLength {
			return nil, configError(ptr, "%s must be at most %d characters long, got %d", fieldName(ptr), *n.MaxLength, length)
		}
		if n.Pattern != nil && !n.Pattern.MatchString(s) {
			return nil, configError(ptr, "%s must match the pattern %s, got %q", fieldName(ptr), n.Pattern, s)
		}
		return n.checkEnum(s, ptr)
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, typeError(ptr, "true or false", v)
		}
		return n.checkEnum(v, ptr)
	case "integer", "number":
		return n.checkNumber(v, ptr)
	}
	return v, nil
}

func (n *schemaNode) checkObject(obj map[string]any, ptr string) (any, *Error) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if n.Closed {
		for _, k := range keys {
			if n.property(k) == nil {
				return nil, configError(ptr+"/"+escapePointer(k), "%s is not allowed: %s", fieldName(ptr+"/"+escapePointer(k)), n.allowedText())
			}
		}
	}
	for _, name := range n.Required {
		if _, ok := obj[name]; !ok {
			p := ptr + "/" + escapePointer(name)
			return nil, configError(p, "%s is required: add %q (%s) to the config", fieldName(p), name, n.property(name).kind())
		}
	}
	for _, p := range n.Properties {
		value, present := obj[p.Name]
		if !present {
			if p.Node.HasDefault {
				obj[p.Name] = p.Node.Default
			}
			continue
		}
		checked, err := p.Node.check(value, ptr+"/"+escapePointer(p.Name))
		if err != nil {
			return nil, err
		}
		obj[p.Name] = checked
	}
	if n.Additional != nil {
		for _, k := range keys {
			checked, err := n.Additional.check(obj[k], ptr+"/"+escapePointer(k))
			if err != nil {
				return nil, err
			}
			obj[k] = checked
		}
	}
	return obj, nil
}

func (n *schemaNode) checkNumber(v any, ptr string) (any, *Error) {
	num, ok := v.(json.Number)
	if !ok {
		if n.Type == "integer" {
			return nil, typeError(ptr, "an integer", v)
		}
		return nil, typeError(ptr, "a number", v)
	}
	f, err := num.Float64()
	if err != nil || math.IsInf(f, 0) {
		return nil, configError(ptr, "%s: %s is out of range", fieldName(ptr), num)
	}
	if n.Type == "integer" {
		if i, err := num.Int64(); err == nil {
			num = json.Number(strconv.FormatInt(i, 10))
		} else if f != math.Trunc(f) {
			return nil, configError(ptr, "%s must be an integer, got %s", fieldName(ptr), num)
		} else if f < math.MinInt64 || f >= math.MaxInt64 {
			return nil, configError(ptr, "%s: %s is out of the 64-bit integer range", fieldName(ptr), num)
		} else {
			num = json.Number(strconv.FormatInt(int64(f), 10))
		}
	}
	if n.Minimum != nil && f < *n.Minimum {
		return nil, configError(ptr, "%s must be ≥ %v, got %s", fieldName(ptr), *n.Minimum, num)
	}
	if n.Maximum != nil && f > *n.Maximum {
		return nil, configError(ptr, "%s must be ≤ %v, got %s", fieldName(ptr), *n.Maximum, num)
	}
	if n.ExclMinimum != nil && f <= *n.ExclMinimum {
		return nil, configError(ptr, "%s must be > %v, got %s", fieldName(ptr), *n.ExclMinimum, num)
	}
	if n.ExclMaximum != nil && f >= *n.ExclMaximum {
		return nil, configError(ptr, "%s must be < %v, got %s", fieldName(ptr), *n.ExclMaximum, num)
	}
	return n.checkEnum(num, ptr)
}

func (n *schemaNode) checkEnum(v any, ptr string) (any, *Error) {
	if len(n.Enum) == 0 {
		return v, nil
	}
	for _, e := range n.Enum {
		if jsonEqual(v, e) {
			return v, nil
		}
	}
	allowed := make([]string, len(n.Enum))
	for i, e := range n.Enum {
		b, _ := json.Marshal(e)
		allowed[i] = string(b)
	}
	got, _ := json.Marshal(v)
	return nil, configError(ptr, "%s must be one of %s, got %s", fieldName(ptr), strings.Join(allowed, ", "), got)
}

func jsonEqual(a, b any) bool {
	na, aNum := a.(json.Number)
	nb, bNum := b.(json.Number)
	if aNum && bNum {
		fa, _ := na.Float64()
		fb, _ := nb.Float64()
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func (n *schemaNode) property(name string) *schemaNode {
	for _, p := range n.Properties {
		if p.Name == name {
			return p.Node
		}
	}
	return nil
}

func (n *schemaNode) allowedText() string {
	if len(n.Properties) == 0 {
		return "this config takes no fields, pass {}"
	}
	names := make([]string, len(n.Properties))
	for i, p := range n.Properties {
		names[i] = p.Name
	}
	return "remove it or check its spelling (allowed: " + strings.Join(names, ", ") + ")"
}

// kind describes the node for messages: "string", "integer ≥ 1", "one of …".
func (n *schemaNode) kind() string {
	if n == nil || n.Type == "" {
		return "any JSON value"
	}
	if len(n.Enum) > 0 {
		b, _ := json.Marshal(n.Enum)
		return n.Type + ", one of " + string(b)
	}
	if n.Minimum != nil {
		return fmt.Sprintf("%s ≥ %v", n.Type, *n.Minimum)
	}
	return n.Type
}

func typeError(ptr, want string, got any) *Error {
	return configError(ptr, "%s must be %s, got %s", fieldName(ptr), want, describeJSON(got))
}

func fieldName(ptr string) string {
	if ptr == "" {
		return "config"
	}
	return "config field " + ptr
}

func describeJSON(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return fmt.Sprintf("the string %q", t)
	case json.Number:
		return "the number " + t.String()
	case bool:
		return fmt.Sprintf("%t", t)
	}
	return fmt.Sprintf("%v", v)
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}
