package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"zhenggai/demo"
)

// demo runs `zhenggai demo load`: the demo campaign's history, played up to
// now (package demo). A campaign that is not the demo, or has a history
// already, is left alone and said so; neither is an error for run.sh.
func (a *app) demo(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "load" {
		return errUsage
	}
	res, err := demo.Load(ctx, a.store, time.Now(), a.log)
	switch {
	case errors.Is(err, demo.ErrNotDemo):
		fmt.Fprintln(a.stdout, "demo: the current campaign is not the demo campaign; nothing loaded")
		return nil
	case errors.Is(err, demo.ErrNotEmpty):
		fmt.Fprintln(a.stdout, "demo: the demo campaign already has a history; nothing loaded")
		return nil
	case err != nil:
		return err
	}
	fmt.Fprintf(a.stdout, "demo: %d items, %d monthly reports, %d enterprise requests, %d clues, played from %s to %s\n",
		res.Items, res.Reports, res.Requests, res.Clues, res.From.Format("2006-01-02"), res.To.Format("2006-01-02"))
	return nil
}
