package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What changed since the last digest. A digest's delivery key carries the
// counts it showed (where it once carried a fingerprint of its facts):
//
//	digest:smx-2023:2023-09-25:n:p2023-10.m1.w1.q1.o0.s0.a0.r0.d0:p:lushi-leader
//
// The next digest to the same person reads the newest such key of its
// subject and says, line by line, what went up or down: 较上次（9月22日（周五））：
// 新增逾期未报 1 个单位，新增待审批 1 项. Counts, not sets: one item closed
// and another overdue on the same day read as no change in 逾期.

// digestCounts are the numbers a digest shows.
type digestCounts struct {
	Period    string // the open period (2023-10); "" after the window
	Missing   int    // units without the open period's report
	Owed      int    // units owing an earlier period (补报)
	OwedPer   int    // the periods they owe, all told
	Overdue   int    // items past their deadline
	Soon      int    // items due within digestSoonDays
	Approvals int    // 销号/延期 waiting for a decision
	Requests  int    // enterprise requests waiting for an answer
	Notices   int    // 督办单 not closed
}

// encode renders the counts for a delivery key (no colons).
func (n digestCounts) encode() string {
	return fmt.Sprintf("p%s.m%d.w%d.q%d.o%d.s%d.a%d.r%d.d%d", n.Period, n.Missing, n.Owed, n.OwedPer, n.Overdue, n.Soon, n.Approvals, n.Requests, n.Notices)
}

// digestKey is a digest's delivery key without its recipient.
func digestKey(kind, campaign string, day time.Time, n digestCounts) string {
	return fmt.Sprintf("%s:%s:%s:n:%s", kind, campaign, day.Format(time.DateOnly), n.encode())
}

// lastDigest is what the previous digest to a person showed, read from its
// delivery key.
type lastDigest struct {
	day    time.Time
	counts digestCounts
}

// parseDigestKey reads a digest's delivery key; false for a key of another
// shape (one from before the counts, or none).
func parseDigestKey(key string) (*lastDigest, bool) {
	p := strings.Split(key, ":")
	if len(p) < 5 || p[3] != "n" {
		return nil, false
	}
	day, err := time.Parse(time.DateOnly, p[2])
	if err != nil {
		return nil, false
	}
	n := digestCounts{OwedPer: -1} // -1: a key written before it was counted
	for _, f := range strings.Split(p[4], ".") {
		if f == "" {
			return nil, false
		}
		if f[0] == 'p' {
			n.Period = f[1:]
			continue
		}
		v, err := strconv.Atoi(f[1:])
		if err != nil {
			return nil, false
		}
		switch f[0] {
		case 'm':
			n.Missing = v
		case 'w':
			n.Owed = v
		case 'q':
			n.OwedPer = v
		case 'o':
			n.Overdue = v
		case 's':
			n.Soon = v
		case 'a':
			n.Approvals = v
		case 'r':
			n.Requests = v
		case 'd':
			n.Notices = v
		}
	}
	return &lastDigest{day: day, counts: n}, true
}

// changeLine says what changed from prev to cur, or "" for the first digest:
// 较上次（9月22日（周五））：新增逾期 1 条，已补报 1 个单位; 无变化 when nothing
// did.
func changeLine(prev *lastDigest, cur digestCounts) string {
	if prev == nil {
		return ""
	}
	p := prev.counts
	var parts []string
	delta := func(before, after int, up, down string) {
		switch d := after - before; {
		case d > 0:
			parts = append(parts, fmt.Sprintf(up, d))
		case d < 0:
			parts = append(parts, fmt.Sprintf(down, -d))
		}
	}
	if p.Owed != cur.Owed {
		delta(p.Owed, cur.Owed, "新增逾期未报 %d 个单位", "已补报 %d 个单位")
	} else if p.OwedPer >= 0 { // the same number of units, owing more or fewer periods
		delta(p.OwedPer, cur.OwedPer, "新增逾期未报 %d 期", "已补报 %d 期")
	}
	if p.Period == cur.Period { // a new period starts afresh
		delta(p.Missing, cur.Missing, "新增未报 %d 个单位", "新增已报 %d 个单位")
	}
	delta(p.Overdue, cur.Overdue, "新增逾期 %d 条", "逾期减少 %d 条")
	delta(p.Soon, cur.Soon, "新增临近到期 %d 条", "临近到期减少 %d 条")
	delta(p.Approvals, cur.Approvals, "新增待审批 %d 项", "已审批 %d 项")
	delta(p.Requests, cur.Requests, "新增待回复诉求 %d 件", "已回复诉求 %d 件")
	delta(p.Notices, cur.Notices, "新增督办单 %d 份", "办结督办单 %d 份")
	what := "无变化"
	if len(parts) > 0 {
		what = strings.Join(parts, "，")
	}
	return fmt.Sprintf("**较上次**（%s）：%s", dateLabel(prev.day), what)
}
