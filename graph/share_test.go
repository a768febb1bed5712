package graph

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
)

func data(s string) *graphql.Response { return &graphql.Response{Data: json.RawMessage(s)} }

// A member of a figure's group that has not taken an update gets only the
// newest, and never one equal to the last it got.
func TestMemberOfAFigureGetsTheNewestOnly(t *testing.T) {
	t.Parallel()
	l := &Live{}
	m := &member{latest: true, wake: make(chan struct{}, 1)}
	next := l.deliver(context.Background(), m)
	m.put(data(`1`))
	if r := next(context.Background()); string(r.Data) != `1` {
		t.Fatalf("first = %s, want 1", r.Data)
	}
	m.put(data(`2`))
	m.put(data(`3`))
	m.put(data(`1`)) // back to what it last got: nothing to send
	m.put(data(`4`))
	if r := next(context.Background()); string(r.Data) != `4` {
		t.Fatalf("after a backlog = %s, want only the newest (4)", r.Data)
	}
	m.put(data(`4`))
	m.finish()
	if r := next(context.Background()); r != nil {
		t.Fatalf("an update equal to the last one sent: %s", r.Data)
	}
}

// A member of a feed that falls too far behind is ended with an error,
// rather than queueing without end.
func TestMemberOfAFeedThatFallsBehindIsEnded(t *testing.T) {
	t.Parallel()
	l := &Live{}
	m := &member{wake: make(chan struct{}, 1)}
	next := l.deliver(context.Background(), m)
	for range maxQueued + 1 {
		m.put(data(`1`))
	}
	r := next(context.Background())
	if r == nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != hin.EUNAVAILABLE {
		t.Fatalf("got %+v, want one UNAVAILABLE error", r)
	}
	if r := next(context.Background()); r != nil {
		t.Fatalf("after the error: %+v, want the end", r)
	}
}

// A member whose stream ended for a reason the client must hear (its token
// expired) is told, once.
func TestMemberEndedByItsStreamIsToldWhy(t *testing.T) {
	t.Parallel()
	l := &Live{}
	m := &member{wake: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancelCause(context.Background())
	next := l.deliver(ctx, m)
	cancel(tokenExpired())
	r := next(context.Background())
	if r == nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != hin.EUNAUTHORIZED {
		t.Fatalf("got %+v, want one UNAUTHENTICATED error", r)
	}
	if r := next(context.Background()); r != nil {
		t.Fatalf("then %+v, want the end", r)
	}
}
