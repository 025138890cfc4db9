// Package handlers is what the bot does: the ledger, monthly reports,
// approvals, reminders, digests, the enterprise relay, exports. It is pure
// of platforms: it sees bot.Request and answers with cards.
package handlers

import (
	"context"
	"log/slog"
	"strings"

	"zhenggai/bot"
	"zhenggai/cards"
)

// Deps is what handlers need besides the request.
type Deps struct {
	Logger *slog.Logger
	Clock  bot.Clock
	// DashboardBase is the base URL of the 看板's login links
	// (PUBLIC_BASE_URL); empty: 看板 says it is not configured.
	DashboardBase string
}

// Register adds every command and card action to rt. It is the one list of
// what the bot understands.
func Register(rt *bot.Router, d Deps) {
	h := &handler{deps: d}
	rt.PublicCommand(h.help, "帮助", "help", "菜单", "?", "？")
	h.registerLedger(rt)
	h.registerApprovals(rt)
	h.registerReports(rt)
	h.registerMilestones(rt)
	h.registerReminders(rt)
	h.registerEnterprise(rt)
	h.registerSupervision(rt)
	h.registerFlags(rt)
	h.registerBulletins(rt)
	h.registerScores(rt)
	h.registerClues(rt)
	h.registerSummary(rt)
	rt.Command(h.dashboardCommand, "看板")
	rt.Action("dashboard.link", h.dashboardCommand)
	h.registerWords(rt)
	rt.Fallback(h.fallback)
}

type handler struct {
	deps Deps
}

// help lists what the asker can do.
func (h *handler) help(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	c := &cards.Card{Title: "整改助手 · 使用帮助", Tone: cards.ToneInfo}
	var lines []string
	switch {
	case r.Contact != nil:
		lines = []string{
			"直接发送文字，即可联系贵企业的联系领导（联百企驻百站）。",
			"**联系人**：查看联系领导的姓名、职务和电话",
			"**我的诉求**：查看尚未办结的诉求",
		}
	case r.Person != nil && r.Roles.Supervisor && !r.Roles.Office && len(r.Roles.Leads)+len(r.Roles.Liaises)+len(r.Roles.Member) == 0:
		lines = []string{
			"您是专项整治的社会义务监督员。",
			"**线索：…**：向市局专项整治办公室反映问题线索（可附照片、文件），将告知编号和办理结果",
			"**线索**：查看您反映的线索及办理情况",
		}
	case r.Person != nil:
		lines = []string{
			"以下命令直接输入文字发送即可（群聊中请先 @整改助手）；卡片上按钮的文字也可以直接输入。",
			"**台账**：查看本单位专项整治工作台账",
			"**新增问题**：登记新的问题线索",
			reportHelpLine(r.Campaign),
			"**进展：…**：为最近操作的问题补充进展",
			"**导出台账** / **导出月报**：获取 Excel 文件",
		}
		if r.Roles.IsLeader() || r.Roles.Office {
			lines = append(lines, "**待审批**：查看等待您审批的销号、延期申请", "**报送情况**：查看各单位月报报送情况")
		}
		lines = append(lines, "**督办单**：查看未办结的督办单（签收、答复）", "**线索**：查看分办给本单位的线索（签收、办理）",
			"**总结**：填写、查看总结材料（总结报告、整改台账、典型案例等）")
		if r.Roles.Office {
			lines = append(lines, "**登记线索**：登记各渠道反映的问题线索", "**总结 情况**：查看各单位总结材料报送情况")
		}
		if r.Roles.Office {
			lines = append(lines, "**督办 问题编号 / 单位 [月份]**：签发督办单", "**考评 [月份] [单位]**：各单位月度考评得分及扣分明细")
		}
		lines = append(lines, "**摘要**：查看今日摘要")
		if MayUseDashboard(r.Roles) {
			lines = append(lines, "**看板**：获取看板登录链接（单聊发送，10 分钟内有效），在浏览器中查看各单位红黄绿灯、台账和趋势")
		}
		pairs, err := h.leadsEnterprises(ctx, r)
		if err != nil {
			return nil, err
		}
		if pairs || r.Roles.Office {
			lines = append(lines, "**诉求**：查看联系企业的诉求并答复（联百企驻百站）")
		}
	default:
		lines = []string{"您的账号尚未登记。请向市局专项整治办公室索取绑定码，然后发送“绑定 绑定码”。"}
	}
	c.Blocks = append(c.Blocks, cards.MD(strings.Join(lines, "\n")))
	return bot.CardReply(c), nil
}

// fallback answers text that matches no command.
func (h *handler) fallback(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if reply, ok, err := h.enterpriseFallback(ctx, r); ok || err != nil {
		return reply, err
	}
	if reply, ok, err := h.filesWithoutCaption(ctx, r); ok || err != nil {
		return reply, err
	}
	return bot.TextReply("没有理解“%s”。发送“帮助”查看可用功能。", truncate(r.Event.Text, 20)), nil
}

func truncate(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

// leadsEnterprises reports whether the asker is the contact leader of an
// enterprise of the campaign.
func (h *handler) leadsEnterprises(ctx context.Context, r *bot.Request) (bool, error) {
	if r.Campaign == nil || r.Person == nil {
		return false, nil
	}
	leaders, err := r.Store.ContactLeaders(ctx, r.Campaign.ID)
	if err != nil {
		return false, err
	}
	for _, p := range leaders {
		if p.ID == r.Person.ID {
			return true, nil
		}
	}
	return false, nil
}
