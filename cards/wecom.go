package cards

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WeCom renders cards as WeCom template_card messages (message/send,
// msgtype template_card) and as app markdown for app-created groups, which
// take no template cards. WeCom's cards have buttons and selects but no text
// input, so:
//
//   - a card with action buttons becomes a button_interaction card (at most
//     six buttons; link buttons open their URL);
//   - a card whose only actions are a form of one to three single-choice
//     fields (≤ 10 options each) becomes a multiple_interaction card, and a
//     form of one choice field with up to 20 options a vote_interaction card;
//   - any other form becomes one more button that, when clicked, sends the
//     form's submit action without values: the handler answers with the form
//     card and the bot asks its fields one by one in the 1:1 chat;
//   - a read-only card becomes a text_notice card when a link is known for
//     its required card_action, and a markdown message otherwise.
//
// Button keys carry what a click acts on (WeCom echoes the key as EventKey),
// see WeComKey and ParseWeComKey.

// WeCom limits from /90236.
const (
	WeComMaxButtons     = 6
	WeComMaxSelects     = 3
	WeComMaxOptions     = 10
	WeComMaxVoteOptions = 20
	WeComMaxFields      = 6
	WeComMaxJumps       = 3
	WeComMaxKeyBytes    = 1024
	WeComMaxOptionID    = 128
	WeComMaxTextBytes   = 2048
	WeComMaxTaskIDBytes = 128
)

// WeCom card types.
const (
	WeComTextNotice          = "text_notice"
	WeComButtonInteraction   = "button_interaction"
	WeComVoteInteraction     = "vote_interaction"
	WeComMultipleInteraction = "multiple_interaction"
)

// Kinds of WeCom button keys.
const (
	// WeComKeyButton is an action button.
	WeComKeyButton = 'b'
	// WeComKeySubmit is the submit button of a select card.
	WeComKeySubmit = 's'
	// WeComKeyForm is the button that stands for a form WeCom cannot show.
	WeComKeyForm = 'f'
)

// WeComOptions tune RenderWeCom.
type WeComOptions struct {
	// TaskID is the card's task_id, unique per app ([0-9A-Za-z_@-], at most
	// 128 bytes); required for interactive cards.
	TaskID string
	// LinkURL is where a read-only card leads when clicked (text_notice needs
	// one); empty renders read-only cards as markdown.
	LinkURL string
	// Source is the small line above the title; default 整改通.
	Source string
}

// WeComCard is a card rendered for WeCom.
type WeComCard struct {
	// Template is the template_card, nil when the card goes as markdown.
	Template *WeComTemplateCard
	// Markdown is the card as app markdown (≤ 2048 bytes): the notice for
	// app groups, and the message itself when Template is nil.
	Markdown string
}

// Interactive reports whether the card produces callbacks.
func (w *WeComCard) Interactive() bool {
	return w.Template != nil && w.Template.CardType != WeComTextNotice
}

// WeComTemplateCard is the template_card object of /90236.
type WeComTemplateCard struct {
	CardType              string             `json:"card_type"`
	Source                *WeComSource       `json:"source,omitempty"`
	MainTitle             WeComTitle         `json:"main_title"`
	SubTitleText          string             `json:"sub_title_text,omitempty"`
	HorizontalContentList []WeComHorizontal  `json:"horizontal_content_list,omitempty"`
	JumpList              []WeComJump        `json:"jump_list,omitempty"`
	CardAction            *WeComCardAction   `json:"card_action,omitempty"`
	TaskID                string             `json:"task_id,omitempty"`
	ButtonList            []WeComButton      `json:"button_list,omitempty"`
	Checkbox              *WeComCheckbox     `json:"checkbox,omitempty"`
	SelectList            []WeComSelect      `json:"select_list,omitempty"`
	SubmitButton          *WeComSubmitButton `json:"submit_button,omitempty"`
	ReplaceText           string             `json:"replace_text,omitempty"`
}

// WeComSource is the card's source line; DescColor 0 grey, 1 black, 2 red,
// 3 green.
type WeComSource struct {
	Desc      string `json:"desc,omitempty"`
	DescColor int    `json:"desc_color"`
}

// WeComTitle is the main title.
type WeComTitle struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

// WeComHorizontal is one key-value line.
type WeComHorizontal struct {
	KeyName string `json:"keyname"`
	Value   string `json:"value,omitempty"`
	Type    int    `json:"type,omitempty"`
	URL     string `json:"url,omitempty"`
}

// WeComJump is one link under the card.
type WeComJump struct {
	Type  int    `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url,omitempty"`
}

// WeComCardAction is what clicking the card body does.
type WeComCardAction struct {
	Type int    `json:"type"`
	URL  string `json:"url,omitempty"`
}

// WeComButton is one button of button_interaction; Type 1 opens URL.
type WeComButton struct {
	Type  int    `json:"type,omitempty"`
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
}

// WeComCheckbox is the choice list of vote_interaction; Mode 1 is multiple.
type WeComCheckbox struct {
	QuestionKey string        `json:"question_key"`
	OptionList  []WeComOption `json:"option_list"`
	Mode        int           `json:"mode"`
}

// WeComOption is one choice.
type WeComOption struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	IsChecked bool   `json:"is_checked,omitempty"`
}

