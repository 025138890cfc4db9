// Package demo (zhenggai demo load) gives the demo campaign (deploy/campaigns/demo.yaml) a past:
// months of monthly reports, a dozen ledger items in every state, enterprise
// requests answered and waiting, clues (one made an item, one waiting), all computed relative to today and played
// through the simulator as the people would have played them, so that a
// newcomer meets a campaign people have worked in. It is used only for the
// campaign whose key is "demo" and only when nothing has happened in it.
package demo

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"slices"
	"time"

	"zhenggai/bot"
	"zhenggai/bot/sim"
	"zhenggai/handlers"
	"zhenggai/store"
)

// CampaignKey is the key of the only campaign Load plays into.
const CampaignKey = "demo"

var (
	// ErrNotDemo is returned for any campaign but the demo.
	ErrNotDemo = errors.New("demo: the current campaign is not the demo campaign")
	// ErrNotEmpty is returned when the campaign already has a history.
	ErrNotEmpty = errors.New("demo: the campaign already has items, reports, requests or chats")
)

// Result says what Load played.
type Result struct {
	Items, Reports, Requests, Clues int
	From, To                        time.Time
}

// step is one thing someone does at an instant.
type step struct {
	at  time.Time
	do  func(ctx context.Context) error
	why string
}

// Load plays the demo campaign's history up to now into st (the pool's
// store; each step is its own transaction, as in the simulator). It
// refuses any campaign but the demo and a campaign that is not empty.
func Load(ctx context.Context, st *store.Store, now time.Time, log *slog.Logger) (*Result, error) {
	log = cmp.Or(log, slog.Default())
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if c.Key != CampaignKey {
		return nil, ErrNotDemo
	}
	if n, err := st.CampaignActivity(ctx, c.ID); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	} else if n > 0 {
		return nil, ErrNotEmpty
	}
	clock := bot.NewFixedClock(now)
	rt := bot.NewRouter()
	handlers.Register(rt, handlers.Deps{Logger: log, Clock: clock})
	b, err := bot.New(bot.Config{Store: st, Router: rt, Clock: clock, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	sa := sim.New(st, log, sim.Options{Clock: clock})
	defer sa.Close()
	b.AddAdapter(sa)
	p := &player{st: st, bot: b, sim: sa, clock: clock}
	s := newScript(c, now, p)
	steps := s.steps()
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })
	res := &Result{}
	for _, x := range steps {
		if !x.at.Before(now) {
			continue // the future is the newcomer's to play
		}
		p.at(x.at)
		if err := x.do(ctx); err != nil {
			return nil, fmt.Errorf("demo: %s at %s: %w", x.why, x.at.Format(time.DateTime), err)
		}
		if res.From.IsZero() {
			res.From = x.at
		}
		res.To = x.at
	}
	res.Items, res.Reports, res.Requests, res.Clues = s.items, s.reports, s.requests, s.clues
	return res, nil
}

// script is the demo's history relative to today.
type script struct {
	c       *store.Campaign
	loc     *time.Location
	today   time.Time // civil
	p       *player
	numbers map[string]string // item key → number, filled as items are made

	items, reports, requests, clues int
}

func newScript(c *store.Campaign, now time.Time, p *player) *script {
	loc := c.Location()
	y, m, d := now.In(loc).Date()
	return &script{c: c, loc: loc, today: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), p: p, numbers: map[string]string{}}
}

// on returns the instant hh:mm on the workday on or before day.
func (s *script) on(day time.Time, hh, mm int) time.Time {
	w := handlers.WorkdayOnOrBefore(s.c, day)
	return time.Date(w.Year(), w.Month(), w.Day(), hh, mm, 0, 0, s.loc)
}

// ago returns the instant hh:mm on the workday on or before today−days.
func (s *script) ago(days, hh, mm int) time.Time {
	return s.on(s.today.AddDate(0, 0, -days), hh, mm)
}

// date renders today+days as a form's date.
func (s *script) date(days int) string { return s.today.AddDate(0, 0, days).Format(time.DateOnly) }

// demo people, by sim account.
var wangJG = handlers.SimAccount("wang-jg")

// unitCast is a unit's liaison, leader and group.
type unitCast struct{ key, liaison, leader, group string }

