package cards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Feishu renders cards as card JSON 2.0 (shared/platforms/feishu.md §5):
//
//   - schema "2.0", config.update_multi true (a 2.0 card can only be
//     updated for everyone), the title as the chat-list summary;
//   - the header coloured by tone (blue, green, orange, red, grey);
//   - markdown and notes as markdown elements, dividers as hr;
//   - fields as column sets, short fields two to a row;
//   - tables as table elements at the root (never inside a form);
//   - buttons in a flowing column set, each with a callback behaviour whose
//     value is an object {"action": …, params…} (a string value breaks the
//     SDK's decoding), links as open_url;
//   - a form as the root form container: a label and an input per field,
//     names unique over the card, and a submit button with
//     form_action_type "submit" whose callback value carries the form's
//     action.
//
// The rendering is checked against Feishu's limits: at most 200 elements,
// 30 KB, 5 tables and 5 levels of nesting.

// FeishuSubmitName is the name of a form's submit button; a form field may
// not use it.
const FeishuSubmitName = "zg_submit"

// FeishuActionKey is the key of the action name in a button's callback
// value; a button param may not use it.
const FeishuActionKey = "action"

// Feishu's limits on one card.
const (
	FeishuMaxElements = 200
	FeishuMaxBytes    = 30 * 1024
	FeishuMaxTables   = 5
	FeishuMaxDepth    = 5
)

// feishuTemplates maps tones to header colours.
var feishuTemplates = map[Tone]string{
	ToneInfo:    "blue",
	ToneSuccess: "green",
	ToneWarning: "orange",
	ToneDanger:  "red",
	ToneNeutral: "grey",
}

type fsText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

type fsHeader struct {
	Title    fsText  `json:"title"`
	Subtitle *fsText `json:"subtitle,omitempty"`
	Template string  `json:"template"`
}

type fsConfig struct {
	UpdateMulti bool       `json:"update_multi"`
	WidthMode   string     `json:"width_mode,omitempty"`
	Summary     *fsSummary `json:"summary,omitempty"`
}

type fsSummary struct {
	Content string `json:"content"`
}

type fsBody struct {
	Elements []fsEl `json:"elements"`
}

type fsCard struct {
	Schema string   `json:"schema"`
	Config fsConfig `json:"config"`
	Header fsHeader `json:"header"`
	Body   fsBody   `json:"body"`
}

// fsEl is one component; a map keeps every component's own attributes
// explicit (2.0 refuses unknown ones) and marshals with sorted keys.
type fsEl = map[string]any

func plain(s string) fsText { return fsText{Tag: "plain_text", Content: s} }