// WeComSelect is one drop-down of multiple_interaction.
type WeComSelect struct {
	QuestionKey string        `json:"question_key"`
	Title       string        `json:"title,omitempty"`
	SelectedID  string        `json:"selected_id,omitempty"`
	OptionList  []WeComOption `json:"option_list"`
}

// WeComSubmitButton submits a select or vote card.
type WeComSubmitButton struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

var weComTaskID = regexp.MustCompile(`^[0-9A-Za-z_@-]{1,128}$`)

// RenderWeCom renders c for WeCom. It fails with an error wrapping
// ErrInvalid when the card cannot be shown within WeCom's limits (more than
// six buttons, a key over 1 KB, a bad task id).
func RenderWeCom(c *Card, o WeComOptions) (*WeComCard, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out := &WeComCard{Markdown: WeComMarkdown(c)}
	src := o.Source
	if src == "" {
		src = "整改通"
	}
	t := &WeComTemplateCard{
		Source:    &WeComSource{Desc: src, DescColor: weComColor(c.Tone)},
		MainTitle: WeComTitle{Title: c.Title, Desc: c.Subtitle},
	}
	var lines []string
	var buttons []WeComButton
	var links []Button
	var form *Form
	for _, b := range c.Blocks {
		switch {
		case b.Form != nil:
			form = b.Form
		case len(b.Buttons) > 0:
			for _, btn := range b.Buttons {
				if btn.Action == "" {
					links = append(links, btn)
					continue
				}
				key, err := WeComKey(WeComKeyButton, len(buttons), btn.Action, btn.Params)
				if err != nil {
					return nil, err
				}
				buttons = append(buttons, WeComButton{Text: btn.Text, Style: weComStyle(btn.Style), Key: key})
			}
		case len(b.Fields) > 0:
			for _, f := range b.Fields {
				if len(t.HorizontalContentList) < WeComMaxFields {
					t.HorizontalContentList = append(t.HorizontalContentList, WeComHorizontal{KeyName: f.Label, Value: plainText(f.Value)})
					continue
				}
				lines = append(lines, f.Label+"："+plainText(f.Value))
			}
		default:
			if s := plainBlock(b); s != "" {
				lines = append(lines, s)
			}
		}
	}
	t.SubTitleText = truncateBytes(strings.Join(lines, "\n"), WeComMaxTextBytes)

	switch {
	case form != nil && len(buttons) == 0 && weComSelectForm(form):
		key, err := WeComKey(WeComKeySubmit, 0, form.Submit.Action, form.Submit.Params)
		if err != nil {
			return nil, err
		}
		t.CardType = WeComMultipleInteraction
		t.SubmitButton = &WeComSubmitButton{Text: form.Submit.Text, Key: key}
		for _, ff := range form.Fields {
			s := WeComSelect{QuestionKey: ff.Name, Title: ff.Label, SelectedID: ff.Default}
			for _, op := range ff.Options {
				s.OptionList = append(s.OptionList, WeComOption{ID: op.Value, Text: op.Label})
			}
			t.SelectList = append(t.SelectList, s)
		}
	case form != nil && len(buttons) == 0 && weComVoteForm(form):
		key, err := WeComKey(WeComKeySubmit, 0, form.Submit.Action, form.Submit.Params)
		if err != nil {
			return nil, err
		}
		ff := form.Fields[0]
		t.CardType = WeComVoteInteraction
		t.SubmitButton = &WeComSubmitButton{Text: form.Submit.Text, Key: key}
		cb := &WeComCheckbox{QuestionKey: ff.Name}
		if ff.Kind == KindMultiSelect {
			cb.Mode = 1
		}
		defaults := map[string]bool{}
		for _, d := range strings.Split(ff.Default, ",") {
			defaults[d] = d != ""
		}
		for _, op := range ff.Options {
			cb.OptionList = append(cb.OptionList, WeComOption{ID: op.Value, Text: op.Label, IsChecked: defaults[op.Value]})
		}
		t.Checkbox = cb
	default:
		if form != nil {
			key, err := WeComKey(WeComKeyForm, len(buttons), form.Submit.Action, form.Submit.Params)
			if err != nil {
				return nil, err
			}
			buttons = append(buttons, WeComButton{Text: form.Submit.Text, Style: 1, Key: key})
			note := fmt.Sprintf("点击“%s”后，请在与应用的单聊中按提示逐项回复。", form.Submit.Text)
			t.SubTitleText = truncateBytes(strings.TrimSpace(t.SubTitleText+"\n"+note), WeComMaxTextBytes)
		}
		if len(buttons) > 0 {
			t.CardType = WeComButtonInteraction
			for _, l := range links {
				buttons = append(buttons, WeComButton{Type: 1, Text: l.Text, Style: 2, URL: l.URL})
			}
			t.ButtonList = buttons
			break
		}
		link := o.LinkURL
		if len(links) > 0 {
			link = links[0].URL
			links = links[1:]
		}
		if link == "" {
			return out, nil
		}
		t.CardType = WeComTextNotice
		t.CardAction = &WeComCardAction{Type: 1, URL: link}
		for _, l := range links {
			if len(t.JumpList) == WeComMaxJumps {
				return nil, fmt.Errorf("%w: wecom: more than %d links", ErrInvalid, WeComMaxJumps+1)
			}
			t.JumpList = append(t.JumpList, WeComJump{Type: 1, Title: l.Text, URL: l.URL})
		}
	}
	if len(t.ButtonList) > WeComMaxButtons {
		return nil, fmt.Errorf("%w: wecom: %d buttons, limit %d", ErrInvalid, len(t.ButtonList), WeComMaxButtons)
	}
	if t.CardType != WeComTextNotice || o.TaskID != "" {
		if !weComTaskID.MatchString(o.TaskID) {
			return nil, fmt.Errorf("%w: wecom: task_id %q is empty or not [0-9A-Za-z_@-]{1,128}", ErrInvalid, o.TaskID)
		}
		t.TaskID = o.TaskID
	}
	out.Template = t
	return out, nil
}