func cast(unit, liaison, leader string) unitCast {
	return unitCast{key: unit, liaison: handlers.SimAccount(liaison), leader: handlers.SimAccount(leader), group: handlers.SimGroupChat(unit)}
}

var (
	lingbao = cast("lingbao", "li-lb", "liu-lb")
	yima    = cast("yima", "zhou-ym", "sun-ym")
	lushi   = cast("lushi", "zheng-lsh", "wu-lsh")
	zhidui  = cast("zhidui", "he-zd", "feng-zd")
	units   = []unitCast{lingbao, yima, lushi, zhidui}
)

// item is a ledger item of the history and what happens to it.
type item struct {
	key, source, category, description, measures string
	u                                            unitCast
	created, due                                 int // days before today; days after today (negative: past)
	progress                                     []progress
	// closeAt, when > 0, is when the liaison applies for 销号 (days ago);
	// decideAt when the leader decides (0: still waiting); reject says
	// why he refuses.
	closeAt, decideAt int
	result, reject    string
}

type progress struct {
	ago      int
	text     string
	longTerm bool
	effect   string
	photo    bool
}

func (s *script) ledger() []item {
	return []item{
		{key: "lb1", u: lingbao, source: "自查自纠", category: "执法不规范", created: 75, due: 25,
			description: "部分执法人员现场检查时未全程开启执法记录仪，音视频记录不完整",
			measures:    "修订执法记录仪使用管理规定，每周抽查音视频记录并通报",
			progress: []progress{{ago: 40, text: "已修订《执法记录仪使用管理规定》并组织全员学习"},
				{ago: 6, text: "第一轮抽查 42 起执法记录，完整率 95%，对 2 名未全程记录人员约谈", photo: true}}},
		{key: "lb2", u: lingbao, source: "督察检查", category: "逐利执法", created: 70, due: 10,
			description: "个别执法中队将罚没款收缴情况纳入执法人员绩效考核",
			measures:    "清理考核办法中与罚没款挂钩的条款，重新制定考核指标",
			progress:    []progress{{ago: 30, text: "已废止原考核办法第六条，新考核办法经局党组会审议通过"}},
			closeAt:     2, result: "新考核办法已印发执行，不再与罚没款挂钩，已向各中队传达"},
		{key: "lb3", u: lingbao, source: "上级交办", category: "执法不规范", created: 72, due: -20,
			description: "部分行政处罚决定书说理不充分，未载明裁量理由",
			measures:    "组织法制审核人员逐案复查 2026 年以来处罚决定书，统一文书模板",
			progress:    []progress{{ago: 45, text: "已复查决定书 128 份，发现说理不充分 11 份，均已整改"}},
			closeAt:     30, decideAt: 29, result: "11 份文书已补正，新文书模板已启用"},
		{key: "lb4", u: lingbao, source: "12328热线", category: "执法方式简单僵化", created: 68, due: -3,
			description: "对同一运输企业一个月内重复检查 3 次，检查内容重复",
			measures:    "建立涉企检查计划备案制度，同一事项一个月内不重复检查",
			progress:    []progress{{ago: 25, text: "检查计划备案制度草案已起草，正在征求意见"}}},
		{key: "ym1", u: yima, source: "自查自纠", category: "其他有关问题", created: 66, due: 55,
			description: "基层执法人员法律知识培训不足，新法规掌握不及时",
			measures:    "建立季度集中培训和以案释法制度",
			progress: []progress{{ago: 20, text: "已开展第一期集中培训，参训 86 人", longTerm: true,
				effect: "执法人员新法规考试合格率由 72% 提高到 96%"}}},
		{key: "ym2", u: yima, source: "信访投诉", category: "执法方式简单僵化", created: 64, due: 15,
			description: "对货车超限处罚一律顶格，未考虑违法情节和改正情况",
			measures:    "细化超限运输行政处罚裁量基准，首次轻微违法依法不予处罚",
			progress: []progress{{ago: 14, text: "裁量基准已细化并公布"},
				{ago: 5, text: "已补充整改前后处罚案卷对比材料 6 份", photo: true}},
			closeAt: 12, decideAt: 11, reject: "佐证材料不全，请补充整改前后的处罚案卷对比材料"},
		{key: "ym3", u: yima, source: "门户网站", category: "执法不规范", created: 60, due: -15,
			description: "执法窗口办事指南未在门户网站公开",
			measures:    "在门户网站和窗口同步公开办事指南、收费依据和投诉电话",
			closeAt:     18, decideAt: 17, result: "办事指南已在门户网站和窗口公开"},
		{key: "ls1", u: lushi, source: "新闻媒体", category: "执法“寻租”", created: 58, due: 4,
			description: "媒体反映个别执法车辆节假日私用",
			measures:    "执法车辆统一停放、加装定位，节假日封存",
			progress:    []progress{{ago: 30, text: "12 台执法车辆已加装定位，节假日封存制度已建立"}}},
		{key: "ls2", u: lushi, source: "12328热线", category: "执法不规范", created: 55, due: 40,
			description: "现场罚款未当场开具统一票据",
			measures:    "配备移动票据打印设备，开展票据管理专项检查"},
		{key: "zd1", u: zhidui, source: "信访投诉", category: "执法粗暴", created: 62, due: -25,
			description: "执法人员在检查中态度生硬，与当事人发生争执",
			measures:    "对当事执法人员批评教育，开展文明执法专题培训",
			progress:    []progress{{ago: 40, text: "已对当事人员诫勉谈话，全支队开展文明执法培训 2 场"}},
			closeAt:     27, decideAt: 26, result: "当事人员已调离执法岗位，文明执法规范已印发"},
		{key: "zd2", u: zhidui, source: "门户网站", category: "其他有关问题", created: 50, due: 20,
			description: "路政许可审批超过承诺时限",
			measures:    "压缩审批环节，实行超时默认预警",
			progress:    []progress{{ago: 21, text: "审批环节由 5 个压缩为 3 个"}},
			closeAt:     1, result: "近一个月审批均在承诺时限内办结"},
		{key: "zd3", u: zhidui, source: "自查自纠", category: "执法不规范", created: 45, due: 30,
			description: "执法案件自助处理系统部分案件信息录入不完整",
			measures:    "逐案核对系统数据，明确录入责任人",
			progress:    []progress{{ago: 9, text: "已核对 9 月以来案件 310 件，补录 27 件"}}},
	}
}

