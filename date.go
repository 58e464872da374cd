package fedmatch

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date that may be partial: "1974", "1974-08" or
// "1974-08-15". Agencies often hold only a year or a month of birth, so
// dates of birth stay partial; dates that drive retention must be full.
type Date string

// ParseDate checks s is a (possibly partial) ISO 8601 calendar date.
func ParseDate(s string) (Date, error) {
	d := Date(s)
	if err := d.Validate(); err != nil {
		return "", err
	}
	return d, nil
}

// Validate reports whether d is empty or a well-formed date.
func (d Date) Validate() error {
	switch len(d) {
	case 0:
		return nil
	case 4, 7, 10:
		layout := [...]string{4: "2006", 7: "2006-01", 10: "2006-01-02"}[len(d)]
		if _, err := time.Parse(layout, string(d)); err != nil {
			return fmt.Errorf("date %q is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)", string(d))
		}
		return nil
	default:
		return fmt.Errorf("date %q is not YYYY, YYYY-MM or YYYY-MM-DD", string(d))
	}
}

// UnmarshalJSON accepts a JSON string holding a valid date.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a string: %w", err)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Full reports whether d names a single day.
func (d Date) Full() bool { return len(d) == 10 }

// Year returns the year part, or "" when d is empty.
func (d Date) Year() string {
	if len(d) < 4 {
		return ""
	}
	return string(d[:4])
}

// Month returns the month part ("08"), or "".
func (d Date) Month() string {
	if len(d) < 7 {
		return ""
	}
	return string(d[5:7])
}

// Day returns the day part ("15"), or "".
func (d Date) Day() string {
	if len(d) < 10 {
		return ""
	}
	return string(d[8:10])
}

// Time returns the first instant of d in UTC; ok is false unless d is full.
func (d Date) Time() (t time.Time, ok bool) {
	if !d.Full() {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", string(d))
	return t, err == nil
}

// EndTime returns the first instant after d, so that "valid until d"
// includes all of day d; ok is false unless d is full.
func (d Date) EndTime() (t time.Time, ok bool) {
	t, ok = d.Time()
	if !ok {
		return t, false
	}
	return t.AddDate(0, 0, 1), true
}
