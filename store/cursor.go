package store

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// SortValue is the value of one order key for one user. Time fields fill
// Time; USERNAME and EMAIL fill Str (the key); the JSON fields fill Type and,
// for numbers, strings and booleans, Num, Str or Bool. Objects, arrays, null
// and missing values compare equal within their type (the id decides).
type SortValue struct {
	Time time.Time `json:"t,omitzero"`
	Type JSONType  `json:"y,omitempty"`
	Num  float64   `json:"n,omitempty"`
	Str  string    `json:"s,omitempty"`
	Bool bool      `json:"b,omitempty"`
}

// Cursor is a position in an ordered listing: the sort values of the last
// user seen and its id. Backends continue strictly after it.
type Cursor struct {
	Values []SortValue `json:"v"`
	ID     string      `json:"i"`
}

// CursorOf returns the position of u in a listing ordered by order (empty
// order: DefaultOrder). It is computed from the record alone, so any backend's
// page yields the same cursor.
func CursorOf(u *User, order []UserOrder) *Cursor {
	if len(order) == 0 {
		order = DefaultOrder
	}
	c := &Cursor{ID: u.ID, Values: make([]SortValue, len(order))}
	for i, o := range order {
		c.Values[i] = sortValue(u, o)
	}
	return c
}

func sortValue(u *User, o UserOrder) SortValue {
	switch o.Field {
	case OrderCreatedAt:
		return SortValue{Time: u.CreatedAt}
	case OrderUpdatedAt:
		return SortValue{Time: u.UpdatedAt}
	case OrderLastLoginAt:
		return SortValue{Time: u.LastLoginAt}
	case OrderLastRequestAt:
		return SortValue{Time: u.LastRequestAt}
	case OrderUsername:
		return SortValue{Str: u.UsernameKey}
	case OrderEmail:
		return SortValue{Str: u.EmailKey}
	case OrderMetadata, OrderAppMetadata:
		doc := u.Metadata
		if o.Field == OrderAppMetadata {
			doc = u.AppMetadata
		}
		path, _ := ParsePath(o.Path)
		v, _ := LookupPath(doc, path)
		return jsonSortValue(v)
	}
	return SortValue{}
}

func jsonSortValue(v any) SortValue {
	sv := SortValue{Type: TypeOf(v)}
	switch sv.Type {
	case TypeNumber:
		sv.Num = Float(v)
	case TypeString:
		sv.Str = v.(string)
	case TypeBool:
		sv.Bool = v.(bool)
	}
	return sv
}

// Encode returns the cursor as an opaque URL-safe string.
func (c *Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a string made by Encode for a listing ordered by
// order. It returns ErrInvalid if s is malformed or from a different order.
func DecodeCursor(s string, order []UserOrder) (*Cursor, error) {
	if len(order) == 0 {
		order = DefaultOrder
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, Invalidf("malformed cursor")
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || len(c.Values) != len(order) {
		return nil, Invalidf("cursor does not belong to this order")
	}
	for i := range c.Values {
		c.Values[i].Time = Trunc(c.Values[i].Time)
		if c.Values[i].Type < TypeNull || c.Values[i].Type > TypeBool {
			return nil, Invalidf("malformed cursor")
		}
	}
	return &c, nil
}