func (s *script) steps() []step {
	var out []step
	add := func(at time.Time, why string, do func(ctx context.Context) error) {
		out = append(out, step{at: at, why: why, do: do})
	}
	p := s.p
	for i, it := range s.ledger() {
		it := it
		add(s.ago(it.created, 9, 30+i), "新增问题 "+it.key, func(ctx context.Context) error {
			if err := p.say(ctx, it.u.liaison, it.u.group, "新增问题", nil); err != nil {
				return err
			}
			if err := p.submit(ctx, it.u.liaison, it.u.group, map[string]string{
				"source": it.source, "category": it.category, "description": it.description,
				"measures": it.measures, "due": s.date(it.due),
			}); err != nil {
				return err
			}
			s.items++
			return s.remember(ctx, it)
		})
		for j, pr := range it.progress {
			pr := pr
			add(s.ago(pr.ago, 10, 10+j), "进展 "+it.key, func(ctx context.Context) error {
				if err := p.say(ctx, it.u.liaison, it.u.group, "更新进展 "+s.numbers[it.key], nil); err != nil {
					return err
				}
				v := map[string]string{"text": pr.text, "status": "整改中"}
				if pr.longTerm {
					v["status"], v["effect"] = "长期推进", pr.effect
				}
				if err := p.submit(ctx, it.u.liaison, it.u.group, v); err != nil {
					return err
				}
				if !pr.photo {
					return nil
				}
				return p.say(ctx, it.u.liaison, it.u.group, "进展："+s.numbers[it.key]+" 整改现场照片",
					&sim.Upload{Name: "整改现场.png", MIME: "image/png", Data: photo()})
			})
		}
		if it.closeAt > 0 {
			add(s.ago(it.closeAt, 11, 0), "申请销号 "+it.key, func(ctx context.Context) error {
				if err := p.say(ctx, it.u.liaison, it.u.group, "申请销号 "+s.numbers[it.key], nil); err != nil {
					return err
				}
				return p.submit(ctx, it.u.liaison, it.u.group, map[string]string{"result": cmp.Or(it.result, it.measures)})
			})
		}
		if it.decideAt > 0 {
			leaderChat := "d:" + it.u.leader
			add(s.ago(it.decideAt, 16, 0), "审批 "+it.key, func(ctx context.Context) error {
				if it.reject == "" {
					return p.say(ctx, it.u.leader, leaderChat, "同意 "+s.numbers[it.key], nil)
				}
				if err := p.say(ctx, it.u.leader, leaderChat, "驳回 "+s.numbers[it.key], nil); err != nil {
					return err
				}
				return p.submit(ctx, it.u.leader, leaderChat, map[string]string{"reason": it.reject})
			})
		}
	}
	out = append(out, s.reportSteps()...)
	out = append(out, s.requestSteps()...)
	out = append(out, s.clueSteps()...)
	return out
}

