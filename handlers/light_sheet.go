package handlers

import (
	"time"

	"github.com/xuri/excelize/v2"

	"zhenggai/store"
)

// lightColumn is the column the ledger export adds after the official
// fifteen (DESIGN 7.5): the item's 红黄绿灯 on the export's day, its cell
// filled with the light's colour. Import reads the official columns only,
// so an exported file still imports.
const lightColumn = "红黄绿灯"

// addLightColumn writes the light of each item (in the rows ledgerFile
// wrote, from row 2) into column P, coloured.
func addLightColumn(f *excelize.File, c *store.Campaign, items []*store.LedgerItem, day time.Time) error {
	col := len(ledgerColumns) + 1
	if err := addExtraColumn(f, col, lightColumn, 24); err != nil {
		return err
	}
	styles := map[Light]int{}
	for _, l := range []Light{LightGreen, LightYellow, LightRed} {
		id, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{l.Fill()}},
			Font: &excelize.Font{Bold: true, Color: "FFFFFF"}})
		if err != nil {
			return err
		}
		styles[l] = id
	}
	lr, loc := lightRuleOf(c), c.Location()
	for i, it := range items {
		cell, _ := excelize.CoordinatesToCellName(col, i+2)
		light := lr.item(it, day, loc)
		if err := f.SetCellValue(ledgerSheet, cell, light.Light.String()+"（"+light.Reason+"）"); err != nil {
			return err
		}
		if err := f.SetCellStyle(ledgerSheet, cell, cell, styles[light.Light]); err != nil {
			return err
		}
	}
	return nil
}

// addExtraColumn writes the header of a column the export adds after the
// official ones, bold like the others, and sets its width.
func addExtraColumn(f *excelize.File, col int, title string, width float64) error {
	head, _ := excelize.CoordinatesToCellName(col, 1)
	if err := f.SetCellValue(ledgerSheet, head, title); err != nil {
		return err
	}
	bold, err := f.GetCellStyle(ledgerSheet, "A1")
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(ledgerSheet, head, head, bold); err != nil {
		return err
	}
	name, _ := excelize.ColumnNumberToName(col)
	return f.SetColWidth(ledgerSheet, name, name, width)
}
