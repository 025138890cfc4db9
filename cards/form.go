package cards

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Values are the values of a submitted form: one string per field, several
// for a multi-select.
type Values map[string][]string

// Get returns the first value of name, or "".
func (v Values) Get(name string) string {
	if len(v[name]) == 0 {
		return ""
	}
	return v[name][0]
}

// Set replaces the values of name.
func (v Values) Set(name string, vals ...string) { v[name] = vals }

// DateLayout is how dates travel in form values and params.
const DateLayout = "2006-01-02"

// FieldError is a problem with one submitted field, in words a user reads.
type FieldError struct {
	Field   string
	Message string
}

// Check validates submitted values against the form: required fields,
// options of selects, dates, lengths. It returns the problems in the form's
// field order, with messages in Chinese; none means the values are usable.
// Values are trimmed in place.
func (f *Form) Check(v Values) []FieldError {
	var errs []FieldError
	for _, ff := range f.Fields {
		vals := v[ff.Name]
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		vals = slices.DeleteFunc(vals, func(s string) bool { return s == "" })
		v[ff.Name] = vals
		if len(vals) == 0 {
			if ff.Required {
				errs = append(errs, FieldError{ff.Name, fmt.Sprintf("请填写“%s”", ff.Label)})
			}
			continue
		}
		switch ff.Kind {
		case KindSelect, KindMultiSelect:
			if ff.Kind == KindSelect && len(vals) > 1 {
				errs = append(errs, FieldError{ff.Name, fmt.Sprintf("“%s”只能选一项", ff.Label)})
				continue
			}
			for _, val := range vals {
				if !slices.ContainsFunc(ff.Options, func(o Option) bool { return o.Value == val }) {
					errs = append(errs, FieldError{ff.Name, fmt.Sprintf("“%s”的选项“%s”无效", ff.Label, val)})
					break
				}
			}
		case KindDate:
			if _, err := ParseDate(vals[0]); err != nil {
				errs = append(errs, FieldError{ff.Name, fmt.Sprintf("“%s”不是有效日期，请按 2023-06-30 的格式填写", ff.Label)})
			}
		case KindText, KindLongText:
			if ff.MaxLen > 0 && RuneLen(vals[0]) > ff.MaxLen {
				errs = append(errs, FieldError{ff.Name, fmt.Sprintf("“%s”不能超过 %d 字", ff.Label, ff.MaxLen)})
			}
		}
	}
	return errs
}

// ParseDate reads a date as users and platforms write it: 2023-06-30,
// 2023/6/30, 2023年6月30日, or Feishu's "2023-06-30 +0800".
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ' '); i > 0 {
		s = s[:i]
	}
	s = strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-").Replace(s)
	for _, layout := range []string{"2006-01-02", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cards: bad date %q", s)
}

// OptionLabel returns the label of the option with value v, or v itself.
func (ff *FormField) OptionLabel(v string) string {
	for _, o := range ff.Options {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}
