package heddle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// schemaNode is the subset of JSON Schema 2020-12 that the SDK generates from
// Go config types and validates configs against (validate.go).
//
// Struct tags read for each exported field:
//
//	json:"name,omitempty"   property name (encoding/json rules; "-" skips it)
//	heddle:"required,minimum=1,maximum=9,exclusiveMinimum=0,exclusiveMaximum=9,
//	        minLength=1,maxLength=9,minItems=1,maxItems=9,enum=a|b,default=a"
//	pattern:"^[a-z]+$"      a regular expression strings must match
//	description:"text"      the property's description
//
// Struct configs reject unknown properties (additionalProperties: false).
type schemaNode struct {
	Type        string // object, string, integer, number, boolean, array; "" = any
	Format      string
	Description string
	Properties  []schemaProperty
	Required    []string
	Closed      bool        // additionalProperties: false
	Additional  *schemaNode // schema of map values (map[string]T)
	Items       *schemaNode
	Enum        []any
	Default     any
	HasDefault  bool
	Minimum     *float64
	Maximum     *float64
	ExclMinimum *float64
	ExclMaximum *float64
	MinLength   *int
	MaxLength   *int
	MinItems    *int
	MaxItems    *int
	Pattern     *regexp.Regexp
}

type schemaProperty struct {
	Name string
	Node *schemaNode
}

var (
	timeType        = reflect.TypeOf(time.Time{})
	rawMessageType  = reflect.TypeOf(json.RawMessage(nil))
	unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// schemaFor builds the schema of a config type. It panics with a message
// naming the field when the type cannot be a JSON config (channels,
// functions, recursive types, malformed tags): these are programming errors
// found when the plugin registers its components, before it serves.
func schemaFor(t reflect.Type) *schemaNode {
	n, err := (&schemaBuilder{visiting: map[reflect.Type]bool{}}).node(t, "")
	if err != nil {
		panic(fmt.Sprintf("heddle: config type %v: %v", t, err))
	}
	if n.Type != "object" {
		panic(fmt.Sprintf("heddle: config type %v must be a struct or map (a JSON object), not %s", t, t.Kind()))
	}
	return n
}

type schemaBuilder struct{ visiting map[reflect.Type]bool }

func (b *schemaBuilder) node(t reflect.Type, path string) (*schemaNode, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return &schemaNode{Type: "string", Format: "date-time"}, nil
	}
	if t == rawMessageType || reflect.PointerTo(t).Implements(unmarshalerType) {
		// Raw JSON and types that decode themselves accept any JSON value.
		return &schemaNode{}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return &schemaNode{Type: "string"}, nil
	case reflect.Bool:
		return &schemaNode{Type: "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &schemaNode{Type: "integer"}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		zero := 0.0
		return &schemaNode{Type: "integer", Minimum: &zero}, nil
	case reflect.Float32, reflect.Float64:
		return &schemaNode{Type: "number"}, nil
	case reflect.Interface:
		return &schemaNode{}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 { // encoding/json writes bytes as base64 text
			return &schemaNode{Type: "string"}, nil
		}
		items, err := b.node(t.Elem(), path+"/items")
		if err != nil {
			return nil, err
		}
		return &schemaNode{Type: "array", Items: items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: map keys must be strings (JSON object keys), not %v", orRoot(path), t.Key())
		}
		values, err := b.node(t.Elem(), path+"/*")
		if err != nil {
			return nil, err
		}
		return &schemaNode{Type: "object", Additional: values}, nil
	case reflect.Struct:
		if b.visiting[t] {
			return nil, fmt.Errorf("%s: recursive type %v is not supported in configs", orRoot(path), t)
		}
		b.visiting[t] = true
		defer delete(b.visiting, t)
		n := &schemaNode{Type: "object", Closed: true}
		if err := b.fields(n, t, path); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, fmt.Errorf("%s: %v cannot be decoded from JSON", orRoot(path), t)
}

// fields adds t's exported fields to n, flattening embedded structs the way
// encoding/json does (StepConfig[R], which has none, adds nothing).
func (b *schemaBuilder) fields(n *schemaNode, t reflect.Type, path string) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, skip := jsonName(f)
		if skip {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && ft.Kind() == reflect.Struct && !hasJSONName(f) {
			if err := b.fields(n, ft, path); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		child, err := b.node(f.Type, path+"/"+name)
		if err != nil {
			return err
		}
		required, err := applyTags(child, f, path+"/"+name)
		if err != nil {
			return err
		}
		n.Properties = append(n.Properties, schemaProperty{Name: name, Node: child})
		if required {
			n.Required = append(n.Required, name)
		}
	}
	return nil
}

func jsonName(f reflect.StructField) (name string, skip bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", true
	}
	name, _, _ = strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, false
}

func hasJSONName(f reflect.StructField) bool {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name != ""
}

func orRoot(path string) string {
	if path == "" {
		return "the config"
	}
	return "field " + path
}

// applyTags reads the heddle, pattern and description tags of f into n and
// reports whether the field is required.
func applyTags(n *schemaNode, f reflect.StructField, path string) (required bool, err error) {
	n.Description = f.Tag.Get("description")
	if p, ok := f.Tag.Lookup("pattern"); ok {
		if n.Pattern, err = regexp.Compile(p); err != nil {
			return false, fmt.Errorf("field %s: pattern tag: %v", path, err)
		}
	}
	tag := f.Tag.Get("heddle")
	if tag == "" {
		return false, nil
	}
	for _, part := range strings.Split(tag, ",") {
		key, value, hasValue := strings.Cut(strings.TrimSpace(part), "=")
		bad := func(e error) error { return fmt.Errorf("field %s: heddle tag %q: %v", path, part, e) }
		if !hasValue && key != "required" {
			return false, bad(fmt.Errorf("%s needs a value: %s=…", key, key))
		}
		switch key {
		case "required":
			required = true
		case "minimum":
			n.Minimum, err = tagFloat(value)
		case "maximum":
			n.Maximum, err = tagFloat(value)
		case "exclusiveMinimum":
			n.ExclMinimum, err = tagFloat(value)
		case "exclusiveMaximum":
			n.ExclMaximum, err = tagFloat(value)
		case "minLength":
			n.MinLength, err = tagCount(value)
		case "maxLength":
			n.MaxLength, err = tagCount(value)
		case "minItems":
			n.MinItems, err = tagCount(value)
		case "maxItems":
			n.MaxItems, err = tagCount(value)
		case "enum":
			for _, text := range strings.Split(value, "|") {
				v, perr := parseTagValue(n, text)
				if perr != nil {
					return false, bad(perr)
				}
				n.Enum = append(n.Enum, v)
			}
		case "default":
			v, perr := parseTagValue(n, value)
			if perr != nil {
				return false, bad(perr)
			}
			n.Default, n.HasDefault = v, true
		default:
			err = fmt.Errorf("unknown key %q (known: required, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems, maxItems, enum, default)", key)
		}
		if err != nil {
			return false, bad(err)
		}
	}
	if n.HasDefault {
		normalised, verr := n.check(n.Default, path)
		if verr != nil {
			return false, fmt.Errorf("field %s: its default does not satisfy its own schema: %s", path, verr.Message)
		}
		n.Default = normalised
	}
	if required && n.HasDefault {
		return false, fmt.Errorf("field %s: a field with a default cannot be required", path)
	}
	return required, nil
}

func tagFloat(text string) (*float64, error) {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, fmt.Errorf("want a number")
	}
	return &v, nil
}