// RenderFeishu returns c as card JSON 2.0. It fails when the card is
// invalid, uses a reserved name, or exceeds Feishu's limits.
func RenderFeishu(c *Card) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	fc := fsCard{
		Schema: "2.0",
		Config: fsConfig{UpdateMulti: true, WidthMode: "fill", Summary: &fsSummary{Content: c.Title}},
		Header: fsHeader{Title: plain(c.Title), Template: feishuTemplates[c.Tone]},
		Body:   fsBody{Elements: []fsEl{}},
	}
	if fc.Header.Template == "" {
		fc.Header.Template = "blue"
	}
	if c.Subtitle != "" {
		st := plain(c.Subtitle)
		fc.Header.Subtitle = &st
	}
	for i, b := range c.Blocks {
		els, err := feishuBlock(b)
		if err != nil {
			return nil, fmt.Errorf("%w: feishu: block %d: %w", ErrInvalid, i, err)
		}
		fc.Body.Elements = append(fc.Body.Elements, els...)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fc); err != nil {
		return nil, fmt.Errorf("cards: feishu: encode: %w", err)
	}
	out := bytes.TrimRight(buf.Bytes(), "\n")
	if err := checkFeishu(fc.Body.Elements, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

func feishuBlock(b Block) ([]fsEl, error) {
	switch {
	case b.Markdown != "":
		return []fsEl{{"tag": "markdown", "content": b.Markdown}}, nil
	case b.Note != "":
		return []fsEl{{"tag": "markdown", "content": "<font color='grey'>" + b.Note + "</font>", "text_size": "notation"}}, nil
	case b.Divider:
		return []fsEl{{"tag": "hr"}}, nil
	case len(b.Fields) > 0:
		return feishuFields(b.Fields), nil
	case b.Table != nil:
		return []fsEl{feishuTable(b.Table)}, nil
	case len(b.Buttons) > 0:
		cols := make([]fsEl, 0, len(b.Buttons))
		for _, btn := range b.Buttons {
			el, err := feishuButton(btn, "")
			if err != nil {
				return nil, err
			}
			cols = append(cols, fsEl{"tag": "column", "width": "auto", "elements": []fsEl{el}})
		}
		return []fsEl{{"tag": "column_set", "flex_mode": "flow", "horizontal_spacing": "8px", "columns": cols}}, nil
	case b.Form != nil:
		el, err := feishuForm(b.Form)
		if err != nil {
			return nil, err
		}
		return []fsEl{el}, nil
	}
	return nil, nil
}

// feishuFields lays fields out as column sets: consecutive short fields two
// to a row, a long field alone.
func feishuFields(fields []Field) []fsEl {
	var out []fsEl
	cell := func(f Field) fsEl {
		return fsEl{"tag": "column", "width": "weighted", "weight": 1, "vertical_align": "top",
			"elements": []fsEl{{"tag": "markdown", "content": "**" + f.Label + "**\n" + f.Value}}}
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		cols := []fsEl{cell(f)}
		if f.Short && i+1 < len(fields) && fields[i+1].Short {
			cols = append(cols, cell(fields[i+1]))
			i++
		}
		out = append(out, fsEl{"tag": "column_set", "flex_mode": "none", "horizontal_spacing": "12px", "columns": cols})
	}
	return out
}

func feishuTable(t *Table) fsEl {
	cols := make([]fsEl, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = fsEl{"name": fmt.Sprintf("c%d", i), "display_name": c, "data_type": "lark_md", "width": "auto"}
	}
	rows := make([]map[string]string, len(t.Rows))
	for r, row := range t.Rows {
		m := make(map[string]string, len(row))
		for i, v := range row {
			m[fmt.Sprintf("c%d", i)] = v
		}
		rows[r] = m
	}
	return fsEl{"tag": "table", "page_size": max(1, min(10, len(t.Rows))), "row_height": "low",
		"header_style": fsEl{"bold": true, "background_style": "grey", "text_align": "left"},
		"columns":      cols, "rows": rows}
}

// FeishuValue is the callback value of a button: the action under
// FeishuActionKey and the params beside it.
func FeishuValue(action string, params map[string]string) (map[string]string, error) {
	v := make(map[string]string, len(params)+1)
	for k, p := range params {
		if k == FeishuActionKey {
			return nil, fmt.Errorf("param name %q is reserved", k)
		}
		v[k] = p
	}
	v[FeishuActionKey] = action
	return v, nil
}

func feishuButton(btn Button, name string) (fsEl, error) {
	el := fsEl{"tag": "button", "text": plain(btn.Text), "type": "default"}
	switch btn.Style {
	case StylePrimary:
		el["type"] = "primary"
	case StyleDanger:
		el["type"] = "danger"
	}
	if btn.URL != "" && btn.Action == "" {
		el["behaviors"] = []fsEl{{"type": "open_url", "default_url": btn.URL}}
	} else {
		v, err := FeishuValue(btn.Action, btn.Params)
		if err != nil {
			return nil, fmt.Errorf("button %q: %w", btn.Text, err)
		}
		el["behaviors"] = []fsEl{{"type": "callback", "value": v}}
	}
	if btn.Confirm != "" {
		el["confirm"] = fsEl{"title": plain("请确认"), "text": plain(btn.Confirm)}
	}
	if name != "" {
		el["name"] = name
		el["form_action_type"] = "submit"
	}
	return el, nil
}

func feishuForm(f *Form) (fsEl, error) {
	var els []fsEl
	for _, ff := range f.Fields {
		if ff.Name == FeishuSubmitName {
			return nil, fmt.Errorf("form field name %q is reserved", ff.Name)
		}
		label := "**" + ff.Label + "**"
		if ff.Required {
			label += " <font color='red'>*</font>"
		}
		els = append(els, fsEl{"tag": "markdown", "content": label})
		in, err := feishuInput(ff)
		if err != nil {
			return nil, err
		}
		els = append(els, in)
	}
	submit, err := feishuButton(f.Submit, FeishuSubmitName)
	if err != nil {
		return nil, err
	}
	if f.Submit.Style == StyleDefault {
		submit["type"] = "primary"
	}
	els = append(els, submit)
	name := f.Name
	if name == "" {
		name = "form"
	}
	return fsEl{"tag": "form", "name": name, "elements": els}, nil
}

func feishuInput(ff FormField) (fsEl, error) {
	placeholder := ff.Placeholder
	el := fsEl{"name": ff.Name, "required": ff.Required, "width": "fill"}
	options := func() []fsEl {
		out := make([]fsEl, len(ff.Options))
		for i, o := range ff.Options {
			out[i] = fsEl{"text": plain(o.Label), "value": o.Value}
		}
		return out
	}
	switch ff.Kind {
	case KindText, KindLongText, "":
		el["tag"] = "input"
		if placeholder == "" {
			placeholder = "请输入" + ff.Label
		}
		if ff.Default != "" {
			el["default_value"] = ff.Default
		}
		maxLen := 1000
		if ff.MaxLen > 0 && ff.MaxLen < maxLen {
			maxLen = ff.MaxLen
		}
		el["max_length"] = maxLen
		if ff.Kind == KindLongText {
			el["input_type"] = "multiline_text"
			el["rows"] = 3
			el["auto_resize"] = true
			el["max_rows"] = 8
		}
	case KindSelect:
		el["tag"] = "select_static"
		el["options"] = options()
		if ff.Default != "" {
			el["initial_option"] = ff.Default
		}
	case KindMultiSelect:
		el["tag"] = "multi_select_static"
		el["options"] = options()
		if ff.Default != "" {
			el["selected_values"] = strings.Split(ff.Default, ",")
		}
	case KindDate:
		el["tag"] = "date_picker"
		if d, err := ParseDate(ff.Default); err == nil {
			el["initial_date"] = d.Format(DateLayout)
		}
		if placeholder == "" {
			placeholder = "请选择日期"
		}
	case KindPerson:
		if len(ff.Options) > 0 {
			// Named choices whose values are ours, not open_ids: a select
			// keeps them as they are.
			el["tag"] = "select_static"
			el["options"] = options()
			if ff.Default != "" {
				el["initial_option"] = ff.Default
			}
		} else {
			// No choices: anyone in the chat; the value is an open_id.
			el["tag"] = "select_person"
		}
	default:
		return nil, fmt.Errorf("field %q: unknown kind %q", ff.Name, ff.Kind)
	}
	if placeholder == "" {
		placeholder = "请选择"
	}
	el["placeholder"] = plain(placeholder)
	return el, nil
}

// checkFeishu counts components, tables and nesting of a rendered body.
func checkFeishu(els []fsEl, size int) error {
	count, tables, depth := 0, 0, 0
	var walk func(els []fsEl, level int)
	walk = func(els []fsEl, level int) {
		depth = max(depth, level)
		for _, el := range els {
			count++
			if el["tag"] == "table" {
				tables++
			}
			if kids, ok := el["elements"].([]fsEl); ok {
				walk(kids, level+1)
			}
			if cols, ok := el["columns"].([]fsEl); ok && el["tag"] == "column_set" {
				walk(cols, level+1)
			}
		}
	}
	walk(els, 1)
	switch {
	case count > FeishuMaxElements:
		return fmt.Errorf("%w: feishu: %d elements, limit %d", ErrInvalid, count, FeishuMaxElements)
	case tables > FeishuMaxTables:
		return fmt.Errorf("%w: feishu: %d tables, limit %d", ErrInvalid, tables, FeishuMaxTables)
	case depth > FeishuMaxDepth:
		return fmt.Errorf("%w: feishu: nesting %d, limit %d", ErrInvalid, depth, FeishuMaxDepth)
	case size > FeishuMaxBytes:
		return fmt.Errorf("%w: feishu: %d bytes, limit %d", ErrInvalid, size, FeishuMaxBytes)
	}
	return nil
}