// weComSelectForm reports whether f fits a multiple_interaction card: one to
// three single-choice fields of at most ten options with short values.
func weComSelectForm(f *Form) bool {
	if len(f.Fields) == 0 || len(f.Fields) > WeComMaxSelects {
		return false
	}
	for _, ff := range f.Fields {
		if ff.Kind != KindSelect && ff.Kind != KindPerson {
			return false
		}
		if len(ff.Options) == 0 || len(ff.Options) > WeComMaxOptions || !weComOptionIDs(ff.Options) {
			return false
		}
	}
	return true
}

// weComVoteForm reports whether f fits a vote_interaction card: one choice
// field of at most twenty options.
func weComVoteForm(f *Form) bool {
	if len(f.Fields) != 1 {
		return false
	}
	ff := f.Fields[0]
	if ff.Kind != KindSelect && ff.Kind != KindMultiSelect && ff.Kind != KindPerson {
		return false
	}
	return len(ff.Options) > 0 && len(ff.Options) <= WeComMaxVoteOptions && weComOptionIDs(ff.Options)
}

func weComOptionIDs(opts []Option) bool {
	for _, o := range opts {
		if o.Value == "" || len(o.Value) > WeComMaxOptionID {
			return false
		}
	}
	return true
}

// WeComKey encodes a button's action and params as its key:
// "<kind><index>|<action>?<query>". The index keeps keys unique within a
// card. It fails when the key is over WeCom's 1 KB.
func WeComKey(kind byte, index int, action string, params map[string]string) (string, error) {
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	key := string(kind) + strconv.Itoa(index) + "|" + action
	if len(q) > 0 {
		key += "?" + q.Encode()
	}
	if len(key) > WeComMaxKeyBytes {
		return "", fmt.Errorf("%w: wecom: key of action %s is %d bytes, limit %d", ErrInvalid, action, len(key), WeComMaxKeyBytes)
	}
	return key, nil
}

