package cards

import (
	"strings"
	"testing"
)

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
}

func mustNotContain(t *testing.T, got string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(got, w) {
			t.Errorf("unexpected %q in\n%s", w, got)
		}
	}
}

func TestHTMLHeaderTone(t *testing.T) {
	t.Parallel()
	for tone, want := range map[Tone]string{
		ToneInfo: "card-tone-info", ToneSuccess: "card-tone-success", ToneWarning: "card-tone-warning",
		ToneDanger: "card-tone-danger", ToneNeutral: "card-tone-neutral", "": "card-tone-info", "bogus": "card-tone-info",
	} {
		got := HTML(&Card{Title: "月报 <提醒>", Subtitle: "灵宝 & 义马", Tone: tone}, HTMLOptions{ID: "m1"})
		mustContain(t, got, `class="card `+want+`"`, `aria-labelledby="m1-title"`,
			`<h3 class="card-title" id="m1-title">月报 &lt;提醒&gt;</h3>`, `灵宝 &amp; 义马`)
	}
}

func TestMarkdownHTML(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
	}{
		{"**台账**：查看", "<p><strong>台账</strong>：查看</p>"},
		{"第一行\n第二行", "<p>第一行<br>第二行</p>"},
		{"段一\n\n段二", "<p>段一</p><p>段二</p>"},
		{"说明\n- 甲\n- **乙**\n后记", "<p>说明</p><ul><li>甲</li><li><strong>乙</strong></li></ul><p>后记</p>"},
		{"1. 一\n2、二", "<ol><li>一</li><li>二</li></ol>"},
		{"[详情](https://example.org/a?b=1&c=2)", `<p><a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">详情</a></p>`},
		{"[坏](javascript:alert(1))", "<p>[坏](javascript:alert(1))</p>"},
		{"[坏](javascript:alert)", "<p>[坏](javascript:alert)</p>"},
		{"<script>alert(1)</script> & <b>x</b>", "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;</p>"},
		{"**未闭合 *星号*", "<p>**未闭合 *星号*</p>"},
		{`<font color='red'>逾期</font>`, "<p>&lt;font color=&#39;red&#39;&gt;逾期&lt;/font&gt;</p>"},
	}
	for _, c := range cases {
		if got := MarkdownHTML(c.in); got != c.want {
			t.Errorf("MarkdownHTML(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestHTMLFieldsTableButtons(t *testing.T) {
	t.Parallel()
	c := &Card{Title: "台账", Tone: ToneWarning, Blocks: []Block{
		FieldsBlock(Field{Label: "单位", Value: "灵宝", Short: true}, Field{Label: "说明", Value: "**重要**\n第二行"}),
		TableBlock(&Table{Columns: []string{"编号", "状态"}, Rows: [][]string{{"LB-1", "整改中"}, {"LB-2"}}}),
		DividerBlock(),
		ButtonsBlock(
			Button{Text: "填写进展", Action: "item.progress.form", Params: map[string]string{"item": "7", "v": "2"}, Style: StylePrimary},
			Button{Text: "驳回", Action: "approval.reject.form", Style: StyleDanger, Confirm: "确定驳回？"},
			Button{Text: "打开", URL: "https://example.org/x"},
			Button{Text: "坏链接", URL: "javascript:alert(1)"},
		),
		NoteBlock("更新于 <今天>"),
	}}
	got := HTML(c, HTMLOptions{ID: "m2"})
	mustContain(t, got,
		`<div class="card-field card-field-short"><dt>单位</dt><dd>灵宝</dd></div>`,
		`<dd><strong>重要</strong><br>第二行</dd>`,
		`<th scope="col">编号</th>`, `<td>LB-2</td><td></td>`,
		`<hr class="card-divider">`,
		`<button type="button" class="btn btn-primary" data-action="item.progress.form" data-params="{&#34;item&#34;:&#34;7&#34;,&#34;v&#34;:&#34;2&#34;}">填写进展</button>`,
		`class="btn btn-danger" data-action="approval.reject.form" data-params="{}" data-confirm="确定驳回？">驳回</button>`,
		`<a class="btn btn-link" href="https://example.org/x" target="_blank" rel="noopener noreferrer">打开</a>`,
		`<span class="btn" aria-disabled="true">坏链接</span>`,
		`<p class="card-note">更新于 &lt;今天&gt;</p>`,
	)
	mustNotContain(t, got, "javascript:", " disabled")
}

func sampleForm() *Card {
	return &Card{Title: "报送月报", Blocks: []Block{FormBlock(&Form{
		Name: "report",
		Fields: []FormField{
			{Name: "summary", Label: "工作进展", Kind: KindLongText, Required: true, MaxLen: 2000, Placeholder: "本月工作"},
			{Name: "title", Label: "标题", Kind: KindText, Default: `a"b`},
			{Name: "status", Label: "状态", Kind: KindSelect, Required: true, Options: []Option{{"in_progress", "整改中"}, {"closed", "已销号"}}, Default: "closed"},
			{Name: "cats", Label: "类别", Kind: KindMultiSelect, Options: []Option{{"a", "甲"}, {"b", "乙"}, {"c", "丙"}}, Default: "a,c"},
			{Name: "due", Label: "整改时限", Kind: KindDate, Required: true, Default: "2026年12月1日"},
			{Name: "who", Label: "责任人", Kind: KindPerson, Options: []Option{{"li-lb", "李晓燕"}}},
		},
		Submit: Button{Text: "提交月报", Action: "report.submit", Params: map[string]string{"unit": "lingbao", "period": "2026-11"}},
	})}}
}

func TestHTMLFormAllKinds(t *testing.T) {
	t.Parallel()
	got := HTML(sampleForm(), HTMLOptions{ID: "m3"})
	mustContain(t, got,
		`<form class="card-form" novalidate id="m3-f0" data-form="report" data-action="report.submit" data-params="{&#34;period&#34;:&#34;2026-11&#34;,&#34;unit&#34;:&#34;lingbao&#34;}">`,
		// long text, required, with its label and error slot
		`data-field="summary" data-kind="long_text" data-label="工作进展" data-required="true"`,
		`<label for="m3-f0-0">工作进展<span class="req" aria-hidden="true">*</span></label>`,
		`<textarea rows="4" id="m3-f0-0" name="summary" required aria-required="true" aria-describedby="m3-f0-0-err" placeholder="本月工作" maxlength="2000"></textarea>`,
		`<p class="field-error" id="m3-f0-0-err" aria-live="polite"></p>`,
		// text with an escaped default
		`<input type="text" id="m3-f0-1" name="title" aria-describedby="m3-f0-1-err" value="a&#34;b">`,
		// select with default
		`<option value="">请选择</option><option value="in_progress">整改中</option><option value="closed" selected>已销号</option>`,
		// multi-select as checkboxes in a fieldset
		`<fieldset id="m3-f0-3" aria-describedby="m3-f0-3-err"><legend>类别</legend>`,
		`<input type="checkbox" id="m3-f0-3-0" name="cats" value="a" checked> 甲`,
		`<input type="checkbox" id="m3-f0-3-1" name="cats" value="b"> 乙`,
		`value="c" checked> 丙`,
		// date normalised to the input's format
		`<input type="date" id="m3-f0-4" name="due" required aria-required="true" aria-describedby="m3-f0-4-err" value="2026-12-01">`,
		// person
		`<select id="m3-f0-5" name="who" aria-describedby="m3-f0-5-err"><option value="">请选择</option><option value="li-lb">李晓燕</option></select>`,
		`<button type="submit" class="btn btn-primary">提交月报</button>`,
	)
	mustNotContain(t, got, "disabled", "已提交")
}

func TestHTMLDisabledAfterSubmit(t *testing.T) {
	t.Parallel()
	got := HTML(sampleForm(), HTMLOptions{ID: "m4", Disabled: true})
	mustContain(t, got, `class="card card-tone-info is-submitted"`,
		`name="summary" required aria-required="true" aria-describedby="m4-f0-0-err" disabled`,
		`<fieldset id="m4-f0-3" aria-describedby="m4-f0-3-err" disabled>`,
		`<button type="submit" class="btn btn-primary" disabled>提交月报</button>`,
		`<p class="card-note card-submitted" role="status">已提交</p>`)
}

func TestHTMLUniqueIDs(t *testing.T) {
	t.Parallel()
	c := sampleForm()
	c.Blocks = append(c.Blocks, c.Blocks[0])
	got := HTML(c, HTMLOptions{ID: "m5"})
	seen := map[string]bool{}
	for _, part := range strings.Split(got, ` id="`)[1:] {
		id := part[:strings.IndexByte(part, '"')]
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	}
}
