package dash

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhenggai/handlers"
	"zhenggai/store"
)

//go:embed templates/*.html static/dash.css
var assets embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"lightClass": lightClass,
	"trim":       trim,
	"size":       handlers.SizeLabel,
	"query":      func(v url.Values) template.URL { return template.URL("?" + v.Encode()) }, //nolint:gosec // Encode escapes
}).ParseFS(assets, "templates/*.html"))

// lightClass is a light's CSS class.
func lightClass(l handlers.Light) string {
	switch l {
	case handlers.LightRed:
		return "red"
	case handlers.LightYellow:
		return "yellow"
	}
	return "green"
}

// frame is what every page's header needs.
type frame struct {
	Title    string
	Campaign string
	Who      string
	Role     string
	CSRF     string
	Office   bool
	Body     any
}

func (v *viewer) frame(title string, body any) frame {
	role := "联络人"
	switch {
	case v.Roles.Office:
		role = "市局专项整治办公室"
	case v.Roles.IsLeader():
		role = "单位领导"
	case len(v.Roles.Liaises) == 0 && len(v.Roles.Member) > 0:
		role = "单位成员"
	}
	return frame{Title: title, Campaign: v.campaign.Name, Who: v.Person.Name, Role: role, CSRF: v.session.CSRF, Office: v.Roles.Office, Body: body}
}

