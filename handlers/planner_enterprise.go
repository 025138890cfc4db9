package handlers

import (
	"context"

	"zhenggai/bot"
)

// planEnterpriseRequests plans the notices for enterprise requests past
// their answer clock (request_answer_hours). It runs hourly (schedule
// "requests") inside the planning transaction: read from run.Store, address
// people with run.Bot.TargetOf, and give every message a Key naming the
// request, the stage and the recipient (ereq:<number>:late:p:<person>), so
// that it goes out once.
//
// The enterprise engineer (handlers/enterprise*.go) owns and fills this file.
func (h *handler) planEnterpriseRequests(ctx context.Context, run *bot.PlanRun) ([]bot.Outgoing, error) {
	return nil, nil
}
