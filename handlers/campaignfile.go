package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"zhenggai/store"
)

// The campaign file (DESIGN.md 7.4) is read strictly: unknown keys, bad
// dates and references to people, units or groups that do not exist are
// errors that name the line, and all of them are reported at once.

// CampaignFile is a parsed, checked campaign file.
type CampaignFile struct {
	Campaign    CampaignDoc     `yaml:"campaign"`
	People      []PersonDoc     `yaml:"people"`
	Units       []UnitDoc       `yaml:"units"`
	Enterprises []EnterpriseDoc `yaml:"enterprises"`
}

// CampaignDoc is the campaign: section.
type CampaignDoc struct {
	Key                string           `yaml:"key"`
	Name               string           `yaml:"name"`
	Timezone           string           `yaml:"timezone"`
	OfficeUnit         Ref              `yaml:"office_unit"`
	MonthlyReport      MonthlyReportDoc `yaml:"monthly_report"`
	Digest             DigestDoc        `yaml:"digest"`
	RequestAnswerHours int              `yaml:"request_answer_hours"`
	Supervision        SupervisionDoc   `yaml:"supervision"`
	Phases             []PhaseDoc       `yaml:"phases"`
	Milestones         []MilestoneDoc   `yaml:"milestones"`
	// Holidays and Workdays are days off and 调休 working days of State
	// Council notices the calendar library does not carry (its tables end in
	// 2027; workday.go).
	Holidays []Date `yaml:"holidays"`
	Workdays []Date `yaml:"workdays"`
	// RequestAutocloseDays closes an answered, unrated request after that
	// many days (default 7).
	RequestAutocloseDays int `yaml:"request_autoclose_days"`
}

// MonthlyReportDoc is campaign.monthly_report.
type MonthlyReportDoc struct {
	DueDay           int       `yaml:"due_day"`
	From             Date      `yaml:"from"`
	Until            Date      `yaml:"until"`
	RemindDaysBefore []int     `yaml:"remind_days_before"`
	RemindAt         ClockTime `yaml:"remind_at"`
}

// DigestDoc is campaign.digest.
type DigestDoc struct {
	At           ClockTime `yaml:"at"`
	WorkdaysOnly bool      `yaml:"workdays_only"`
	Quiet        bool      `yaml:"quiet"`
}

// SupervisionDoc is campaign.supervision (督查督办).
type SupervisionDoc struct {
	Light LightDoc `yaml:"light"`
	Score ScoreDoc `yaml:"score"`
}

// ScoreDoc is campaign.supervision.score: the monthly score's (考评) base
// and its deduction per event. A weight left out takes its default
// (defaultScore); 0 leaves that kind of event uncounted.
type ScoreDoc struct {
	Base             Weight `yaml:"base"`
	ReportLate       Weight `yaml:"report_late"`
	ReportLateDay    Weight `yaml:"report_late_day"`
	ReportMissing    Weight `yaml:"report_missing"`
	ItemOverdue      Weight `yaml:"item_overdue"`
	NoticeSignLate   Weight `yaml:"notice_sign_late"`
	NoticeAnswerLate Weight `yaml:"notice_answer_late"`
	RequestLate      Weight `yaml:"request_late"`
}

// Weight is a whole number of points, with its line and whether the file
// gave it.
type Weight struct {
	Value int
	Line  int
	Set   bool
}

// UnmarshalYAML reads a whole number and keeps the line.
func (w *Weight) UnmarshalYAML(n *yaml.Node) error {
	var v int
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		return fmt.Errorf("line %d: %q 不是整数分值（应写成 5 这样的整数）", n.Line, n.Value)
	}
	w.Value, w.Line, w.Set = v, n.Line, true
	return nil
}

// scoreWeights lists the weights of a ScoreDoc with their keys, Chinese
// names and defaults, in the order the README and the cards give them.
func (d *ScoreDoc) scoreWeights() []struct {
	key, name string
	w         *Weight
	def       int
} {
	return []struct {
		key, name string
		w         *Weight
		def       int
	}{
		{"report_late", "月报逾期报送每期扣分", &d.ReportLate, defaultScore.ReportLate},
		{"report_late_day", "月报逾期每天加扣", &d.ReportLateDay, defaultScore.ReportLateDay},
		{"report_missing", "月报未报送扣分", &d.ReportMissing, defaultScore.ReportMissing},
		{"item_overdue", "逾期问题每条扣分", &d.ItemOverdue, defaultScore.ItemOverdue},
		{"notice_sign_late", "督办单未按时签收每份扣分", &d.NoticeSignLate, defaultScore.NoticeSignLate},
		{"notice_answer_late", "督办单未按期答复每份扣分", &d.NoticeAnswerLate, defaultScore.NoticeAnswerLate},
		{"request_late", "企业诉求超时答复每件扣分", &d.RequestLate, defaultScore.RequestLate},
	}
}