// render writes a template into a buffer first, so that a failure is a
// clean 500.
func render(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("dash: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// message is a page with a title and a sentence, and nothing else.
func (s *Server) message(w http.ResponseWriter, status int, title, text string) {
	secureHeaders(w)
	if err := render(w, status, "message.html", map[string]string{"Title": title, "Text": text}); err != nil {
		s.log.Error("Dashboard render failed", "error", err)
	}
}

func (s *Server) css(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	w.Header().Set("Cache-Control", "max-age=3600")
	http.ServeFileFS(w, r, assets, "static/dash.css")
}

// unitRow is a unit's line of the overview, every cell a plain field: a
// thousand rows render in a few milliseconds without function calls.
type unitRow struct {
	Key, Name, LightClass, Light, Reason, Report, ReportClass, Owed string
	InProgress, LongTerm, CloseRequested, Closed, Red               int
}

// overviewBody is the overview's data.
type overviewBody struct {
	*handlers.DashOverview
	Rows                      []unitRow
	AsOf                      string
	OpenedChart, ReportsChart template.HTML
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, v *viewer) error {
	o, at, err := s.cache.get(v.Viewer, v.campaign.ID, func() (*handlers.DashOverview, error) {
		return handlers.DashboardOverview(r.Context(), s.st, v.campaign, v.Viewer, s.cfg.Clock.Now())
	})
	if err != nil {
		return err
	}
	var months []string
	var opened, closed, onTime, late []int
	for _, m := range o.Trends {
		t, err := time.Parse("2006-01", m.Month)
		label := m.Month
		if err == nil {
			label = fmt.Sprintf("%d月", int(t.Month()))
			if t.Month() == time.January || len(months) == 0 {
				label = fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
			}
		}
		months = append(months, label)
		opened, closed = append(opened, m.Opened), append(closed, m.Closed)
		onTime, late = append(onTime, m.ReportsOnTime), append(late, m.Reports-m.ReportsOnTime)
	}
	rows := make([]unitRow, len(o.Units))
	for i, u := range o.Units {
		rows[i] = unitRow{Key: u.Unit.Key, Name: u.Unit.Name, LightClass: lightClass(u.Light.Light), Light: u.Light.Light.String(),
			Reason: u.Light.Reason, Report: u.Report, ReportClass: lightClass(u.ReportLight), Owed: u.OwedLabel,
			InProgress: u.Stat.InProgress, LongTerm: u.Stat.LongTerm, CloseRequested: u.Stat.CloseRequested, Closed: u.Stat.Closed, Red: u.Stat.Red}
	}
	body := overviewBody{DashOverview: o, Rows: rows, AsOf: at.In(v.campaign.Location()).Format("15:04:05"),
		OpenedChart:  barChart("每月新增与销号问题", months, []series{{"新增问题", "#4e79a7", opened}, {"销号问题", "#59a14f", closed}}),
		ReportsChart: barChart("每月月报报送", months, []series{{"按时报送", "#59a14f", onTime}, {"逾期报送", "#f28e2b", late}}),
	}
	return render(w, http.StatusOK, "overview.html", v.frame("总览", body))
}

// unitBody is a unit page's data.
type unitBody struct {
	*handlers.DashLedgerPage
	Filter  url.Values
	Sorts   []sortLink
	Prev    template.URL
	Next    template.URL
	Export  string
	Overdue bool
}

type sortLink struct {
	Label  string
	URL    template.URL
	Active string // "▲", "▼" or ""
}

func (s *Server) unit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	qv := r.URL.Query()
	q := store.DashLedgerQuery{Status: qv.Get("state"), Category: qv.Get("category"), Source: qv.Get("source"),
		Overdue: qv.Get("overdue") == "1", Text: qv.Get("q"), Sort: qv.Get("sort"), Desc: qv.Get("desc") == "1"}
	if q.Status != "" && q.Status != "open" && !validStatus(q.Status) {
		q.Status = ""
	}
	if _, ok := store.DashSorts[q.Sort]; !ok {
		q.Sort = "number"
	}
	if len([]rune(q.Text)) > 50 {
		q.Text = string([]rune(q.Text)[:50])
	}
	page, _ := strconv.Atoi(qv.Get("page"))
	key := r.PathValue("key")
	p, err := handlers.DashboardLedger(r.Context(), s.st, v.campaign, v.Viewer, key, q, page, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	filter := url.Values{}
	for _, k := range []string{"state", "category", "source", "overdue", "q"} {
		if x := qv.Get(k); x != "" {
			filter.Set(k, x)
		}
	}
	with := func(set map[string]string) template.URL {
		u := url.Values{}
		for k, vs := range filter {
			u[k] = vs
		}
		u.Set("sort", p.Query.Sort)
		if p.Query.Desc {
			u.Set("desc", "1")
		}
		for k, x := range set {
			if x == "" {
				u.Del(k)
			} else {
				u.Set(k, x)
			}
		}
		return template.URL("?" + u.Encode()) //nolint:gosec // Encode escapes
	}
	body := unitBody{DashLedgerPage: p, Filter: filter, Overdue: q.Overdue, Export: "/dash/export.xlsx?unit=" + url.QueryEscape(p.Unit.Key)}
	for _, c := range []struct{ key, label string }{{"number", "编号"}, {"category", "类别"}, {"source", "来源"}, {"due", "整改时限"}, {"status", "状态"}, {"progress", "最近进展"}} {
		sl := sortLink{Label: c.label}
		desc := ""
		if p.Query.Sort == c.key {
			sl.Active = "▲"
			if p.Query.Desc {
				sl.Active = "▼"
			} else {
				desc = "1"
			}
		}
		sl.URL = with(map[string]string{"sort": c.key, "desc": desc, "page": ""})
		body.Sorts = append(body.Sorts, sl)
	}
	if p.Page > 1 {
		body.Prev = with(map[string]string{"page": strconv.Itoa(p.Page - 1)})
	}
	if p.Page < p.Pages {
		body.Next = with(map[string]string{"page": strconv.Itoa(p.Page + 1)})
	}
	return render(w, http.StatusOK, "unit.html", v.frame(p.Unit.Name+" · 台账", body))
}

func validStatus(s string) bool {
	switch s {
	case store.ItemInProgress, store.ItemLongTerm, store.ItemCloseRequested, store.ItemClosed:
		return true
	}
	return false
}

func (s *Server) item(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := handlers.DashboardItem(r.Context(), s.st, v.campaign, v.Viewer, r.PathValue("number"), s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	return render(w, http.StatusOK, "item.html", v.frame(d.Item.Number, d))
}

func (s *Server) requests(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := handlers.DashboardRequests(r.Context(), s.st, v.campaign, v.Viewer, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	return render(w, http.StatusOK, "requests.html", v.frame("企业诉求", d))
}

func (s *Server) request(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var d *handlers.DashRequest
	err := s.st.InTx(r.Context(), func(tx *store.Store) error {
		var err error
		d, err = handlers.DashboardRequest(r.Context(), tx, v.campaign, v.Viewer, v.actor(), r.PathValue("number"), s.cfg.Clock.Now())
		return err
	})
	if err != nil {
		return err
	}
	return render(w, http.StatusOK, "request.html", v.frame(d.Row.Q.Number, d))
}

// file sends a file after CanSeeFile, with its audit row committed first.
func (s *Server) file(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return handlers.ErrDashNotFound
	}
	var f *store.StoredFile
	err = s.st.InTx(r.Context(), func(tx *store.Store) error {
		f, err = handlers.DashboardFile(r.Context(), tx, v.Viewer, v.actor(), id)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.MIME)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Content)))
	_, err = w.Write(f.Content)
	return err
}

// export sends the ledger workbook the CLI writes, of what v sees.
func (s *Server) export(w http.ResponseWriter, r *http.Request, v *viewer) error {
	now := s.cfg.Clock.Now()
	var buf bytes.Buffer
	if _, err := handlers.DashboardExportLedger(r.Context(), s.st, v.campaign, v.Viewer, r.URL.Query().Get("unit"), &buf, now); err != nil {
		return err
	}
	name := fmt.Sprintf("专项整治工作台账-%s.xlsx", now.In(v.campaign.Location()).Format("20060102"))
	w.Header().Set("Content-Type", handlers.XLSXMIME)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, err := w.Write(buf.Bytes())
	return err
}

// trim shortens s for a table cell.
func trim(s string, n int) string {
	rs := []rune(strings.TrimSpace(s))
	if len(rs) <= n {
		return string(rs)
	}
	return string(rs[:n]) + "…"
}
