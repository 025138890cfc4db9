package handlers

import "zhenggai/bot"

// registerReminders adds the reminder and digest commands (issue 5).
func (h *handler) registerReminders(rt *bot.Router) {}

// reminderSampleCards returns sample reminder and digest cards for
// CardCatalog.
func reminderSampleCards() []NamedCard { return nil }