// checkScore fills the score's defaults and reports, in Chinese, a base or
// a deduction out of range.
func checkScore(d *ScoreDoc, bad func(line int, format string, args ...any)) {
	if !d.Base.Set {
		d.Base.Value = defaultScore.Base
	}
	if b := d.Base; b.Value < 1 || b.Value > 1000 {
		bad(max(b.Line, 1), "supervision.score.base（基础分）应为 1 到 1000 之间的整数，而不是 %d", b.Value)
	}
	for _, x := range d.scoreWeights() {
		if !x.w.Set {
			x.w.Value = x.def
			continue
		}
		if x.w.Value < 0 || x.w.Value > d.Base.Value {
			bad(x.w.Line, "supervision.score.%s（%s）应为 0 到基础分 %d 之间的整数，而不是 %d；写 0 表示不计此项",
				x.key, x.name, d.Base.Value, x.w.Value)
		}
	}
}

// settings returns the checked score as the campaign stores it.
func (d *ScoreDoc) settings() *store.ScoreSettings {
	return &store.ScoreSettings{Base: d.Base.Value, ReportLate: d.ReportLate.Value, ReportLateDay: d.ReportLateDay.Value,
		ReportMissing: d.ReportMissing.Value, ItemOverdue: d.ItemOverdue.Value, NoticeSignLate: d.NoticeSignLate.Value,
		NoticeAnswerLate: d.NoticeAnswerLate.Value, RequestLate: d.RequestLate.Value}
}

// LightDoc is campaign.supervision.light: the 红黄绿灯's N and M, in
// workdays.
type LightDoc struct {
	SoonWorkdays  int `yaml:"soon_workdays"`
	StallWorkdays int `yaml:"stall_workdays"`
}

// PhaseDoc is one of campaign.phases.
type PhaseDoc struct {
	Name  string `yaml:"name"`
	From  Date   `yaml:"from"`
	Until Date   `yaml:"until"`
}

// MilestoneDoc is one of campaign.milestones.
type MilestoneDoc struct {
	Key              string `yaml:"key"`
	Title            string `yaml:"title"`
	Due              Date   `yaml:"due"`
	Units            []Ref  `yaml:"units"`
	RemindDaysBefore []int  `yaml:"remind_days_before"`
	// Package makes the milestone a package of parts each unit fills over
	// several messages (the 10-17 总结; summary.go).
	Package *PackageDoc `yaml:"package"`
	line    int
}

// PackageDoc is a milestone's package: its parts (summaryPartKeys) and how
// many 典型案例 it needs (default 2).
type PackageDoc struct {
	Parts    []string `yaml:"parts"`
	MinCases int      `yaml:"min_cases"`
	line     int
}

// UnmarshalYAML keeps the line.
func (p *PackageDoc) UnmarshalYAML(n *yaml.Node) error {
	type plain PackageDoc
	if err := strictDecode(n, (*plain)(p)); err != nil {
		return err
	}
	p.line = n.Line
	return nil
}

// PersonDoc is one of people.
type PersonDoc struct {
	Key      string            `yaml:"key"`
	Name     string            `yaml:"name"`
	Title    string            `yaml:"title"`
	Phone    string            `yaml:"phone"`
	Accounts map[string]string `yaml:"accounts"`
	// Supervisor marks a 社会义务监督员: he may send clues (线索：…) and
	// sees his own.
	Supervisor bool `yaml:"supervisor"`
	line       int
}

// UnitDoc is one of units.
type UnitDoc struct {
	Key     string            `yaml:"key"`
	Name    string            `yaml:"name"`
	Code    string            `yaml:"code"`
	Groups  []string          `yaml:"groups"`
	Leader  Ref               `yaml:"leader"`
	Liaison Ref               `yaml:"liaison"`
	Members []Ref             `yaml:"members"`
	Chats   map[string]string `yaml:"chats"`
	line    int
}

// EnterpriseDoc is one of enterprises.
type EnterpriseDoc struct {
	Key      string       `yaml:"key"`
	Name     string       `yaml:"name"`
	Leader   Ref          `yaml:"leader"`
	Contacts []ContactDoc `yaml:"contacts"`
	line     int
}