// ParseWeComKey decodes a key made by WeComKey.
func ParseWeComKey(key string) (kind byte, action string, params map[string]string, err error) {
	head, rest, ok := strings.Cut(key, "|")
	if !ok || len(head) < 2 || rest == "" {
		return 0, "", nil, fmt.Errorf("%w: wecom: key %q is not ours", ErrInvalid, key)
	}
	if _, err := strconv.Atoi(head[1:]); err != nil {
		return 0, "", nil, fmt.Errorf("%w: wecom: key %q is not ours", ErrInvalid, key)
	}
	kind = head[0]
	switch kind {
	case WeComKeyButton, WeComKeySubmit, WeComKeyForm:
	default:
		return 0, "", nil, fmt.Errorf("%w: wecom: key %q has unknown kind", ErrInvalid, key)
	}
	action, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return 0, "", nil, fmt.Errorf("%w: wecom: key %q: %v", ErrInvalid, key, err)
	}
	params = map[string]string{}
	for k, v := range q {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	return kind, action, params, nil
}

// WeComMarkdown renders c as app markdown (a subset: bold, links, quotes,
// three font colours), at most 2048 bytes.
func WeComMarkdown(c *Card) string {
	var sb strings.Builder
	color := map[Tone]string{ToneWarning: "warning", ToneDanger: "warning", ToneSuccess: "info", ToneNeutral: "comment"}[c.Tone]
	if color != "" {
		fmt.Fprintf(&sb, "**<font color=\"%s\">%s</font>**", color, c.Title)
	} else {
		fmt.Fprintf(&sb, "**%s**", c.Title)
	}
	if c.Subtitle != "" {
		fmt.Fprintf(&sb, "\n<font color=\"comment\">%s</font>", c.Subtitle)
	}
	for _, b := range c.Blocks {
		var s string
		switch {
		case b.Markdown != "":
			s = b.Markdown
		case len(b.Fields) > 0:
			var ls []string
			for _, f := range b.Fields {
				ls = append(ls, fmt.Sprintf("%s：%s", f.Label, f.Value))
			}
			s = strings.Join(ls, "\n")
		case b.Table != nil:
			s = tableLines(b.Table)
		case b.Note != "":
			s = fmt.Sprintf("<font color=\"comment\">%s</font>", b.Note)
		case len(b.Buttons) > 0:
			var ls []string
			for _, btn := range b.Buttons {
				if btn.URL != "" && btn.Action == "" {
					ls = append(ls, fmt.Sprintf("[%s](%s)", btn.Text, btn.URL))
				}
			}
			s = strings.Join(ls, "　")
		}
		if s != "" {
			sb.WriteString("\n" + s)
		}
	}
	return truncateBytes(sb.String(), WeComMaxTextBytes)
}

// WeComPlain renders c as plain text for a text message (WeChat users of 微信
// 客服 see neither markdown nor template cards), at most 2048 bytes.
func WeComPlain(c *Card) string {
	lines := []string{"【" + c.Title + "】"}
	if c.Subtitle != "" {
		lines = append(lines, c.Subtitle)
	}
	for _, b := range c.Blocks {
		switch {
		case len(b.Fields) > 0:
			for _, f := range b.Fields {
				lines = append(lines, f.Label+"："+plainText(f.Value))
			}
		case len(b.Buttons) > 0:
			for _, btn := range b.Buttons {
				if btn.URL != "" && btn.Action == "" {
					lines = append(lines, btn.Text+"："+btn.URL)
				}
			}
		default:
			if s := plainBlock(b); s != "" {
				lines = append(lines, s)
			}
		}
	}
	return truncateBytes(strings.Join(lines, "\n"), WeComMaxTextBytes)
}

func plainBlock(b Block) string {
	switch {
	case b.Markdown != "":
		return plainText(b.Markdown)
	case b.Note != "":
		return plainText(b.Note)
	case b.Table != nil:
		return plainText(tableLines(b.Table))
	}
	return ""
}

func tableLines(t *Table) string {
	var ls []string
	for _, row := range t.Rows {
		var cells []string
		for i, cell := range row {
			cells = append(cells, t.Columns[i]+"："+cell)
		}
		ls = append(ls, strings.Join(cells, "　"))
	}
	return strings.Join(ls, "\n")
}

var (
	mdLink = regexp.MustCompile(`\[([^\]]*)\]\(([^)]*)\)`)
	mdBold = strings.NewReplacer("**", "", "__", "")
)

// plainText strips the markdown a template card cannot show.
func plainText(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	return mdBold.Replace(s)
}

// truncateBytes cuts s to at most n bytes on a character boundary, ending
// with "…" when cut.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func weComColor(t Tone) int {
	switch t {
	case ToneDanger:
		return 2
	case ToneSuccess:
		return 3
	case ToneNeutral:
		return 0
	}
	return 1
}

// weComStyle maps a button style to WeCom's 1–4 (1 blue, 2 grey, 3 red).
func weComStyle(s ButtonStyle) int {
	switch s {
	case StylePrimary:
		return 1
	case StyleDanger:
		return 3
	}
	return 2
}
