package cards

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// HTMLOptions tunes the simulator's HTML rendering of a card.
type HTMLOptions struct {
	// ID prefixes every element id of the card, so that several cards on one
	// page do not clash; it should be unique on the page ("m42").
	ID string
	// Disabled renders every button and input disabled, with a note that
	// the form was submitted.
	Disabled bool
}

// HTML renders c as accessible HTML for the simulator: an <article> with a
// header coloured by tone (class card-tone-<tone>), markdown (bold, line
// breaks, lists, http(s) links; everything else escaped), fields as a <dl>,
// tables with column headers, buttons and forms. Buttons and forms carry
// their action and params in data-action and data-params (JSON); the page's
// script posts them back. Required form fields are marked required and
// aria-required; the page checks them before submitting.
func HTML(c *Card, o HTMLOptions) string {
	id := o.ID
	if id == "" {
		id = "card"
	}
	var b strings.Builder
	tone := c.Tone
	switch tone {
	case ToneInfo, ToneSuccess, ToneWarning, ToneDanger, ToneNeutral:
	default:
		tone = ToneInfo
	}
	cls := "card card-tone-" + string(tone)
	if o.Disabled {
		cls += " is-submitted"
	}
	fmt.Fprintf(&b, `<article class="%s" aria-labelledby="%s-title" data-card="%s">`, cls, attr(id), attr(id))
	fmt.Fprintf(&b, `<header class="card-header"><h3 class="card-title" id="%s-title">%s</h3>`, attr(id), esc(c.Title))
	if c.Subtitle != "" {
		fmt.Fprintf(&b, `<p class="card-subtitle">%s</p>`, esc(c.Subtitle))
	}
	b.WriteString(`</header><div class="card-body">`)
	r := htmlRenderer{b: &b, id: id, disabled: o.Disabled}
	for i, blk := range c.Blocks {
		r.block(i, blk)
	}
	if o.Disabled && c.Form() != nil {
		b.WriteString(`<p class="card-note card-submitted" role="status">已提交</p>`)
	}
	b.WriteString(`</div></article>`)
	return b.String()
}

type htmlRenderer struct {
	b        *strings.Builder
	id       string
	disabled bool
}

func (r htmlRenderer) block(i int, blk Block) {
	b := r.b
	switch {
	case blk.Markdown != "":
		b.WriteString(`<div class="card-md">`)
		b.WriteString(MarkdownHTML(blk.Markdown))
		b.WriteString(`</div>`)
	case len(blk.Fields) > 0:
		b.WriteString(`<dl class="card-fields">`)
		for _, f := range blk.Fields {
			cls := "card-field"
			if f.Short {
				cls += " card-field-short"
			}
			fmt.Fprintf(b, `<div class="%s"><dt>%s</dt><dd>%s</dd></div>`, cls, esc(f.Label), inlineLines(f.Value))
		}
		b.WriteString(`</dl>`)
	case blk.Table != nil:
		r.table(i, blk.Table)
	case len(blk.Buttons) > 0:
		b.WriteString(`<div class="card-buttons">`)
		for _, btn := range blk.Buttons {
			r.button(btn, "button")
		}
		b.WriteString(`</div>`)
	case blk.Form != nil:
		r.form(i, blk.Form)
	case blk.Divider:
		b.WriteString(`<hr class="card-divider">`)
	case blk.Note != "":
		fmt.Fprintf(b, `<p class="card-note">%s</p>`, inlineLines(blk.Note))
	}
}