// ContactDoc is one of an enterprise's contacts.
type ContactDoc struct {
	Name     string            `yaml:"name"`
	Phone    string            `yaml:"phone"`
	Accounts map[string]string `yaml:"accounts"`
	line     int
}

// Ref is a key that refers to something else in the file, with its line.
type Ref struct {
	Key  string
	Line int
}

// UnmarshalYAML keeps the line.
func (r *Ref) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a key, got a %s", n.Line, kindName(n.Kind))
	}
	r.Key, r.Line = n.Value, n.Line
	return nil
}

// Date is a calendar date written as 2023-05-10.
type Date struct {
	time.Time
	Line int
}

// UnmarshalYAML parses the date and keeps the line.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse("2006-01-02", n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: %q is not a date like 2023-05-10", n.Line, n.Value)
	}
	d.Time, d.Line = t, n.Line
	return nil
}

// ClockTime is a time of day written as "09:00".
type ClockTime struct {
	Value string
	Line  int
}

var clockRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// UnmarshalYAML checks the time of day and keeps the line.
func (c *ClockTime) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || !clockRe.MatchString(n.Value) {
		return fmt.Errorf("line %d: %q is not a time of day like \"09:00\"", n.Line, n.Value)
	}
	c.Value, c.Line = n.Value, n.Line
	return nil
}

// Line capture for list entries.
func (p *PersonDoc) UnmarshalYAML(n *yaml.Node) error {
	type plain PersonDoc
	if err := strictDecode(n, (*plain)(p)); err != nil {
		return err
	}
	p.line = n.Line
	return nil
}

// UnmarshalYAML keeps the line.
func (u *UnitDoc) UnmarshalYAML(n *yaml.Node) error {
	type plain UnitDoc
	if err := strictDecode(n, (*plain)(u)); err != nil {
		return err
	}
	u.line = n.Line
	return nil
}

// UnmarshalYAML keeps the line.
func (e *EnterpriseDoc) UnmarshalYAML(n *yaml.Node) error {
	type plain EnterpriseDoc
	if err := strictDecode(n, (*plain)(e)); err != nil {
		return err
	}
	e.line = n.Line
	return nil
}

// UnmarshalYAML keeps the line.
func (c *ContactDoc) UnmarshalYAML(n *yaml.Node) error {
	type plain ContactDoc
	if err := strictDecode(n, (*plain)(c)); err != nil {
		return err
	}
	c.line = n.Line
	return nil
}

// UnmarshalYAML keeps the line.
func (m *MilestoneDoc) UnmarshalYAML(n *yaml.Node) error {
	type plain MilestoneDoc
	if err := strictDecode(n, (*plain)(m)); err != nil {
		return err
	}
	m.line = n.Line
	return nil
}

// strictDecode decodes a node refusing unknown keys. yaml.v3's KnownFields
// does not reach into custom unmarshalers, so mapping keys are checked here
// against v's yaml tags before the node is decoded in place (keeping lines).
func strictDecode(n *yaml.Node, v any) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping, got a %s", n.Line, kindName(n.Kind))
	}
	known := map[string]bool{}
	t := reflect.TypeOf(v).Elem()
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			known[tag] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !known[k.Value] {
			return fmt.Errorf("line %d: unknown key %q", k.Line, k.Value)
		}
	}
	return n.Decode(v)
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "value"
	}
	return "node"
}

// Platforms an account may be on in a campaign file.
var accountPlatforms = map[string]bool{"feishu": true, "dingtalk": true, "wecom": true, "wecom_kf": true, "sim": true}

// ErrBadCampaignFile wraps every problem found in a campaign file.
var ErrBadCampaignFile = errors.New("bad campaign file")

