package cards

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// DingTalk renders a card for our two card-platform templates (their JSON
// is in deploy/dingtalk/): cardParamMap is a map of string to string whose
// values DingTalk limits to 1 KB, so the card is laid out in fixed slots:
//
//	title, subtitle, tone, lastMessage    header and the chat-list summary
//	content_1 … content_10                markdown sections (empty = hidden)
//	btn_N_text, btn_N_style,              up to six action buttons; style is
//	btn_N_action, btn_N_params,           primary, normal or danger; params a
//	btn_N_confirm                         JSON object; confirm the prompt text
//	toast, toast_kind                     a one-line notice under the body
//	rev                                   the content's version (dingTalkRev)
//	form, form_status, form_btn_text,     the form template only: the form
//	form_action, form_params              schema and its submit action
//
// Every slot is always present, empty when unused, so that an update
// replaces what the previous version of the card showed: DingTalk merges
// cardParamMap by key (updateCardDataByKey), and a key left out keeps its
// old value. A card without a form has its form slots emptied and
// form_status "disabled", so a submitted form shows no open inputs (the
// template hides the form component when form_action is empty).

// DingTalkValueLimit is the documented limit of one cardParamMap value.
const DingTalkValueLimit = 1024

// DingTalk layout limits of our templates.
const (
	DingTalkContentSlots = 10
	DingTalkMaxButtons   = 6
)

// ErrDingTalkTooLarge is wrapped when a card does not fit DingTalk's limits; it
// also wraps ErrInvalid.
var ErrDingTalkTooLarge = fmt.Errorf("%w: too large", ErrInvalid)

// DingTalkFormKeys are the variables only the form template binds.
var DingTalkFormKeys = []string{"form", "form_status", "form_btn_text", "form_action", "form_params"}

// dingTalkNoForm is the form variable of a card without a form.
const dingTalkNoForm = `{"fields":[]}`

// DingTalkCard is a card rendered for the DingTalk templates.
type DingTalkCard struct {
	// Params is the cardParamMap, every variable of the form template.
	Params map[string]string
	// HasForm tells whether the form template is needed.
	HasForm bool
}

// ParamsFor returns the variables the template binds: all of Params for
// the form template, Params without the form slots for the read-only one.
func (c *DingTalkCard) ParamsFor(formTemplate bool) map[string]string {
	out := maps.Clone(c.Params)
	if !formTemplate {
		for _, k := range DingTalkFormKeys {
			delete(out, k)
		}
	}
	return out
}

// DingTalkFormField is one field of the form component's schema, as the
// card platform reads it ("表单变量").
type DingTalkFormField struct {
	Name         string               `json:"name"`
	Label        string               `json:"label,omitempty"`
	Type         string               `json:"type"`
	Required     bool                 `json:"required,omitempty"`
	Placeholder  string               `json:"placeholder,omitempty"`
	ReadOnly     bool                 `json:"readOnly,omitempty"`
	DefaultValue any                  `json:"defaultValue,omitempty"`
	Options      []DingTalkFormOption `json:"options,omitempty"`
}

// DingTalkFormOption is one option of a SELECT or MULTI_SELECT field.
type DingTalkFormOption struct {
	Value string `json:"value"`
	Text  string `json:"text"`
}

type dingTalkFormSchema struct {
	Fields []DingTalkFormField `json:"fields"`
}

