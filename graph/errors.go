package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// presentError gives every error a stable extensions.code. Domain errors
// keep their message; anything unexpected is logged with the request's
// details and shown only as "internal error", so no internals leak.
func presentError(log *slog.Logger, maySuggest func(context.Context) bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if !maySuggest(ctx) {
			// suggestions would reveal the schema to callers who may not read it
			gqlErr.Message = hideSuggestions(gqlErr.Message)
		}
		var domain *hin.Error
		if errors.As(err, &domain) {
			gqlErr.Message = domain.Message
			for k, v := range domain.Extensions() {
				setExt(gqlErr, k, v)
			}
			if domain.Code == hin.EINTERNAL {
				log.ErrorContext(ctx, "request failed", "err", err, "path", gqlErr.Path.String())
			}
			return gqlErr
		}
		var parsed *gqlerror.Error
		if errors.As(err, &parsed) && parsed.Extensions["code"] != nil {
			return gqlErr // parser and validation errors carry their own code
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			gqlErr.Message = "the request took too long and was cancelled"
			setExt(gqlErr, "code", hin.ETIMEOUT)
			return gqlErr
		}
		if parsed != nil && parsed.Err == nil && parsed.Path == nil {
			// gqlgen's own messages about the request (bad variables, unknown operation)
			setExt(gqlErr, "code", hin.EBADREQUEST)
			return gqlErr
		}
		log.ErrorContext(ctx, "request failed", "err", err, "path", gqlErr.Path.String())
		gqlErr.Message = "internal error"
		setExt(gqlErr, "code", hin.EINTERNAL)
		return gqlErr
	}
}

func setExt(e *gqlerror.Error, k string, v any) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions[k] = v
}

// recoverPanic turns a resolver panic into a logged internal error instead
// of a crashed request; the stack goes to the log, never to the client.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return &hin.Error{Code: hin.EINTERNAL, Message: "internal error"}
	}
}
