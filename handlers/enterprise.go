package handlers

import "zhenggai/bot"

// registerEnterprise adds the enterprise relay (issue 6).
func (h *handler) registerEnterprise(rt *bot.Router) {}

// enterpriseSampleCards returns sample enterprise cards for CardCatalog.
func enterpriseSampleCards() []NamedCard { return nil }