// RenderDingTalk lays c out in the template slots. It fails with an error
// wrapping ErrDingTalkTooLarge when the card does not fit (more than ten 1 KB
// sections of text, more than six buttons, a form schema over 1 KB).
func RenderDingTalk(c *Card) (*DingTalkCard, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := map[string]string{
		"title":       c.Title,
		"subtitle":    c.Subtitle,
		"tone":        dingTalkTone(c.Tone),
		"lastMessage": c.Title,
		"toast":       "",
		"toast_kind":  "",
	}
	var sections []string
	var buttons []Button
	var form *Form
	for _, b := range c.Blocks {
		switch {
		case b.Form != nil:
			form = b.Form
		case len(b.Buttons) > 0:
			var links []string
			for _, btn := range b.Buttons {
				if btn.Action == "" && btn.URL != "" {
					links = append(links, fmt.Sprintf("[%s](%s)", btn.Text, btn.URL))
					continue
				}
				buttons = append(buttons, btn)
			}
			if len(links) > 0 {
				sections = append(sections, strings.Join(links, "　"))
			}
		default:
			if md := DingTalkBlockMarkdown(b); md != "" {
				sections = append(sections, md)
			}
		}
	}
	slots, err := dtPackSlots(sections, DingTalkContentSlots, DingTalkValueLimit)
	if err != nil {
		return nil, err
	}
	for i := 0; i < DingTalkContentSlots; i++ {
		p[fmt.Sprintf("content_%d", i+1)] = slots[i]
	}
	if len(buttons) > DingTalkMaxButtons {
		return nil, fmt.Errorf("%w: dingtalk: %d buttons, limit %d", ErrDingTalkTooLarge, len(buttons), DingTalkMaxButtons)
	}
	for i := 0; i < DingTalkMaxButtons; i++ {
		k := fmt.Sprintf("btn_%d_", i+1)
		p[k+"text"], p[k+"style"], p[k+"action"], p[k+"params"], p[k+"confirm"] = "", "", "", "", ""
		if i >= len(buttons) {
			continue
		}
		btn := buttons[i]
		params, err := dtEncodeParams(btn.Params)
		if err != nil {
			return nil, err
		}
		p[k+"text"] = btn.Text
		p[k+"style"] = dingTalkStyle(btn.Style)
		p[k+"action"] = btn.Action
		p[k+"params"] = params
		p[k+"confirm"] = btn.Confirm
	}
	out := &DingTalkCard{Params: p}
	p["form"], p["form_status"], p["form_btn_text"], p["form_action"], p["form_params"] = dingTalkNoForm, "disabled", "", "", ""
	if form != nil {
		out.HasForm = true
		schema, err := DingTalkFormSchema(form)
		if err != nil {
			return nil, err
		}
		params, err := dtEncodeParams(form.Submit.Params)
		if err != nil {
			return nil, err
		}
		p["form"] = schema
		p["form_status"] = "normal"
		p["form_btn_text"] = form.Submit.Text
		p["form_action"] = form.Submit.Action
		p["form_params"] = params
	}
	for k, v := range p {
		if len(v) > DingTalkValueLimit {
			return nil, fmt.Errorf("%w: dingtalk: %s is %d bytes, limit %d", ErrDingTalkTooLarge, k, len(v), DingTalkValueLimit)
		}
	}
	p["rev"] = dingTalkRev(p)
	return out, nil
}

