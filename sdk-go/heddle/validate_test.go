package heddle

import (
	"reflect"
	"strings"
	"testing"
)

type strictConfig struct {
	Name  string `json:"name" heddle:"required"`
	Count int64  `json:"count" heddle:"required,minimum=1"`
	Mode  string `json:"mode" heddle:"enum=a|b,default=a"`
}

func TestDecodeAppliesDefaultsAndNormalisesIntegers(t *testing.T) {
	c := newConfigCodec(reflect.TypeOf(strictConfig{}))
	v, err := c.decode(`{"name":"n","count":2.0}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(strictConfig); got != (strictConfig{Name: "n", Count: 2, Mode: "a"}) {
		t.Fatalf("decoded %+v", got)
	}
	s := newConfigCodec(reflect.TypeOf(kitchenSink{}))
	v, err = s.decode(`{"name":"x","count":1,"db":{"host":"h"},"tags":["a"],"labels":{"k":"v"},"raw":[1,{"a":null}],"when":"2026-01-02T03:04:05Z"}`)
	if err != nil {
		t.Fatal(err)
	}
	k := v.(kitchenSink)
	if k.DB.Port != 5432 || k.Mode != "a" || k.Labels["k"] != "v" || string(k.Raw) != `[1,{"a":null}]` || k.When.Year() != 2026 {
		t.Fatalf("decoded %+v", k)
	}
}

func TestEmptyConfig(t *testing.T) {
	c := newConfigCodec(reflect.TypeOf(struct {
		Mode string `json:"mode" heddle:"default=x"`
	}{}))
	for _, raw := range []string{"", "{}", " { } "} {
		v, err := c.decode(raw)
		if err != nil || reflect.ValueOf(v).Field(0).String() != "x" {
			t.Errorf("%q: %v %v", raw, v, err)
		}
	}
}

func TestValidationErrorsNameTheField(t *testing.T) {
	strict := newConfigCodec(reflect.TypeOf(strictConfig{}))
	sink := newConfigCodec(reflect.TypeOf(kitchenSink{}))
	for _, c := range []struct {
		codec   *configCodec
		raw     string
		field   string
		message string
	}{
		{strict, `{"count":1}`, "/name", `config field /name is required: add "name" (string)`},
		{strict, `{"name":"n"}`, "/count", `add "count" (integer ≥ 1)`},
		{strict, `{"name":"n","count":0}`, "/count", "config field /count must be ≥ 1, got 0"},
		{strict, `{"name":"n","count":1.5}`, "/count", "must be an integer, got 1.5"},
		{strict, `{"name":"n","count":"1"}`, "/count", `must be an integer, got the string "1"`},
		{strict, `{"name":"n","count":1,"mode":"c"}`, "/mode", `must be one of "a", "b", got "c"`},
		{strict, `{"name":"n","count":1,"extra":1}`, "/extra", "config field /extra is not allowed: remove it or check its spelling (allowed: name, count, mode)"},
		{strict, `{"name":null,"count":1}`, "/name", "must be a string, got null"},
		{strict, `[1]`, "", "config must be an object, got an array"},
		{strict, `{"name":`, "", "config is not valid JSON"},
		{strict, `{} {}`, "", "more than one JSON value"},
		{sink, `{"name":"","count":1}`, "/name", "at least 1 characters"},
		{sink, `{"name":"x","count":1,"ratio":0}`, "/ratio", "must be > 0"},
		{sink, `{"name":"x","count":1,"tags":["a","b","c"]}`, "/tags", "at most 2 items"},
		{sink, `{"name":"x","count":1,"tags":["a",2]}`, "/tags/1", "must be a string"},
		{sink, `{"name":"x","count":1,"db":{}}`, "/db/host", "is required"},
		{sink, `{"name":"x","count":1,"db":{"host":"h","port":70000}}`, "/db/port", "≤ 65535"},
		{sink, `{"name":"x","count":1,"labels":{"a/b":1}}`, "/labels/a~1b", "must be a string"},
		{sink, `{"name":"x","count":1,"code":"abc"}`, "/code", "must match the pattern ^[A-Z]+$"},
		{sink, `{"name":"x","count":1,"NoTag":300}`, "/NoTag", "does not fit Go type uint8"},
		{sink, `{"name":"x","count":1,"NoTag":-1}`, "/NoTag", "must be ≥ 0"},
		{sink, `{"name":"x","count":1,"enabled":"yes"}`, "/enabled", "must be true or false"},
	} {
		_, err := c.codec.decode(c.raw)
		if err == nil {
			t.Errorf("%s: accepted", c.raw)
			continue
		}
		if err.Code != CodeInvalidConfig || err.Field != c.field || !strings.Contains(err.Message, c.message) {
			t.Errorf("%s: %s field %q %q; want field %q message containing %q", c.raw, err.Code, err.Field, err.Message, c.field, c.message)
		}
	}
}
