package cards

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("cards: invalid card")

// Limits are a platform's documented limits on one card. A zero limit means
// "no limit known".
type Limits struct {
	Platform string
	// MaxBytes limits the rendered card's size.
	MaxBytes int
	// MaxElements limits the number of components (blocks, fields, buttons,
	// form inputs) counted over the whole card.
	MaxElements int
	MaxTables   int
	MaxButtons  int
	// MaxTextBytes limits one markdown or note block.
	MaxTextBytes int
	// MaxSelects limits select and multi-select inputs of one card.
	MaxSelects int
	// MaxOptions limits the options of one select.
	MaxOptions int
	// Forms tells whether the platform has form inputs; when false a form is
	// rendered as a button that starts a dialog, so it is not counted.
	Forms bool
}

// Platform limits, from shared/platforms/*.md.
var (
	FeishuLimits   = Limits{Platform: "feishu", MaxBytes: 30 * 1024, MaxElements: 200, MaxTables: 5, Forms: true}
	DingTalkLimits = Limits{Platform: "dingtalk", MaxBytes: 0, MaxElements: 0, MaxTextBytes: 1024 * 8, Forms: true}
	WeComLimits    = Limits{Platform: "wecom", MaxButtons: 6, MaxTextBytes: 2048, MaxSelects: 3, MaxOptions: 10, Forms: false}
	SimLimits      = Limits{Platform: "sim", MaxElements: 500, Forms: true}
)

// Validate checks the model's own rules: a title, one kind of content per
// block, unique form field names, options on selects, an action on every
// button.
func (c *Card) Validate() error {
	if c.Title == "" {
		return fmt.Errorf("%w: no title", ErrInvalid)
	}
	forms := 0
	for i, b := range c.Blocks {
		n := 0
		for _, set := range []bool{b.Markdown != "", len(b.Fields) > 0, b.Table != nil, len(b.Buttons) > 0, b.Form != nil, b.Divider, b.Note != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%w: block %d holds %d kinds of content", ErrInvalid, i, n)
		}
		for _, btn := range b.Buttons {
			if btn.Text == "" || (btn.Action == "" && btn.URL == "") {
				return fmt.Errorf("%w: block %d: button without text or action", ErrInvalid, i)
			}
		}
		if b.Table != nil {
			for r, row := range b.Table.Rows {
				if len(row) != len(b.Table.Columns) {
					return fmt.Errorf("%w: block %d: table row %d has %d cells for %d columns", ErrInvalid, i, r, len(row), len(b.Table.Columns))
				}
			}
		}
		if f := b.Form; f != nil {
			forms++
			if f.Submit.Action == "" || f.Submit.Text == "" {
				return fmt.Errorf("%w: form %q has no submit action", ErrInvalid, f.Name)
			}
			seen := map[string]bool{}
			for _, ff := range f.Fields {
				if ff.Name == "" || seen[ff.Name] {
					return fmt.Errorf("%w: form %q: empty or repeated field name %q", ErrInvalid, f.Name, ff.Name)
				}
				seen[ff.Name] = true
				if (ff.Kind == KindSelect || ff.Kind == KindMultiSelect) && len(ff.Options) == 0 {
					return fmt.Errorf("%w: form %q: select %q has no options", ErrInvalid, f.Name, ff.Name)
				}
			}
		}
	}
	if forms > 1 {
		return fmt.Errorf("%w: %d forms in one card", ErrInvalid, forms)
	}
	return nil
}

// CheckLimits validates c and checks it against l. rendered is the card as
// the platform's renderer produced it (nil to skip the size check).
func (c *Card) CheckLimits(l Limits, rendered []byte) error {
	if err := c.Validate(); err != nil {
		return err
	}
	elements, tables, buttons, selects := 1, 0, 0, 0
	for i, b := range c.Blocks {
		elements++
		elements += len(b.Fields)
		elements += len(b.Buttons)
		buttons += len(b.Buttons)
		if b.Table != nil {
			tables++
		}
		for _, text := range []string{b.Markdown, b.Note} {
			if l.MaxTextBytes > 0 && len(text) > l.MaxTextBytes {
				return fmt.Errorf("%w: %s: block %d text is %d bytes, limit %d", ErrInvalid, l.Platform, i, len(text), l.MaxTextBytes)
			}
		}
		if f := b.Form; f != nil {
			if !l.Forms {
				buttons++
				continue
			}
			elements += len(f.Fields) + 1
			for _, ff := range f.Fields {
				if ff.Kind == KindSelect || ff.Kind == KindMultiSelect || ff.Kind == KindPerson {
					selects++
					if l.MaxOptions > 0 && len(ff.Options) > l.MaxOptions {
						return fmt.Errorf("%w: %s: select %q has %d options, limit %d", ErrInvalid, l.Platform, ff.Name, len(ff.Options), l.MaxOptions)
					}
				}
			}
		}
	}
	switch {
	case l.MaxElements > 0 && elements > l.MaxElements:
		return fmt.Errorf("%w: %s: %d elements, limit %d", ErrInvalid, l.Platform, elements, l.MaxElements)
	case l.MaxTables > 0 && tables > l.MaxTables:
		return fmt.Errorf("%w: %s: %d tables, limit %d", ErrInvalid, l.Platform, tables, l.MaxTables)
	case l.MaxButtons > 0 && buttons > l.MaxButtons:
		return fmt.Errorf("%w: %s: %d buttons, limit %d", ErrInvalid, l.Platform, buttons, l.MaxButtons)
	case l.MaxSelects > 0 && selects > l.MaxSelects:
		return fmt.Errorf("%w: %s: %d selects, limit %d", ErrInvalid, l.Platform, selects, l.MaxSelects)
	case l.MaxBytes > 0 && len(rendered) > l.MaxBytes:
		return fmt.Errorf("%w: %s: %d bytes, limit %d", ErrInvalid, l.Platform, len(rendered), l.MaxBytes)
	}
	return nil
}

// Size returns the length of c's neutral JSON, a cheap upper bound used
// before rendering.
func (c *Card) Size() int {
	b, _ := json.Marshal(c)
	return len(b)
}

// RuneLen returns the number of characters of s.
func RuneLen(s string) int { return utf8.RuneCountInString(s) }