// ParseCampaignFile reads and checks a campaign file. name prefixes every
// problem ("demo.yaml:12: …"). Every problem is reported, joined, wrapping
// ErrBadCampaignFile.
func ParseCampaignFile(name string, data []byte) (*CampaignFile, error) {
	var f CampaignFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w:\n%s", ErrBadCampaignFile, yamlProblems(name, err))
	}
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	c := &f.Campaign
	if c.Key == "" {
		bad(1, "campaign.key is required")
	}
	if c.Name == "" {
		bad(1, "campaign.name is required")
	}
	if c.Timezone == "" {
		c.Timezone = "Asia/Shanghai"
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad(1, "campaign.timezone %q is not a time zone", c.Timezone)
	}
	mr := &c.MonthlyReport
	if mr.DueDay < 1 || mr.DueDay > 28 {
		bad(mr.From.Line, "monthly_report.due_day must be a day from 1 to 28, not %d", mr.DueDay)
	}
	if mr.From.IsZero() || mr.Until.IsZero() || mr.Until.Before(mr.From.Time) {
		bad(mr.From.Line, "monthly_report needs from and until, with until not before from")
	}
	for _, d := range mr.RemindDaysBefore {
		if d < 0 || d > 27 {
			bad(mr.From.Line, "monthly_report.remind_days_before: %d is not between 0 and 27", d)
		}
	}
	if mr.RemindAt.Value == "" {
		mr.RemindAt.Value = "09:00"
	}
	if c.Digest.At.Value == "" {
		c.Digest.At.Value = "08:30"
	}
	if c.RequestAnswerHours == 0 {
		c.RequestAnswerHours = 24
	}
	if c.RequestAnswerHours < 0 {
		bad(1, "request_answer_hours must be positive")
	}
	checkCalendarDays(c, bad)
	if l := c.Supervision.Light; l.SoonWorkdays < 0 || l.SoonWorkdays > 60 || l.StallWorkdays < 0 || l.StallWorkdays > 120 {
		bad(1, "supervision.light: soon_workdays must be 0..60 and stall_workdays 0..120 (0 means the default)")
	}
	checkScore(&c.Supervision.Score, bad)
	if c.RequestAutocloseDays == 0 {
		c.RequestAutocloseDays = defaultAutocloseDays
	}
	if c.RequestAutocloseDays < 0 || c.RequestAutocloseDays > 90 {
		bad(1, "request_autoclose_days must be between 1 and 90")
	}
	for i, p := range c.Phases {
		if p.Name == "" {
			bad(p.From.Line, "phase %d has no name", i+1)
		}
		if p.From.IsZero() {
			bad(p.From.Line, "phase %q has no from date", p.Name)
		}
		if !p.Until.IsZero() && p.Until.Before(p.From.Time) {
			bad(p.Until.Line, "phase %q ends before it starts", p.Name)
		}
	}

	people := map[string]bool{}
	accounts := map[string]string{}
	checkAccounts := func(line int, owner string, accs map[string]string) {
		for plat, id := range accs {
			if !accountPlatforms[plat] {
				bad(line, "%s: unknown platform %q in accounts (feishu, dingtalk, wecom, wecom_kf)", owner, plat)
			}
			if id == "" {
				bad(line, "%s: empty %s account", owner, plat)
			}
			k := plat + ":" + id
			if prev, dup := accounts[k]; dup {
				bad(line, "%s: %s account %q is also %s's", owner, plat, id, prev)
			}
			accounts[k] = owner
		}
	}
	for _, p := range f.People {
		switch {
		case p.Key == "":
			bad(p.line, "a person has no key")
		case people[p.Key]:
			bad(p.line, "person %q is listed twice", p.Key)
		}
		if p.Name == "" {
			bad(p.line, "person %q has no name", p.Key)
		}
		people[p.Key] = true
		checkAccounts(p.line, "person "+p.Key, p.Accounts)
	}
	person := func(r Ref, what string) {
		if r.Key != "" && !people[r.Key] {
			bad(r.Line, "%s %q is not in people", what, r.Key)
		}
	}

	units := map[string]bool{}
	codes := map[string]string{}
	groups := map[string]bool{}
	chats := map[string]string{}
	for i := range f.Units {
		u := &f.Units[i]
		switch {
		case u.Key == "":
			bad(u.line, "a unit has no key")
		case units[u.Key]:
			bad(u.line, "unit %q is listed twice", u.Key)
		}
		if u.Name == "" {
			bad(u.line, "unit %q has no name", u.Key)
		}
		units[u.Key] = true
		if u.Code == "" {
			u.Code = strings.ToUpper(u.Key)
		}
		if prev, dup := codes[u.Code]; dup {
			bad(u.line, "unit %q has the same code %q as unit %q", u.Key, u.Code, prev)
		}
		codes[u.Code] = u.Key
		for _, g := range u.Groups {
			groups[g] = true
		}
		person(u.Leader, "leader")
		person(u.Liaison, "liaison")
		for _, m := range u.Members {
			person(m, "member")
		}
		for plat, id := range u.Chats {
			if !accountPlatforms[plat] || plat == "wecom_kf" {
				bad(u.line, "unit %q: unknown platform %q in chats", u.Key, plat)
			}
			if prev, dup := chats[plat+":"+id]; dup {
				bad(u.line, "unit %q: %s chat %q is also unit %q's", u.Key, plat, id, prev)
			}
			chats[plat+":"+id] = u.Key
		}
	}
	if c.OfficeUnit.Key == "" {
		bad(1, "campaign.office_unit is required")
	} else if !units[c.OfficeUnit.Key] {
		bad(c.OfficeUnit.Line, "office_unit %q is not in units", c.OfficeUnit.Key)
	}
	mkeys := map[string]bool{}
	for _, m := range c.Milestones {
		if m.Key == "" || mkeys[m.Key] {
			bad(m.line, "milestone key %q is empty or repeated", m.Key)
		}
		mkeys[m.Key] = true
		if m.Title == "" {
			bad(m.line, "milestone %q has no title", m.Key)
		}
		if m.Due.IsZero() {
			bad(m.line, "milestone %q has no due date", m.Key)
		}
		for _, r := range m.Units {
			if !groups[r.Key] && !units[r.Key] {
				bad(r.Line, "milestone %q: %q is neither a unit group nor a unit", m.Key, r.Key)
			}
		}
		for _, d := range m.RemindDaysBefore {
			if d < 0 || d > 60 {
				bad(m.line, "milestone %q: remind_days_before %d is not between 0 and 60", m.Key, d)
			}
		}
		if pk := m.Package; pk != nil {
			checkPackage(m.Key, pk, bad)
		}
	}
	ekeys := map[string]bool{}
	for _, e := range f.Enterprises {
		if e.Key == "" || ekeys[e.Key] {
			bad(e.line, "enterprise key %q is empty or repeated", e.Key)
		}
		ekeys[e.Key] = true
		if e.Name == "" {
			bad(e.line, "enterprise %q has no name", e.Key)
		}
		if e.Leader.Key == "" {
			bad(e.line, "enterprise %q has no leader", e.Key)
		}
		person(e.Leader, "leader")
		names := map[string]bool{}
		for _, ct := range e.Contacts {
			if ct.Name == "" || names[ct.Name] {
				bad(ct.line, "enterprise %q: contact name %q is empty or repeated", e.Key, ct.Name)
			}
			names[ct.Name] = true
			checkAccounts(ct.line, "contact "+e.Key+"/"+ct.Name, ct.Accounts)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w:\n%s", ErrBadCampaignFile, strings.Join(problems, "\n"))
	}
	return &f, nil
}

