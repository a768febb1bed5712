package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// changesChannel is where the trigger of migration 00008 announces outcome
// changes.
const changesChannel = "hin_outcome_changes"

// changeMessage is the trigger's JSON payload.
type changeMessage struct {
	MetricID   string              `json:"metric_id"`
	MetricCode string              `json:"metric"`
	RegionID   string              `json:"region_id"`
	RegionCode string              `json:"region"`
	From       string              `json:"from"`
	To         string              `json:"to"`
	Outcomes   int                 `json:"outcomes"`
	Statuses   []hin.OutcomeStatus `json:"statuses"`
	Everything bool                `json:"everything"`
}

// ParseOutcomeChange reads one payload of the hin_outcome_changes channel.
func ParseOutcomeChange(payload string, at time.Time) (hin.OutcomeChange, error) {
	var m changeMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return hin.OutcomeChange{}, fmt.Errorf("outcome change payload: %w", err)
	}
	c := hin.OutcomeChange{
		MetricID: m.MetricID, MetricCode: m.MetricCode, RegionID: m.RegionID, RegionCode: m.RegionCode,
		Outcomes: m.Outcomes, Statuses: m.Statuses, ChangedAt: at, Everything: m.Everything,
	}
	if m.Everything {
		return c, nil
	}
	var err1, err2 error
	c.PeriodStart, err1 = time.Parse(time.DateOnly, m.From)
	c.PeriodEnd, err2 = time.Parse(time.DateOnly, m.To)
	if err := errors.Join(err1, err2); err != nil {
		return hin.OutcomeChange{}, fmt.Errorf("outcome change periods: %w", err)
	}
	return c, nil
}

// ListenOutcomeChanges holds one connection of its own LISTENing for
// outcome changes made through any process on this database, and hands each
// to deliver until ctx ends. When the connection drops and comes back,
// changes may have been missed, so deliver gets one change with Everything
// set. It returns once listening has started (or failed to).
func (s *Store) ListenOutcomeChanges(ctx context.Context, log *slog.Logger, deliver func(hin.OutcomeChange)) error {
	return s.listen(ctx, log, changesChannel, "outcome change", func(payload string) error {
		c, err := ParseOutcomeChange(payload, time.Now())
		if err == nil {
			deliver(c)
		}
		return err
	}, func() { deliver(hin.OutcomeChange{Everything: true, ChangedAt: time.Now()}) })
}

// submissionsChannel is where migration 00010 announces submission changes.
const submissionsChannel = "hin_collection_changes"

// ListenSubmissionChanges is ListenOutcomeChanges for the state changes of
// collection submissions (a connection of its own).
func (s *Store) ListenSubmissionChanges(ctx context.Context, log *slog.Logger, deliver func(hin.SubmissionChange)) error {
	return s.listen(ctx, log, submissionsChannel, "submission change", func(payload string) error {
		var m struct {
			PeriodID string              `json:"period_id"`
			RegionID string              `json:"region_id"`
			State    hin.SubmissionState `json:"state"`
		}
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			return fmt.Errorf("submission change payload: %w", err)
		}
		deliver(hin.SubmissionChange{PeriodID: m.PeriodID, RegionID: m.RegionID, State: m.State, ChangedAt: time.Now()})
		return nil
	}, func() { deliver(hin.SubmissionChange{Everything: true, ChangedAt: time.Now()}) })
}

// listen holds one connection LISTENing on channel, handing each payload
// to onPayload and calling onReconnect after the connection came back.
func (s *Store) listen(ctx context.Context, log *slog.Logger, channel, what string, onPayload func(string) error, onReconnect func()) error {
	if s.url == "" {
		return errors.New("listen for " + what + "s: the store has no connection URL of its own")
	}
	if log == nil {
		log = slog.Default()
	}
	l := pq.NewListener(s.url, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn(what+" listener disconnected", "err", err)
		case pq.ListenerEventReconnected:
			log.Info(what + " listener reconnected")
		case pq.ListenerEventConnectionAttemptFailed:
			log.Warn(what+" listener cannot connect", "err", err)
		}
	})
	if err := l.Listen(channel); err != nil {
		_ = l.Close()
		return fmt.Errorf("listen %s: %w", channel, err)
	}
	go func() {
		defer l.Close()
		// A ping now and then finds a dead connection that sends nothing.
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ping.C:
				_ = l.Ping()
			case n := <-l.Notify:
				if n == nil { // reconnected: what happened meanwhile is unknown
					onReconnect()
					continue
				}
				if err := onPayload(n.Extra); err != nil {
					log.Error(what, "err", err)
				}
			}
		}
	}()
	return nil
}