// dingTalkRev is the version of a card's content: a hash of every
// variable but the clicker's result line. The templates send it back with
// every click, and show a clicker's result line only while its toast_rev
// is the card's rev, so a card redrawn later does not keep an old result
// under new content.
func dingTalkRev(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		if k != "rev" && k != "toast" && k != "toast_kind" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%s\x00", k, p[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// DingTalkFormSchema returns the form component's schema as JSON. When the
// full schema is over 1 KB it drops placeholders; when it still is, it fails
// with ErrDingTalkTooLarge.
func DingTalkFormSchema(f *Form) (string, error) {
	s := dingTalkFormSchema{}
	for _, ff := range f.Fields {
		df := DingTalkFormField{Name: ff.Name, Label: ff.Label, Required: ff.Required, Placeholder: ff.Placeholder}
		switch ff.Kind {
		case KindDate:
			df.Type = "DATE"
		case KindSelect, KindPerson:
			df.Type = "SELECT"
		case KindMultiSelect:
			df.Type = "MULTI_SELECT"
		default:
			df.Type = "TEXT"
		}
		for _, o := range ff.Options {
			df.Options = append(df.Options, DingTalkFormOption{Value: o.Value, Text: o.Label})
		}
		if ff.Default != "" {
			df.DefaultValue = dingTalkDefault(&ff, df.Options)
		}
		s.Fields = append(s.Fields, df)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("cards: encode dingtalk form: %w", err)
	}
	if len(b) > DingTalkValueLimit {
		for i := range s.Fields {
			s.Fields[i].Placeholder = ""
		}
		b, _ = json.Marshal(s)
	}
	if len(b) > DingTalkValueLimit {
		return "", fmt.Errorf("%w: dingtalk: form %q schema is %d bytes, limit %d", ErrDingTalkTooLarge, f.Name, len(b), DingTalkValueLimit)
	}
	return string(b), nil
}

// dingTalkDefault is a field's default in the form component's shape:
// a string for text and dates, {index, value} for selects.
func dingTalkDefault(ff *FormField, opts []DingTalkFormOption) any {
	index := func(v string) int {
		for i, o := range opts {
			if o.Value == v {
				return i
			}
		}
		return -1
	}
	switch ff.Kind {
	case KindSelect, KindPerson:
		if i := index(ff.Default); i >= 0 {
			return map[string]any{"index": i, "value": ff.Default}
		}
		return nil
	case KindMultiSelect:
		idx, vals := []int{}, []string{}
		for _, v := range strings.Split(ff.Default, ",") {
			if i := index(v); i >= 0 {
				idx, vals = append(idx, i), append(vals, v)
			}
		}
		if len(vals) == 0 {
			return nil
		}
		return map[string]any{"index": idx, "value": vals}
	}
	return ff.Default
}

// DingTalkBlockMarkdown renders one non-interactive block as DingTalk
// markdown.
func DingTalkBlockMarkdown(b Block) string {
	switch {
	case b.Markdown != "":
		return b.Markdown
	case len(b.Fields) > 0:
		lines := make([]string, 0, len(b.Fields))
		for _, f := range b.Fields {
			lines = append(lines, fmt.Sprintf("**%s**：%s", f.Label, f.Value))
		}
		return strings.Join(lines, "\n\n")
	case b.Table != nil:
		lines := []string{"**" + strings.Join(b.Table.Columns, " ｜ ") + "**"}
		for _, row := range b.Table.Rows {
			lines = append(lines, strings.Join(row, " ｜ "))
		}
		return strings.Join(lines, "\n\n")
	case b.Note != "":
		return "<font color=#8c8c8c>" + b.Note + "</font>"
	case b.Divider:
		return "———"
	}
	return ""
}

// DingTalkCommand gives the text that, sent to the robot, does what a
// button does (the typed label), and whether the button has one.
type DingTalkCommand func(b Button) (text string, ok bool)

// DingTalkMessageOptions say how a card without a template is offered.
type DingTalkMessageOptions struct {
	// Command, when set, turns every action into a dtmd link that sends
	// its command: clicked in the robot's 1:1 chat, the text arrives as the
	// user's own message.
	Command DingTalkCommand
	// Group renders the commands as text to send after @-mentioning the
	// robot instead of links: in a group the robot hears only @-mentions,
	// so a link's message there would reach nobody.
	Group bool
	// Hint ends the message's actions, e.g. where the links went.
	Hint string
}

// DingTalkRobotName is how people @-mention the robot in a group (the name
// deploy/README-dingtalk.md gives it).
const DingTalkRobotName = "整改助手"

// DingTalkLink is a markdown link that, clicked in a 1:1 chat with the
// robot, sends text to it as the user's message.
func DingTalkLink(label, text string) string {
	return fmt.Sprintf("[%s](dtmd://dingtalkclient/sendMessage?content=%s)", label, dtQueryEscape(text))
}

// dtQueryEscape escapes s for a dtmd link: spaces as %20, which every
// client decodes, not "+".
func dtQueryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// DingTalkMarkdown renders c as one markdown message for a 1:1 chat where
// no card template is configured: every action is a dtmd link sending its
// label, and a form is described (the bot asks its fields in a dialog).
func DingTalkMarkdown(c *Card) (title, text string) {
	return dingTalkMarkdown(c, true, DingTalkMessageOptions{Command: DingTalkLabel})
}

// DingTalkLabel is the default command of a button: Typed, the text that
// typed does what the button does (its label, with what it acts on when
// the label alone does not say).
func DingTalkLabel(b Button) (string, bool) { t := b.Typed(); return t, t != "" }

// DingTalkMessage renders c as a robot message (msgKey and msgParam) for
// when no card template is configured: sampleMarkdown, with the actions as
// dtmd links when o.Command is set; or sampleActionCard …
// sampleActionCard5 when the card has one to five link buttons and no
// actions offered as links, which ActionCard shows as real buttons (they
// open the link and call nothing back).
func DingTalkMessage(c *Card, o DingTalkMessageOptions) (msgKey string, param map[string]string) {
	var links []Button
	actions := 0
	for _, btn := range c.Buttons() {
		switch {
		case btn.Action == "" && btn.URL != "":
			links = append(links, btn)
		case o.Command != nil && !o.Group:
			if _, ok := o.Command(btn); ok {
				actions++
			}
		}
	}
	if len(links) == 0 || len(links) > 5 || actions > 0 {
		title, text := dingTalkMarkdown(c, true, o)
		return "sampleMarkdown", map[string]string{"title": title, "text": text}
	}
	title, text := dingTalkMarkdown(c, false, o)
	param = map[string]string{"title": title, "text": text}
	if len(links) == 1 {
		param["singleTitle"], param["singleURL"] = links[0].Text, links[0].URL
		return "sampleActionCard", param
	}
	for i, l := range links {
		param[fmt.Sprintf("actionTitle%d", i+1)] = l.Text
		param[fmt.Sprintf("actionURL%d", i+1)] = l.URL
	}
	return fmt.Sprintf("sampleActionCard%d", len(links)), param
}

// DingTalkHasActions reports whether c has anything to act on: an action
// button or a form.
func DingTalkHasActions(c *Card) bool {
	if c.Form() != nil {
		return true
	}
	for _, b := range c.Buttons() {
		if b.Action != "" {
			return true
		}
	}
	return false
}

func dingTalkMarkdown(c *Card, withLinks bool, o DingTalkMessageOptions) (title, text string) {
	var sb strings.Builder
	sb.WriteString("#### " + c.Title + "\n\n")
	if c.Subtitle != "" {
		sb.WriteString(c.Subtitle + "\n\n")
	}
	var actions, typed []string
	unlinked := 0
	for _, b := range c.Blocks {
		switch {
		case b.Form != nil:
			names := make([]string, 0, len(b.Form.Fields))
			for _, ff := range b.Form.Fields {
				names = append(names, ff.Label)
			}
			sb.WriteString("需填写：" + strings.Join(names, "、") + "\n\n")
		case len(b.Buttons) > 0:
			for _, btn := range b.Buttons {
				if btn.Action == "" && btn.URL != "" {
					if withLinks {
						actions = append(actions, fmt.Sprintf("[%s](%s)", btn.Text, btn.URL))
					}
					continue
				}
				cmd, ok := "", false
				if o.Command != nil {
					cmd, ok = o.Command(btn)
				}
				if !ok {
					unlinked++
					continue
				}
				if o.Group {
					typed = append(typed, "“"+cmd+"”")
					continue
				}
				actions = append(actions, DingTalkLink(btn.Text, cmd))
				typed = append(typed, "“"+cmd+"”")
			}
		default:
			if md := DingTalkBlockMarkdown(b); md != "" {
				sb.WriteString(md + "\n\n")
			}
		}
	}
	// The actions come last and are never cut: the body gives way.
	var tail strings.Builder
	if len(actions) > 0 {
		tail.WriteString("\n\n**操作**：" + strings.Join(actions, "　"))
	}
	hint := o.Hint
	switch {
	case o.Group && len(typed) > 0:
		tail.WriteString("\n\n**可发送**：" + strings.Join(typed, "　"))
		hint = strings.TrimSpace("在群内发送请先 @" + DingTalkRobotName + "。" + o.Hint)
	case len(typed) > 0:
		hint = "点击即代您发送对应的命令；也可直接输入：" + strings.Join(typed, "、") + "。发送“帮助”查看全部命令"
	case unlinked == 0:
		hint = ""
	}
	if hint != "" {
		tail.WriteString("\n\n<font color=#8c8c8c>" + hint + "</font>")
	}
	body := dtTruncateRunes(strings.TrimSpace(sb.String()), dingTalkMarkdownRunes-utf8.RuneCountInString(tail.String()))
	return c.Title, body + tail.String()
}

// dingTalkMarkdownRunes bounds a markdown message's text.
const dingTalkMarkdownRunes = 4500

func dingTalkTone(t Tone) string {
	switch t {
	case ToneSuccess:
		return "green"
	case ToneWarning:
		return "orange"
	case ToneDanger:
		return "red"
	case ToneNeutral:
		return "gray"
	}
	return "blue"
}

func dingTalkStyle(s ButtonStyle) string {
	switch s {
	case StylePrimary:
		return "primary"
	case StyleDanger:
		return "danger"
	}
	return "normal"
}

func dtEncodeParams(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("cards: encode params: %w", err)
	}
	return string(b), nil
}

