package telemetry

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operation is what telemetry learns of a GraphQL operation.
type operation struct {
	name  string    // as given by the document or the client: not yet safe for labels
	typ   string    // query, mutation, subscription or unknown
	start time.Time // when gqlgen started on the request; zero if unknown
}

func operationOf(ctx context.Context) operation {
	op := operation{typ: "unknown"}
	if !graphql.HasOperationContext(ctx) {
		return op // the body could not even be decoded
	}
	oc := graphql.GetOperationContext(ctx)
	op.name, op.start = oc.OperationName, oc.Stats.OperationStart
	if oc.Operation != nil {
		// The document's name is a valid GraphQL name; the client's
		// operationName may be absent when the document has one operation.
		if oc.Operation.Name != "" {
			op.name = oc.Operation.Name
		}
		switch oc.Operation.Operation {
		case ast.Query, ast.Mutation, ast.Subscription:
			op.typ = string(oc.Operation.Operation)
		}
	}
	return op
}

// errorCode is the extensions.code the error presenter put on err, or "".
func errorCode(err *gqlerror.Error) string {
	if err == nil {
		return ""
	}
	c, _ := err.Extensions["code"].(string)
	return c
}

// gqlObserver is a gqlgen extension that reports every GraphQL response
// once. Most responses pass through InterceptResponse: those of operations
// that ran, and those refused before an operation could run (unreadable
// body, parse or validation errors, limits in mutators), which gqlgen sends
// straight through the response interceptors. InterceptOperation wraps
// each operation's response handler to catch the rest: responses made by
// an inner extension that answered without running the operation.
type gqlObserver struct {
	name string
	// start, if set, is called when an operation starts running.
	start func(ctx context.Context, op operation)
	// response is called for each response with its errors (often none).
	response func(ctx context.Context, op operation, errs gqlerror.List)
	// end is called once the last response of an operation is out;
	// failed says whether any response of it carried errors.
	end func(ctx context.Context, op operation, failed bool)
}

// opState follows one operation through its responses.
type opState struct {
	op      operation
	failed  bool // a response so far carried errors
	handled bool // InterceptResponse reported the current response
}

type stateKey struct{ o *gqlObserver }

var (
	_ graphql.HandlerExtension     = (*gqlObserver)(nil)
	_ graphql.OperationInterceptor = (*gqlObserver)(nil)
	_ graphql.ResponseInterceptor  = (*gqlObserver)(nil)
)

func (o *gqlObserver) ExtensionName() string                   { return o.name }
func (o *gqlObserver) Validate(graphql.ExecutableSchema) error { return nil }

func (o *gqlObserver) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	st := &opState{op: operationOf(ctx)}
	if o.start != nil {
		o.start(ctx, st.op)
	}
	responses := next(context.WithValue(ctx, stateKey{o}, st))
	return func(ctx context.Context) *graphql.Response {
		st.handled = false
		resp := responses(ctx)
		if resp != nil && !st.handled {
			o.report(ctx, st, resp)
		}
		return resp
	}
}

func (o *gqlObserver) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil // end of a stream
	}
	// The operation's state is on ctx when it ran, or when its context
	// ended before it could and the transport answers with DispatchError.
	st, ok := ctx.Value(stateKey{o}).(*opState)
	if !ok {
		st = &opState{op: operationOf(ctx)}
	}
	st.handled = true
	o.report(ctx, st, resp)
	return resp
}

func (o *gqlObserver) report(ctx context.Context, st *opState, resp *graphql.Response) {
	o.response(ctx, st.op, resp.Errors)
	st.failed = st.failed || len(resp.Errors) > 0
	// Incremental delivery (@defer) sends parts until HasNext is false; the
	// operation ends with the last part.
	if resp.HasNext == nil || !*resp.HasNext {
		o.end(ctx, st.op, st.failed)
		st.failed = false
	}
}