func (r htmlRenderer) table(i int, t *Table) {
	b := r.b
	fmt.Fprintf(b, `<div class="card-table-wrap" role="region" tabindex="0" aria-labelledby="%s-t%d"><table class="card-table">`, attr(r.id), i)
	fmt.Fprintf(b, `<caption class="visually-hidden" id="%s-t%d">表格</caption><thead><tr>`, attr(r.id), i)
	for _, col := range t.Columns {
		fmt.Fprintf(b, `<th scope="col">%s</th>`, esc(col))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, row := range t.Rows {
		b.WriteString(`<tr>`)
		for j := range max(len(t.Columns), len(row)) {
			cell := ""
			if j < len(row) {
				cell = row[j]
			}
			fmt.Fprintf(b, `<td>%s</td>`, inlineLines(cell))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></div>`)
}

func (r htmlRenderer) button(btn Button, typ string) {
	b := r.b
	cls := "btn"
	switch btn.Style {
	case StylePrimary:
		cls += " btn-primary"
	case StyleDanger:
		cls += " btn-danger"
	}
	if btn.URL != "" && typ == "button" {
		if safeURL(btn.URL) {
			fmt.Fprintf(b, `<a class="%s btn-link" href="%s" target="_blank" rel="noopener noreferrer">%s</a>`, cls, attr(btn.URL), esc(btn.Text))
		} else {
			fmt.Fprintf(b, `<span class="%s" aria-disabled="true">%s</span>`, cls, esc(btn.Text))
		}
		return
	}
	fmt.Fprintf(b, `<button type="%s" class="%s"`, typ, cls)
	if typ == "button" {
		fmt.Fprintf(b, ` data-action="%s" data-params="%s"`, attr(btn.Action), attr(paramsJSON(btn.Params)))
	}
	if btn.Confirm != "" {
		fmt.Fprintf(b, ` data-confirm="%s"`, attr(btn.Confirm))
	}
	if r.disabled {
		b.WriteString(` disabled`)
	}
	fmt.Fprintf(b, `>%s</button>`, esc(btn.Text))
}

func (r htmlRenderer) form(i int, f *Form) {
	b := r.b
	fid := fmt.Sprintf("%s-f%d", r.id, i)
	fmt.Fprintf(b, `<form class="card-form" novalidate id="%s" data-form="%s" data-action="%s" data-params="%s">`,
		attr(fid), attr(f.Name), attr(f.Submit.Action), attr(paramsJSON(f.Submit.Params)))
	dis := ""
	if r.disabled {
		dis = " disabled"
	}
	for j, ff := range f.Fields {
		in := fmt.Sprintf("%s-%d", fid, j)
		req, star := "", ""
		if ff.Required {
			req = ` required aria-required="true"`
			star = `<span class="req" aria-hidden="true">*</span>`
		}
		errID := in + "-err"
		desc := fmt.Sprintf(` aria-describedby="%s"`, attr(errID))
		fmt.Fprintf(b, `<div class="form-field" data-field="%s" data-kind="%s" data-label="%s"%s>`,
			attr(ff.Name), attr(string(ff.Kind)), attr(ff.Label), map[bool]string{true: ` data-required="true"`}[ff.Required])
		if ff.Kind == KindMultiSelect {
			fmt.Fprintf(b, `<fieldset id="%s"%s%s><legend>%s%s</legend>`, attr(in), desc, dis, esc(ff.Label), star)
			defaults := map[string]bool{}
			for _, v := range strings.Split(ff.Default, ",") {
				defaults[strings.TrimSpace(v)] = true
			}
			for k, opt := range ff.Options {
				checked := ""
				if defaults[opt.Value] {
					checked = " checked"
				}
				fmt.Fprintf(b, `<label class="check" for="%s-%d"><input type="checkbox" id="%s-%d" name="%s" value="%s"%s%s> %s</label>`,
					attr(in), k, attr(in), k, attr(ff.Name), attr(opt.Value), checked, dis, esc(opt.Label))
			}
			b.WriteString(`</fieldset>`)
		} else {
			fmt.Fprintf(b, `<label for="%s">%s%s</label>`, attr(in), esc(ff.Label), star)
			common := fmt.Sprintf(` id="%s" name="%s"%s%s%s`, attr(in), attr(ff.Name), req, desc, dis)
			if ff.Placeholder != "" {
				common += fmt.Sprintf(` placeholder="%s"`, attr(ff.Placeholder))
			}
			if ff.MaxLen > 0 && (ff.Kind == KindText || ff.Kind == KindLongText) {
				common += fmt.Sprintf(` maxlength="%d"`, ff.MaxLen)
			}
			switch ff.Kind {
			case KindLongText:
				fmt.Fprintf(b, `<textarea rows="4"%s>%s</textarea>`, common, esc(ff.Default))
			case KindSelect, KindPerson:
				fmt.Fprintf(b, `<select%s><option value="">请选择</option>`, common)
				for _, opt := range ff.Options {
					sel := ""
					if opt.Value == ff.Default {
						sel = " selected"
					}
					fmt.Fprintf(b, `<option value="%s"%s>%s</option>`, attr(opt.Value), sel, esc(opt.Label))
				}
				b.WriteString(`</select>`)
			case KindDate:
				def := ff.Default
				if t, err := ParseDate(def); err == nil {
					def = t.Format(DateLayout)
				}
				fmt.Fprintf(b, `<input type="date"%s value="%s">`, common, attr(def))
			default:
				fmt.Fprintf(b, `<input type="text"%s value="%s">`, common, attr(ff.Default))
			}
		}
		fmt.Fprintf(b, `<p class="field-error" id="%s" aria-live="polite"></p></div>`, attr(errID))
	}
	submit := f.Submit
	if submit.Text == "" {
		submit.Text = "提交"
	}
	if submit.Style == StyleDefault {
		submit.Style = StylePrimary
	}
	b.WriteString(`<div class="form-actions">`)
	submit.URL = ""
	r.button(submit, "submit")
	b.WriteString(`</div></form>`)
}

func esc(s string) string  { return html.EscapeString(s) }
func attr(s string) string { return html.EscapeString(s) }

func paramsJSON(p map[string]string) string {
	if len(p) == 0 {
		return "{}"
	}
	out, err := json.Marshal(p)
	if err != nil {
		return "{}"
	}
	return string(out)
}

// safeURL reports whether u is a link the simulator may render: http(s)
// or a path on the same site.
func safeURL(u string) bool {
	l := strings.ToLower(strings.TrimSpace(u))
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") ||
		(strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "//"))
}

var (
	bulletRe  = regexp.MustCompile(`^\s*[-*•·]\s+(.*)$`)
	orderedRe = regexp.MustCompile(`^\s*(\d{1,3})[.、)）]\s*(.*)$`)
	linkRe    = regexp.MustCompile(`^\[([^\]\n]+)\]\(([^()\s]+)\)`)
)

// MarkdownHTML renders the small markdown subset cards use: **bold**, line
// breaks, "- " and "1. " lists and [text](http://…) links. Everything else,
// HTML included, is escaped and shown as typed.
func MarkdownHTML(md string) string {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	list := ""    // "ul" or "ol" while inside a list
	para := false // inside a <p>
	closeAll := func() {
		if para {
			b.WriteString(`</p>`)
			para = false
		}
		if list != "" {
			fmt.Fprintf(&b, `</%s>`, list)
			list = ""
		}
	}
	for _, line := range lines {
		if strings.TrimSpace(line) == "" {
			closeAll()
			continue
		}
		kind, text := "", line
		if m := bulletRe.FindStringSubmatch(line); m != nil {
			kind, text = "ul", m[1]
		} else if m := orderedRe.FindStringSubmatch(line); m != nil && m[2] != "" {
			kind, text = "ol", m[2]
		}
		if kind == "" {
			if list != "" {
				closeAll()
			}
			if para {
				b.WriteString(`<br>`)
			} else {
				b.WriteString(`<p>`)
				para = true
			}
			b.WriteString(inline(line))
			continue
		}
		if para {
			b.WriteString(`</p>`)
			para = false
		}
		if list != kind {
			if list != "" {
				fmt.Fprintf(&b, `</%s>`, list)
			}
			fmt.Fprintf(&b, `<%s>`, kind)
			list = kind
		}
		fmt.Fprintf(&b, `<li>%s</li>`, inline(text))
	}
	closeAll()
	return b.String()
}

// inlineLines renders inline markdown with line breaks kept.
func inlineLines(s string) string {
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = inline(p)
	}
	return strings.Join(parts, "<br>")
}

// inline renders **bold** and [text](url) in one line; the rest is escaped.
func inline(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexAny(s, "*[")
		if i < 0 {
			b.WriteString(esc(s))
			break
		}
		b.WriteString(esc(s[:i]))
		s = s[i:]
		if strings.HasPrefix(s, "**") {
			if end := strings.Index(s[2:], "**"); end > 0 {
				b.WriteString(`<strong>` + inline(s[2:2+end]) + `</strong>`)
				s = s[2+end+2:]
				continue
			}
			b.WriteString(esc(s[:2]))
			s = s[2:]
			continue
		}
		if m := linkRe.FindStringSubmatch(s); m != nil {
			if safeURL(m[2]) {
				fmt.Fprintf(&b, `<a href="%s" target="_blank" rel="noopener noreferrer">%s</a>`, attr(m[2]), inline(m[1]))
			} else {
				b.WriteString(esc(m[0]))
			}
			s = s[len(m[0]):]
			continue
		}
		b.WriteString(esc(s[:1]))
		s = s[1:]
	}
	return b.String()
}
