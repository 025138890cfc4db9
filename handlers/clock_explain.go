package handlers

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"zhenggai/store"
)

// Explain says, in Chinese, what an instant means for c's reminders and
// digests, beside what a tick at it ran (zhenggai tick, the simulator's
// clock panel): whether its day is a workday; which reminders of a report
// or milestone fall on that day and are sent, and which would have fallen
// on it but moved to the workday before (12月20日是周日，不发送提醒；T-3
// 提醒在 12月18日（周五）发送); when the day's reminders and digest go out.
// It reads the same rules the planner plans by (reportDuties,
// milestoneDuties, offsetOn), so it cannot say something the planner does
// not do.
func (p *planner) Explain(ctx context.Context, st *store.Store, c *store.Campaign, at time.Time) ([]string, error) {
	ms, err := st.Milestones(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return explainInstant(c, ms, at), nil
}

// ScheduleLabel names a schedule in the tick's summary.
func (p *planner) ScheduleLabel(name string) string {
	switch name {
	case scheduleRemind:
		return "提醒"
	case scheduleDigest:
		return "每日摘要"
	case scheduleRequests:
		return "企业诉求超时提醒"
	case scheduleAuditAnchor:
		return "审计锚点"
	}
	return name
}

func explainInstant(c *store.Campaign, ms []*store.Milestone, at time.Time) []string {
	loc := c.Location()
	day := dayOf(at, loc)
	cal := calendarOf(c)
	remindAt := cmp.Or(c.Settings.MonthlyReport.RemindAt, "09:00")
	digestAt := cmp.Or(c.Settings.Digest.At, "08:30")
	var out []string
	work := cal.isWorkday(day)
	switch {
	case !work:
		out = append(out, fmt.Sprintf("%d月%d日是%s，休息日不发送提醒%s。", int(day.Month()), day.Day(), shortWeekdays[day.Weekday()],
			map[bool]string{true: "和摘要", false: ""}[c.Settings.Digest.WorkdaysOnly]))
	case day.Weekday() == time.Saturday || day.Weekday() == time.Sunday:
		out = append(out, fmt.Sprintf("%s是调休工作日：按工作日发送提醒（%s）和摘要（%s）。", dateLabel(day), remindAt, digestAt))
	default:
		out = append(out, fmt.Sprintf("%s是工作日：提醒在 %s 发送，摘要在 %s 发送。", dateLabel(day), remindAt, digestAt))
	}
	// What is sent on day.
	for _, d := range reportDuties(c, day) {
		if d.overdue {
			out = append(out, fmt.Sprintf("当天发送：%s月报逾期提醒（%s截止，未报送的单位）。", periodLabel(d.period), dateLabel(d.due)))
			continue
		}
		out = append(out, fmt.Sprintf("当天发送：%s月报提醒（%s截止，%s）。", periodLabel(d.period), dateLabel(d.due), countdown(d.due, day)))
	}
	for _, d := range milestoneDuties(cal, ms, day) {
		what := "提醒"
		if d.overdue {
			what = "逾期提醒"
		}
		due := civil(d.m.DueOn)
		out = append(out, fmt.Sprintf("当天发送：“%s”%s（%s截止，%s）。", d.m.Title, what, dateLabel(due), countdown(due, day)))
	}
	// What would have fallen on day and moved.
	periods, dues := reportPeriods(c)
	for i, p := range periods {
		for _, k := range c.Settings.MonthlyReport.RemindDaysBefore {
			if moved, ok := movedFrom(cal, dues[i], int(k), day); ok {
				out = append(out, fmt.Sprintf("%s月报%s本应在这天，%s（%s截止）。", periodLabel(p), offsetLabel(int(k)),
					movedText(cal, dues[i], c.Settings.MonthlyReport.RemindDaysBefore, int(k), moved), dateLabel(cal.onOrBeforeWorkday(dues[i]))))
			}
		}
		if n := cal.nextWorkday(dues[i]); !n.Equal(dues[i].AddDate(0, 0, 1)) && dues[i].AddDate(0, 0, 1).Equal(day) {
			out = append(out, fmt.Sprintf("%s月报的逾期提醒改在 %s 发送。", periodLabel(p), dateLabel(n)))
		}
	}
	for _, m := range ms {
		for _, k := range m.RemindDaysBefore {
			if moved, ok := movedFrom(cal, civil(m.DueOn), int(k), day); ok {
				out = append(out, fmt.Sprintf("“%s”%s本应在这天，%s。", m.Title, offsetLabel(int(k)),
					movedText(cal, civil(m.DueOn), m.RemindDaysBefore, int(k), moved)))
			}
		}
	}
	if !work && c.Settings.Digest.WorkdaysOnly {
		out = append(out, fmt.Sprintf("下一次摘要：%s %s。", dateLabel(cal.nextWorkday(day)), digestAt))
	}
	return out
}

// movedFrom reports whether the reminder k days before due would fall on
// day but, day being off, is sent on an earlier workday (returned).
func movedFrom(cal *calendar, due time.Time, k int, day time.Time) (time.Time, bool) {
	if k < 0 || !due.AddDate(0, 0, -k).Equal(day) {
		return time.Time{}, false
	}
	moved := cal.onOrBeforeWorkday(day)
	return moved, !moved.Equal(day)
}

// movedText says where a moved reminder went: to its workday, or merged
// into the nearer reminder sent that day (the planner sends the nearer one
// alone).
func movedText[T int | int32](cal *calendar, due time.Time, offsets []T, k int, moved time.Time) string {
	if sent, ok := offsetOn(cal, due, offsets, moved); ok && sent != k {
		return fmt.Sprintf("移到 %s，与%s同日，只发送一条", dateLabel(moved), offsetLabel(sent))
	}
	return fmt.Sprintf("改在 %s发送", dateLabel(moved))
}

// offsetLabel names the reminder k days before a deadline.
func offsetLabel(k int) string {
	if k == 0 {
		return "截止当天的提醒"
	}
	return fmt.Sprintf("截止前 %d 天的提醒", k)
}
