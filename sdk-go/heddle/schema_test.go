package heddle

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

type nested struct {
	Host string `json:"host" heddle:"required"`
	Port int    `json:"port" heddle:"default=5432,minimum=1,maximum=65535"`
}

type kitchenSink struct {
	StepConfig[*int]
	Name     string            `json:"name" heddle:"required,minLength=1" description:"who"`
	Count    int64             `json:"count" heddle:"required,minimum=1"`
	Mode     string            `json:"mode,omitempty" heddle:"enum=a|b,default=a"`
	Ratio    float64           `json:"ratio" heddle:"exclusiveMinimum=0,maximum=1"`
	Enabled  bool              `json:"enabled"`
	Tags     []string          `json:"tags" heddle:"maxItems=2"`
	Labels   map[string]string `json:"labels"`
	DB       nested            `json:"db"`
	Optional *int              `json:"optional"`
	Code     string            `json:"code" pattern:"^[A-Z]+$"`
	When     time.Time         `json:"when"`
	Raw      json.RawMessage   `json:"raw"`
	Ignored  string            `json:"-"`
	hidden   string
	NoTag    uint8
}

func TestSchemaFromStructTags(t *testing.T) {
	got, _ := schemaFor(reflect.TypeOf(kitchenSink{})).MarshalJSON()
	want := `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{` +
		`"name":{"type":"string","description":"who","minLength":1},` +
		`"count":{"type":"integer","minimum":1},` +
		`"mode":{"type":"string","enum":["a","b"],"default":"a"},` +
		`"ratio":{"type":"number","maximum":1,"exclusiveMinimum":0},` +
		`"enabled":{"type":"boolean"},` +
		`"tags":{"type":"array","items":{"type":"string"},"maxItems":2},` +
		`"labels":{"type":"object","properties":{},"additionalProperties":{"type":"string"}},` +
		`"db":{"type":"object","properties":{"host":{"type":"string"},"port":{"type":"integer","minimum":1,"maximum":65535,"default":5432}},"required":["host"],"additionalProperties":false},` +
		`"optional":{"type":"integer"},` +
		`"code":{"type":"string","pattern":"^[A-Z]+$"},` +
		`"when":{"type":"string","format":"date-time"},` +
		`"raw":{},` +
		`"NoTag":{"type":"integer","minimum":0}` +
		`},"required":["name","count"],"additionalProperties":false}`
	if string(got) != want {
		t.Fatalf("schema\n got  %s\n want %s", got, want)
	}
	var parsed map[string]any
	if err := json.Unmarshal(got, &parsed); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
}

func TestEmptyConfigSchema(t *testing.T) {
	got, _ := schemaFor(reflect.TypeOf(struct{}{})).MarshalJSON()
	if want := `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{},"additionalProperties":false}`; string(got) != want {
		t.Fatalf("got %s", got)
	}
}

func TestSchemaRejectsBadTypesAndTags(t *testing.T) {
	type recursive struct {
		Next *recursive `json:"next"`
	}
	for name, typ := range map[string]reflect.Type{
		"not an object": reflect.TypeOf(""),
		"channel":       reflect.TypeOf(struct{ C chan int }{}),
		"recursive":     reflect.TypeOf(recursive{}),
		"int map keys":  reflect.TypeOf(struct{ M map[int]string }{}),
		"unknown tag key": reflect.TypeOf(struct {
			A string `heddle:"requird"`
		}{}),
		"bad minimum": reflect.TypeOf(struct {
			A int `heddle:"minimum=x"`
		}{}),
		"bad default": reflect.TypeOf(struct {
			A int `heddle:"default=x"`
		}{}),
		"default ∉ enum": reflect.TypeOf(struct {
			A string `heddle:"enum=a|b,default=c"`
		}{}),
		"required+default": reflect.TypeOf(struct {
			A string `heddle:"required,default=a"`
		}{}),
		"bad pattern": reflect.TypeOf(struct {
			A string `pattern:"("`
		}{}),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.HasPrefix(r.(string), "heddle: config type") {
					t.Fatalf("want a panic naming the config type, got %v", r)
				}
			}()
			schemaFor(typ)
		})
	}
}