func tagCount(text string) (*int, error) {
	v, err := strconv.Atoi(text)
	if err != nil || v < 0 {
		return nil, fmt.Errorf("want a non-negative integer")
	}
	return &v, nil
}

// parseTagValue reads an enum or default value written in a tag as the JSON
// value of n's type (strings are written bare).
func parseTagValue(n *schemaNode, text string) (any, error) {
	if n.Type == "string" {
		return text, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%q is not a JSON %s", text, n.Type)
	}
	return v, nil
}

// MarshalJSON writes the node as JSON Schema with properties in field order.
func (n *schemaNode) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	n.write(&b, true)
	return b.Bytes(), nil
}

func (n *schemaNode) write(b *bytes.Buffer, root bool) {
	b.WriteByte('{')
	sep := ""
	key := func(k string) { b.WriteString(sep); writeJSON(b, k); b.WriteByte(':'); sep = "," }
	if root {
		key("$schema")
		writeJSON(b, "https://json-schema.org/draft/2020-12/schema")
	}
	if n.Type != "" {
		key("type")
		writeJSON(b, n.Type)
	}
	if n.Format != "" {
		key("format")
		writeJSON(b, n.Format)
	}
	if n.Description != "" {
		key("description")
		writeJSON(b, n.Description)
	}
	if n.Type == "object" {
		key("properties")
		b.WriteByte('{')
		for i, p := range n.Properties {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, p.Name)
			b.WriteByte(':')
			p.Node.write(b, false)
		}
		b.WriteByte('}')
		if len(n.Required) > 0 {
			key("required")
			writeJSON(b, n.Required)
		}
		key("additionalProperties")
		if n.Additional != nil {
			n.Additional.write(b, false)
		} else {
			writeJSON(b, !n.Closed)
		}
	}
	if n.Items != nil {
		key("items")
		n.Items.write(b, false)
	}
	for _, c := range []struct {
		name string
		v    *float64
	}{{"minimum", n.Minimum}, {"maximum", n.Maximum}, {"exclusiveMinimum", n.ExclMinimum}, {"exclusiveMaximum", n.ExclMaximum}} {
		if c.v != nil {
			key(c.name)
			writeJSON(b, *c.v)
		}
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"minLength", n.MinLength}, {"maxLength", n.MaxLength}, {"minItems", n.MinItems}, {"maxItems", n.MaxItems}} {
		if c.v != nil {
			key(c.name)
			writeJSON(b, *c.v)
		}
	}
	if n.Pattern != nil {
		key("pattern")
		writeJSON(b, n.Pattern.String())
	}
	if len(n.Enum) > 0 {
		key("enum")
		writeJSON(b, n.Enum)
	}
	if n.HasDefault {
		key("default")
		writeJSON(b, n.Default)
	}
	b.WriteByte('}')
}