// dtPackSlots puts sections into n slots of at most limit bytes, joining
// neighbours that fit together and splitting long ones on line breaks.
func dtPackSlots(sections []string, n, limit int) ([]string, error) {
	var pieces []string
	for _, s := range sections {
		pieces = append(pieces, dtSplitBytes(s, limit)...)
	}
	slots := make([]string, n)
	i := 0
	for _, piece := range pieces {
		if slots[i] != "" && len(slots[i])+2+len(piece) > limit {
			i++
		}
		if i >= n {
			return nil, fmt.Errorf("%w: dingtalk: text needs more than %d sections of %d bytes", ErrDingTalkTooLarge, n, limit)
		}
		if slots[i] != "" {
			slots[i] += "\n\n"
		}
		slots[i] += piece
	}
	return slots, nil
}

// dtSplitBytes cuts s into pieces of at most limit bytes, at line breaks
// where it can and at character boundaries where it must.
func dtSplitBytes(s string, limit int) []string {
	if len(s) <= limit {
		return []string{s}
	}
	var out []string
	cur := ""
	flush := func() {
		if cur != "" {
			out = append(out, cur)
			cur = ""
		}
	}
	for _, line := range strings.Split(s, "\n") {
		for len(line) > limit {
			flush()
			cut := limit
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			out = append(out, line[:cut])
			line = line[cut:]
		}
		if cur != "" && len(cur)+1+len(line) > limit {
			flush()
		}
		if cur != "" {
			cur += "\n"
		}
		cur += line
	}
	flush()
	return out
}

func dtTruncateRunes(s string, n int) string {
	if n < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
