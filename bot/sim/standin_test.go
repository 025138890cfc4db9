package sim_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/handlers"
)

// standInReport registers minimal report.form and report.submit handlers
// (the ledger's actions, issue 4) so that the whole scenario can be
// driven through the page before the ledger exists: reminder, form, submit,
// digest.
func standInReport(rt *bot.Router) {
	rt.Action("report.form", func(_ context.Context, r *bot.Request) (*bot.Reply, error) {
		p := r.Event.Action.Params
		return bot.CardReply(&cards.Card{Title: "报送月报 · " + p["period"], Blocks: []cards.Block{cards.FormBlock(&cards.Form{
			Name: "report",
			Fields: []cards.FormField{
				{Name: "summary", Label: "阶段性工作进展情况", Kind: cards.KindLongText, Required: true},
				{Name: "done", Label: "本月已整改问题数", Kind: cards.KindText, Required: true},
			},
			Submit: cards.Button{Text: "提交月报", Action: "report.submit", Params: p},
		})}}), nil
	})
	rt.Action("report.submit", func(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
		p := r.Event.Action.Params
		u, err := r.Store.UnitByKey(ctx, r.Campaign.ID, p["unit"])
		if err != nil {
			return nil, err
		}
		if _, err := r.Store.DB().Exec(ctx, `
			INSERT INTO monthly_reports (campaign_id, unit_id, period, summary, on_time) VALUES ($1, $2, $3, $4, true)`,
			r.Campaign.ID, u.ID, p["period"], r.Event.Action.Form.Get("summary")); err != nil {
			return nil, err
		}
		return &bot.Reply{Toast: "月报已报送", ToastKind: "success",
			Card: &cards.Card{Title: "月报已报送 · " + p["period"], Tone: cards.ToneSuccess}}, nil
	})
}

// TestSimulatorReportScenarioStandIn runs the scenario with the
// stand-in report handlers: as the liaison, the clock panel brings the
// monthly reminder into the unit's group, its button opens the form in
// place, an empty submit names the required fields, the filled form is
// submitted and the card changes; as the leader, the digest counts the
// report. Once the ledger registers report.form itself, this test steps
// aside and TestSimulatorEndToEnd runs the same steps on the real handlers.
func TestSimulatorReportScenarioStandIn(t *testing.T) {
	probe := bot.NewRouter()
	handlers.Register(probe, handlers.Deps{})
	standInReport(probe)
	if probe.Err() != nil {
		t.Skip("the ledger answers report.form: TestSimulatorEndToEnd covers the scenario")
	}
	srv := startServer(t, func(rt *bot.Router, d handlers.Deps) {
		handlers.Register(rt, d)
		standInReport(rt)
	})
	br := newBrowser(t, 1100, 900)
	br.open(srv.URL, "p:li-lb", "g:lingbao")
	br.run("run the clock",
		chromedp.Click(chromedp.CSS("#clock summary")),
		chromedp.SetValue(chromedp.CSS("#clock-at"), "2026-11-20T09:00"),
		chromedp.Click(chromedp.CSS("#clock-run")),
	)
	br.waitFor("the monthly reminder", `document.querySelector('`+reminderButton+`') !== null`)
	br.run("click 填报月报", chromedp.Click(chromedp.CSS(reminderButton)))
	br.waitFor("the form in place of the reminder", `document.querySelector("#log form.card-form") !== null`)
	submitReport(t, br)
	checkDigest(t, br, srv, true)
}
