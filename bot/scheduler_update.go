package bot

import (
	"context"
	"fmt"
)

// updateCard redraws a sent card; a platform that cannot is a permanent
// failure (the old card simply stays).
func (b *Bot) updateCard(ctx context.Context, ad Adapter, m *Message) (MessageRef, error) {
	cu, ok := ad.(CardUpdater)
	if !ok || m.Card == nil {
		return MessageRef{}, fmt.Errorf("%w: %w", ErrPermanent, ErrNotSupported)
	}
	if err := cu.UpdateCard(ctx, *m.Update, m.Card); err != nil {
		return MessageRef{}, err
	}
	return *m.Update, nil
}