// clueSteps: a 12328 clue the office registered and gave to 灵宝, which
// signed it and made it a ledger item; a letter (信访) given to 义马, which
// answered it 不属实, waiting for the office's review; a 社会义务监督员's
// clue still waiting for the office to assign it.
func (s *script) clueSteps() []step {
	office := handlers.SimAccount("lu-xm")
	officeChat := "d:" + office
	liaisonChat := "d:" + lingbao.liaison
	qian := handlers.SimAccount("qian-jd")
	p := s.p
	return []step{
		{at: s.ago(20, 10, 0), why: "登记线索", do: func(ctx context.Context) error {
			if err := p.say(ctx, office, officeChat, "登记线索", nil); err != nil {
				return err
			}
			if err := p.submit(ctx, office, officeChat, map[string]string{"source": "12328",
				"content": "群众来电反映：灵宝市某治超站夜间检查时对货车罚款不开具票据。", "unit": "灵宝市交通运输局",
				"contact": "王先生", "phone": "13700000001"}); err != nil {
				return err
			}
			s.clues++
			if err := p.press(ctx, office, officeChat, "分办"); err != nil {
				return err
			}
			return p.submit(ctx, office, officeChat, map[string]string{"unit": "lingbao"})
		}},
		{at: s.ago(19, 14, 0), why: "签收线索", do: func(ctx context.Context) error {
			if err := p.press(ctx, lingbao.liaison, liaisonChat, "签收线索"); err != nil {
				return err
			}
			if err := p.press(ctx, lingbao.liaison, liaisonChat, "转为台账问题"); err != nil {
				return err
			}
			if err := p.submit(ctx, lingbao.liaison, liaisonChat, map[string]string{"category": "执法不规范",
				"measures": "为治超站配备移动票据打印设备，开展票据管理专项检查", "due": s.date(20)}); err != nil {
				return err
			}
			s.items++
			return nil
		}},
		{at: s.ago(12, 10, 0), why: "登记信访线索", do: func(ctx context.Context) error {
			if err := p.say(ctx, office, officeChat, "登记线索", nil); err != nil {
				return err
			}
			if err := p.submit(ctx, office, officeChat, map[string]string{"source": "信访",
				"content": "来信反映义马市执法人员在货运站检查时态度粗暴。", "unit": "义马市交通运输局",
				"contact": "李女士", "phone": "13700000002"}); err != nil {
				return err
			}
			s.clues++
			if err := p.press(ctx, office, officeChat, "分办"); err != nil {
				return err
			}
			return p.submit(ctx, office, officeChat, map[string]string{"unit": "yima"})
		}},
		{at: s.ago(7, 11, 0), why: "答复信访线索", do: func(ctx context.Context) error {
			ch := "d:" + yima.liaison
			if err := p.press(ctx, yima.liaison, ch, "签收线索"); err != nil {
				return err
			}
			if err := p.press(ctx, yima.liaison, ch, "答复线索"); err != nil {
				return err
			}
			return p.submit(ctx, yima.liaison, ch, map[string]string{"kind": "不属实",
				"text": "经调取执法记录仪视频核查，执法人员用语规范，未发现态度粗暴情形；已向来信人电话说明。"})
		}},
		{at: s.ago(3, 15, 0), why: "监督员线索", do: func(ctx context.Context) error {
			s.clues++
			return p.say(ctx, qian, "d:"+qian, "线索：卢氏县某执法站执法人员上路检查时未按规定着装、未出示执法证件。", nil)
		}},
	}
}

