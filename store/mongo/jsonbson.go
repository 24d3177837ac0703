package mongo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// Metadata and AppMetadata are stored as embedded documents, so filters
// and orders can reach into them. Conversion keeps the keys' order;
// numbers become int64 when they are integers that fit, else doubles, and
// come back as JSON equal by value (1.0 reads back as 1). Keys are checked
// upstream (store.ValidateObject: no '.', no leading '$').

// objectToBSON converts a JSON object (nil: {}) to a BSON document.
func objectToBSON(raw json.RawMessage) (bson.Raw, error) {
	if len(raw) == 0 {
		raw = json.RawMessage(`{}`)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, store.Invalidf("metadata is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, store.Invalidf("metadata has trailing data")
	}
	d, ok := v.(bson.D)
	if !ok {
		return nil, store.Invalidf("metadata must be a JSON object")
	}
	out, err := bson.Marshal(d)
	if err != nil {
		return nil, store.Invalidf("metadata cannot be stored")
	}
	return out, nil
}

// decodeValue reads one JSON value as bson.D, bson.A or a scalar.
func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return decodeObject(dec)
		}
		if t == '[' {
			return decodeArray(dec)
		}
		return nil, errors.New("unexpected delimiter")
	case json.Number:
		return bsonNumber(t)
	}
	return tok, nil // string, bool or nil
}

func decodeObject(dec *json.Decoder) (bson.D, error) {
	d := bson.D{}
	index := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		v, err := decodeValue(dec)
		if err != nil {
			return nil, err
		}
		// A repeated key keeps its first place and its last value, as
		// encoding/json decodes it; BSON must not hold it twice.
		if i, seen := index[key]; seen {
			d[i].Value = v
			continue
		}
		index[key] = len(d)
		d = append(d, bson.E{Key: key, Value: v})
	}
	_, err := dec.Token() // '}'
	return d, err
}

func decodeArray(dec *json.Decoder) (bson.A, error) {
	a := bson.A{}
	for dec.More() {
		v, err := decodeValue(dec)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	_, err := dec.Token() // ']'
	return a, err
}

// bsonNumber is an int64 for integer literals that fit, else a double.
func bsonNumber(n json.Number) (any, error) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, errors.New("number out of range")
	}
	return f, nil
}

// bsonToJSON converts a stored document back to JSON ({} when absent).
func bsonToJSON(raw bson.Raw) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage(`{}`), nil
	}
	var b bytes.Buffer
	if err := writeDocument(&b, raw); err != nil {
		return nil, &fault{op: "decode metadata", err: err}
	}
	return json.RawMessage(b.Bytes()), nil
}

func writeDocument(b *bytes.Buffer, raw bson.Raw) error {
	elems, err := raw.Elements()
	if err != nil {
		return err
	}
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, e.Key())
		b.WriteByte(':')
		if err := writeValue(b, e.Value()); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeValue(b *bytes.Buffer, v bson.RawValue) error {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		return writeDocument(b, v.Document())
	case bson.TypeArray:
		vals, err := v.Array().Values()
		if err != nil {
			return err
		}
		b.WriteByte('[')
		for i, e := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValue(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case bson.TypeString:
		writeString(b, v.StringValue())
	case bson.TypeInt32:
		b.WriteString(strconv.FormatInt(int64(v.Int32()), 10))
	case bson.TypeInt64:
		b.WriteString(strconv.FormatInt(v.Int64(), 10))
	case bson.TypeDouble:
		f, err := json.Marshal(v.Double())
		if err != nil {
			return err
		}
		b.Write(f)
	case bson.TypeBoolean:
		b.WriteString(strconv.FormatBool(v.Boolean()))
	default:
		// null, and types usergraph never writes (someone edited the
		// document by hand): null rather than a document that breaks.
		b.WriteString("null")
	}
	return nil
}

// writeString writes s as a JSON string without HTML escaping.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}
