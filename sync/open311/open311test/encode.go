package open311test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strconv"
)

// The server builds every answer once as a small tree and renders it as
// JSON or XML, so both formats always say the same thing.

// field is one named member of an object (one child element in XML).
type field struct {
	key string
	val any // string, number, boolean, null, object, list
}

// object is a JSON object or an XML element with children, members in order.
type object []field

// list is a JSON array or an XML element holding repeated item elements.
type list struct {
	item  string // the XML name of each element
	elems []any
}

// number is written bare in JSON (an id sent as a number, a coordinate).
type number string

// boolean is written true/false (or "true"/"false" under BoolsAsStrings).
type boolean bool

// null is JSON null and an empty XML element.
type null struct{}

// document is an answer: the XML root name and the tree.
type document struct {
	root string
	body any // object or list
}

// renderJSON writes the tree as JSON. boolStrings writes booleans as strings.
func renderJSON(d document, boolStrings bool) []byte {
	var b bytes.Buffer
	writeJSON(&b, d.body, boolStrings)
	b.WriteByte('\n')
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any, boolStrings bool) {
	switch v := v.(type) {
	case object:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, f.key)
			b.WriteByte(':')
			writeJSON(b, f.val, boolStrings)
		}
		b.WriteByte('}')
	case list:
		b.WriteByte('[')
		for i, e := range v.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e, boolStrings)
		}
		b.WriteByte(']')
	case string:
		writeJSONString(b, v)
	case number:
		b.WriteString(string(v))
	case boolean:
		s := strconv.FormatBool(bool(v))
		if boolStrings {
			s = `"` + s + `"`
		}
		b.WriteString(s)
	case int:
		b.WriteString(strconv.Itoa(v))
	case null, nil:
		b.WriteString("null")
	default:
		panic("open311test: cannot render a " + strconv.Quote(typeName(v)))
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

// renderXML writes the tree as an XML document under d.root.
func renderXML(d document) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	writeXML(&b, d.root, d.body)
	b.WriteByte('\n')
	return b.Bytes()
}

func writeXML(b *bytes.Buffer, name string, v any) {
	switch v := v.(type) {
	case null, nil:
		b.WriteString("<" + name + "/>")
		return
	case list:
		if len(v.elems) == 0 {
			b.WriteString("<" + name + "/>")
			return
		}
	}
	b.WriteString("<" + name + ">")
	switch v := v.(type) {
	case object:
		for _, f := range v {
			writeXML(b, f.key, f.val)
		}
	case list:
		for _, e := range v.elems {
			writeXML(b, v.item, e)
		}
	case string:
		_ = xml.EscapeText(b, []byte(v)) // a bytes.Buffer never fails
	case number:
		_ = xml.EscapeText(b, []byte(v))
	case boolean:
		b.WriteString(strconv.FormatBool(bool(v)))
	case int:
		b.WriteString(strconv.Itoa(v))
	default:
		panic("open311test: cannot render a " + strconv.Quote(typeName(v)))
	}
	b.WriteString("</" + name + ">")
}

func typeName(v any) string {
	switch v.(type) {
	case float64, float32:
		return "float (use number)"
	case bool:
		return "bool (use boolean)"
	}
	return "value of an unexpected type"
}
