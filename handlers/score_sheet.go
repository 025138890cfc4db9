package handlers

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"zhenggai/store"
)

// The monthly export's 考评 sheet: the units ranked by the month's score
// (score.go), each with the lines that explain it, and the formula. Only
// the campaign-wide export (the office's, and zhenggai report monthly)
// carries it: scores are the office's.

const scoreSheet = "考评"

var scoreColumns = []string{"名次", "单位", "得分", "计分明细"}

// addScoreSheet writes period p's scores as the data stand at now.
func addScoreSheet(ctx context.Context, st *store.Store, f *excelize.File, c *store.Campaign, p reportPeriod, now time.Time) error {
	m, err := computeScores(ctx, st, c, p, now)
	if err != nil {
		return err
	}
	if _, err := f.NewSheet(scoreSheet); err != nil {
		return err
	}
	if err := xlsxHeader(f, scoreSheet, scoreColumns, map[string]float64{"B": 28, "D": 70}); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, u := range m.units {
		lines := []string{"基础分 " + strconv.Itoa(m.weights.Base)}
		for _, l := range u.lines {
			lines = append(lines, l.text())
		}
		row := []any{u.rank, u.unit.Name, u.score, strings.Join(lines, "\n")}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(scoreSheet, cell, &row); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(scoreColumns), i+2)
		if err := f.SetCellStyle(scoreSheet, cell, last, wrap); err != nil {
			return err
		}
	}
	note, _ := excelize.CoordinatesToCellName(1, len(m.units)+3)
	return f.SetCellValue(scoreSheet, note, m.period.label()+"考评（"+scoreAsOf(m)+"）。"+scoreFormula(m.weights))
}
