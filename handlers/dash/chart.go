package dash

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Charts are drawn on the server as SVG: no script, no external asset,
// Chinese labels in the page's own font. A chart is grouped bars, one
// group per month, one bar per series, with the value above each bar.

// series is one colour of bars.
type series struct {
	Name   string
	Colour string
	Values []int
}

// barChart renders grouped bars over labels (months) as inline SVG.
func barChart(title string, labels []string, ss []series) template.HTML {
	const (
		h, top, bottom, left = 220, 34, 36, 8
		barW, gap, groupGap  = 16, 3, 18
	)
	if len(labels) == 0 {
		return template.HTML(`<p class="muted">暂无数据</p>`)
	}
	groupW := len(ss)*(barW+gap) - gap
	w := left*2 + len(labels)*(groupW+groupGap)
	peak := 1
	for _, s := range ss {
		for _, v := range s.Values {
			peak = max(peak, v)
		}
	}
	plot := h - top - bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		w, h, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	// The legend.
	x := left
	for _, s := range ss {
		fmt.Fprintf(&b, `<rect x="%d" y="6" width="12" height="12" fill="%s"/><text x="%d" y="16" font-size="12" fill="#333">%s</text>`,
			x, s.Colour, x+16, html.EscapeString(s.Name))
		x += 16 + 14*len([]rune(s.Name)) + 14
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#bbb"/>`, left, h-bottom, w-left, h-bottom)
	for i, l := range labels {
		gx := left + groupGap/2 + i*(groupW+groupGap)
		for j, s := range ss {
			v := 0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			bh := v * plot / peak
			bx := gx + j*(barW+gap)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s：%d</title></rect>`,
				bx, h-bottom-bh, barW, bh, s.Colour, html.EscapeString(l), html.EscapeString(s.Name), v)
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="middle" fill="#333">%d</text>`, bx+barW/2, h-bottom-bh-3, v)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>`,
			gx+groupW/2, h-bottom+16, html.EscapeString(l))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text in it is escaped above
}
