package handlers

import (
	"context"
	"encoding/hex"
	"strings"

	"github.com/xuri/excelize/v2"

	"zhenggai/store"
)

// evidenceColumn is the column the ledger export adds after 红黄绿灯: each
// item's files, one a line, with their sha256, so the workbook says which
// files are its evidence and `zhenggai evidence export` can be checked
// against it. Import reads the official columns only.
const evidenceColumn = "佐证"

// addEvidenceColumn writes the files of each item (in the rows ledgerFile
// wrote, from row 2) into column Q.
func addEvidenceColumn(ctx context.Context, st *store.Store, f *excelize.File, c *store.Campaign, items []*store.LedgerItem) error {
	evs, err := st.CampaignItemEvidence(ctx, c.ID, 0, 0)
	if err != nil {
		return err
	}
	byItem := map[int64][]string{}
	for _, e := range evs {
		byItem[*e.ItemID] = append(byItem[*e.ItemID], e.Name+"（sha256 "+hex.EncodeToString(e.SHA256)+"）")
	}
	col := len(ledgerColumns) + 2
	if err := addExtraColumn(f, col, evidenceColumn, 60); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, it := range items {
		files := byItem[it.ID]
		if len(files) == 0 {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(col, i+2)
		if err := f.SetCellValue(ledgerSheet, cell, strings.Join(files, "\n")); err != nil {
			return err
		}
		if err := f.SetCellStyle(ledgerSheet, cell, cell, wrap); err != nil {
			return err
		}
	}
	return nil
}