// remember records the number the bot gave item it.
func (s *script) remember(ctx context.Context, it item) error {
	u, err := s.p.st.UnitByKey(ctx, s.c.ID, it.u.key)
	if err != nil {
		return err
	}
	items, err := s.p.st.LedgerItems(ctx, s.c.ID, []int64{u.ID})
	if err != nil {
		return err
	}
	for _, x := range items {
		if x.Description == it.description {
			s.numbers[it.key] = x.Number
			return nil
		}
	}
	return fmt.Errorf("%w: item %s was not made", ErrStep, it.key)
}

// reportSteps: every unit reports every past period two workdays before
// its due day, except 义马 once two days late, the 支队 once a day late, and
// 卢氏 not at all for the last one (it owes it).
func (s *script) reportSteps() []step {
	var past []handlers.ReportDue
	for _, d := range handlers.ReportDues(s.c) {
		if d.Due.Before(s.today) {
			past = append(past, d)
		}
	}
	var out []step
	n := len(past)
	for i, d := range past {
		for k, u := range units {
			var at time.Time
			late := false
			switch {
			case u == lushi && i == n-1:
				continue
			case u == yima && i == n-3:
				at, late = s.on(d.Due.AddDate(0, 0, 3), 10, 0), true
			case u == zhidui && i == n-2:
				at, late = s.on(d.Due.AddDate(0, 0, 1), 17, 0), true
			default:
				at = s.on(d.Due.AddDate(0, 0, -2+k%2), 15, 10*k)
			}
			label := fmt.Sprintf("%d年%d月", d.Due.Year(), int(d.Due.Month()))
			if y, m, ok := periodYM(d.Period); ok {
				label = fmt.Sprintf("%d年%d月", y, m)
			}
			summary := fmt.Sprintf("%s：本月围绕专项整治开展自查自纠，梳理问题线索，已整改问题均按要求更新台账；下一步继续推进未完成事项。", label)
			u, late, label := u, late, label
			out = append(out, step{at: at, why: "月报 " + u.key + " " + d.Period, do: func(ctx context.Context) error {
				cmd := "月报"
				if late {
					cmd = "补报 " + label
				}
				if err := s.p.say(ctx, u.liaison, u.group, cmd, nil); err != nil {
					return err
				}
				if err := s.p.submit(ctx, u.liaison, u.group, map[string]string{"summary": summary}); err != nil {
					return err
				}
				s.reports++
				return nil
			}})
		}
	}
	return out
}

func periodYM(p string) (int, int, bool) {
	var y, m int
	if _, err := fmt.Sscanf(p, "%d-%d", &y, &m); err != nil {
		return 0, 0, false
	}
	return y, m, true
}

// requestSteps: 张伟 asks 王建国, gets the answer and rates it; 杨光's
// question to 陈红梅 is still waiting.
func (s *script) requestSteps() []step {
	zhang := handlers.SimContactAccount("smx-yunshu", "张伟")
	yang := handlers.SimContactAccount("ym-wuliu", "杨光")
	p := s.p
	return []step{
		{at: s.ago(9, 10, 0), why: "诉求 张伟", do: func(ctx context.Context) error {
			s.requests++
			return p.say(ctx, zhang, "d:"+zhang, "王局长您好，我公司两辆货车在灵宝境内连续两天被检查，检查内容重复，希望能统一检查标准、减少重复检查。", nil)
		}},
		{at: s.ago(8, 15, 0), why: "答复 张伟", do: func(ctx context.Context) error {
			return p.say(ctx, wangJG, "d:"+wangJG, "回复 已与灵宝市交通运输局沟通，同一车辆 30 天内不再就同一事项重复检查。后续如有问题请随时联系。", nil)
		}},
		{at: s.ago(8, 16, 30), why: "评价 张伟", do: func(ctx context.Context) error {
			return p.press(ctx, zhang, "d:"+zhang, "已解决（满意）")
		}},
		{at: s.ago(1, 16, 30), why: "诉求 杨光", do: func(ctx context.Context) error {
			s.requests++
			return p.say(ctx, yang, "d:"+yang, "陈局长您好，我公司道路运输经营许可证变更申请已提交 10 个工作日，目前还没有结果，想了解一下办理进度。", nil)
		}},
	}
}

// photo is a small picture to stand for a photo of the site.
func photo() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{R: uint8(60 + x), G: uint8(120 + y), B: 90, A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
