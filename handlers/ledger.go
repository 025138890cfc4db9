package handlers

import "zhenggai/bot"

// registerLedger adds the ledger's commands and actions (issue 4).
func (h *handler) registerLedger(rt *bot.Router) {}

// ledgerSampleCards returns sample ledger cards for CardCatalog.
func ledgerSampleCards() []NamedCard { return nil }
