// Package cards holds the platform-neutral card model that handlers build and
// one renderer per platform turns into that platform's wire format.
//
// A Card is a header (title and tone) and an ordered list of blocks. Each
// Block holds exactly one kind of content: markdown, fields, a table, a row of
// buttons, a divider or a form. The model is plain data with JSON tags so that
// a card can be stored (outbound deliveries, the simulator's history) and read
// back unchanged.
package cards

// Tone is the colour of a card's header; each renderer maps it to the
// nearest colour its platform offers.
type Tone string

// Tones, from calm to alarming.
const (
	ToneInfo    Tone = "info"    // blue: neutral information, forms
	ToneSuccess Tone = "success" // green: done, approved
	ToneWarning Tone = "warning" // orange: due soon, waiting for approval
	ToneDanger  Tone = "danger"  // red: overdue, rejected
	ToneNeutral Tone = "neutral" // grey: closed, stale
)

// Card is one interactive message. The zero Card is empty and invalid: it
// needs at least a title.
type Card struct {
	Title string `json:"title"`
	// Subtitle is an optional second header line.
	Subtitle string  `json:"subtitle,omitempty"`
	Tone     Tone    `json:"tone,omitempty"`
	Blocks   []Block `json:"blocks,omitempty"`
}

// Block is one piece of a card's body. Exactly one of its fields is set.
type Block struct {
	Markdown string   `json:"markdown,omitempty"`
	Fields   []Field  `json:"fields,omitempty"`
	Table    *Table   `json:"table,omitempty"`
	Buttons  []Button `json:"buttons,omitempty"`
	Form     *Form    `json:"form,omitempty"`
	Divider  bool     `json:"divider,omitempty"`
	// Note is small grey text, such as a footer or a timestamp.
	Note string `json:"note,omitempty"`
}

// Field is a label and a value shown side by side.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
	// Short fields may be laid out two per row.
	Short bool `json:"short,omitempty"`
}

// Table is a small grid of text. Renderers that have no table component
// render it as markdown lines.
type Table struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// ButtonStyle tells a renderer how prominent a button is.
type ButtonStyle string

// Button styles.
const (
	StyleDefault ButtonStyle = ""
	StylePrimary ButtonStyle = "primary"
	StyleDanger  ButtonStyle = "danger"
)

// Button is a clickable action. When clicked, the bot receives a card action
// named Action with Params; the params carry everything the action acts on
// (item, period, request, card version), so the server never guesses.
type Button struct {
	Text   string            `json:"text"`
	Action string            `json:"action"`
	Params map[string]string `json:"params,omitempty"`
	Style  ButtonStyle       `json:"style,omitempty"`
	// Confirm, when set, asks the user to confirm with this text first.
	Confirm string `json:"confirm,omitempty"`
	// URL makes the button a link instead of an action.
	URL string `json:"url,omitempty"`
	// Command is the text that, typed, does what the button does, when the
	// label alone does not say what it acts on ("申请销号 LB-2026-001" for
	// 申请销号 on an item's card); empty when Text says it all. Renderers
	// that cannot call back (DingTalk without templates) send Typed().
	Command string `json:"command,omitempty"`
}

// Typed returns the text that, typed, does what b does: Command, or Text.
func (b Button) Typed() string {
	if b.Command != "" {
		return b.Command
	}
	return b.Text
}

// FieldKind is the kind of input of a form field.
type FieldKind string

// Form field kinds.
const (
	KindText        FieldKind = "text"
	KindLongText    FieldKind = "long_text"
	KindSelect      FieldKind = "select"
	KindMultiSelect FieldKind = "multi_select"
	KindDate        FieldKind = "date"
	KindPerson      FieldKind = "person"
)

// Option is one choice of a select field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// FormField is one input of a form.
type FormField struct {
	Name        string    `json:"name"`
	Label       string    `json:"label"`
	Kind        FieldKind `json:"kind"`
	Required    bool      `json:"required,omitempty"`
	Placeholder string    `json:"placeholder,omitempty"`
	// Options are the choices of select, multi-select and person fields.
	Options []Option `json:"options,omitempty"`
	// Default is the initial value; for a multi-select, values joined by ",".
	Default string `json:"default,omitempty"`
	// MaxLen limits text input in characters; zero means the platform's limit.
	MaxLen int `json:"max_len,omitempty"`
}

// Form is a set of inputs submitted together. On submit the bot receives a
// card action named Submit.Action with Submit.Params and the form values.
type Form struct {
	Name   string      `json:"name"`
	Fields []FormField `json:"fields"`
	Submit Button      `json:"submit"`
}

// MD returns a markdown block.
func MD(text string) Block { return Block{Markdown: text} }

// FieldsBlock returns a block of fields.
func FieldsBlock(f ...Field) Block { return Block{Fields: f} }

// ButtonsBlock returns a row of buttons.
func ButtonsBlock(b ...Button) Block { return Block{Buttons: b} }

// NoteBlock returns a block of small text.
func NoteBlock(text string) Block { return Block{Note: text} }

// DividerBlock returns a horizontal rule.
func DividerBlock() Block { return Block{Divider: true} }

// FormBlock returns a block holding f.
func FormBlock(f *Form) Block { return Block{Form: f} }

// TableBlock returns a block holding t.
func TableBlock(t *Table) Block { return Block{Table: t} }

// Form returns the card's first form, or nil.
func (c *Card) Form() *Form {
	for i := range c.Blocks {
		if c.Blocks[i].Form != nil {
			return c.Blocks[i].Form
		}
	}
	return nil
}

// Buttons returns every button of the card, in order, not counting form
// submit buttons.
func (c *Card) Buttons() []Button {
	var out []Button
	for _, b := range c.Blocks {
		out = append(out, b.Buttons...)
	}
	return out
}

// Field returns the form field named name, or nil.
func (f *Form) Field(name string) *FormField {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i]
		}
	}
	return nil
}