// checkPackage checks a milestone's package: known parts, each once, and
// min_cases (default 2) between 1 and 10 when it has 典型案例.
func checkPackage(key string, pk *PackageDoc, bad func(int, string, ...any)) {
	if len(pk.Parts) == 0 {
		bad(pk.line, "milestone %q: package needs parts (%s)", key, strings.Join(summaryPartKeys, ", "))
	}
	seen := map[string]bool{}
	for _, p := range pk.Parts {
		if !slices.Contains(summaryPartKeys, p) {
			bad(pk.line, "milestone %q: unknown package part %q (%s)", key, p, strings.Join(summaryPartKeys, ", "))
		}
		if seen[p] {
			bad(pk.line, "milestone %q: package part %q is listed twice", key, p)
		}
		seen[p] = true
	}
	switch {
	case !seen[summaryCases] && pk.MinCases != 0:
		bad(pk.line, "milestone %q: min_cases without the part %q", key, summaryCases)
	case seen[summaryCases] && pk.MinCases == 0:
		pk.MinCases = 2
	case seen[summaryCases] && (pk.MinCases < 1 || pk.MinCases > 10):
		bad(pk.line, "milestone %q: min_cases must be between 1 and 10", key)
	}
}

var (
	lineRe    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// yamlProblems turns the YAML decoder's errors into one "file:line: problem"
// per line.
func yamlProblems(name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		m := lineRe.FindStringSubmatch(l)
		if m == nil {
			out = append(out, fmt.Sprintf("%s: %s", name, strings.TrimPrefix(l, "yaml: ")))
			continue
		}
		problem := m[2]
		if u := unknownRe.FindStringSubmatch(problem); u != nil {
			problem = fmt.Sprintf("unknown key %q", u[1])
		}
		out = append(out, fmt.Sprintf("%s:%s: %s", name, m[1], problem))
	}
	return strings.Join(out, "\n")
}
