package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/proforma"
)

// Uploads (POST /returns.csv, POST /collections/submission) take one path:
//
//  1. the guard: token, rate limit and in-flight cap, before a byte of the
//     body is read, so a refused caller costs no memory;
//  2. the bulk deadline, on the context and on the connection: a body still
//     arriving at the deadline is cut off, and the write deadline leaves
//     answerMargin to answer, so no handler outlives its connection and an
//     upload out of time is rolled back and answered TIMEOUT;
//  3. the body, streamed through the size cap into the reader (CSV line by
//     line, or an .xlsx workbook, which a zip reader needs whole).

// uploadRoute wraps an upload handler in that path.
func uploadRoute(cfg Config, rejected func(hin.Limit), guarded func(http.Handler) http.Handler, h http.Handler) http.Handler {
	return guarded(withDeadline(cfg.bulkTimeout(), limitUpload(cfg.MaxCSVBytes, rejected, h)))
}

// withDeadline gives a request d to run, on its context and on its
// connection (see connDeadlines); 0 is no deadline.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		setConnDeadlines(w, d)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// connDeadlines narrows the server's read and write timeouts (set from the
// longest handler deadline) to this route's deadline d.
func connDeadlines(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setConnDeadlines(w, d)
		next.ServeHTTP(w, r)
	})
}

func setConnDeadlines(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	now := time.Now()
	_ = rc.SetReadDeadline(now.Add(d))
	_ = rc.SetWriteDeadline(now.Add(d + answerMargin))
}

// limitUpload refuses a body declared larger than n at once, and caps one
// that is not declared as it is read (see readUpload), without reading it
// here.
func limitUpload(n int64, rejected func(hin.Limit), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			unreadBody(w, r)
			rejected(hin.LimitBodySize)
			Error(w, hin.Errorf(hin.ETOOLARGE, "the upload is larger than %d bytes", n))
			return
		}
		body := &uploadBody{ReadCloser: http.MaxBytesReader(w, r.Body, n), rejected: rejected}
		r.Body = body
		next.ServeHTTP(&uploadAnswer{ResponseWriter: w, body: body}, r)
	})
}

// uploadAnswer ends the connection after an answer given before the body
// was read to its end (a refusal, a problem found early): net/http would
// otherwise read on, up to 256 KiB, before answering, and wait on a client
// that holds the rest back.
type uploadAnswer struct {
	http.ResponseWriter
	body  *uploadBody
	wrote bool
}

func (a *uploadAnswer) WriteHeader(code int) {
	if !a.wrote && !a.body.eof {
		a.Header().Set("Connection", "close")
	}
	a.wrote = true
	a.ResponseWriter.WriteHeader(code)
}

func (a *uploadAnswer) Write(b []byte) (int, error) {
	if !a.wrote {
		a.WriteHeader(http.StatusOK)
	}
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (a *uploadAnswer) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// uploadBody keeps the first error reading the body, whatever a reader
// then makes of it: a body cut off is the transport's failure, never the
// file's problem.
type uploadBody struct {
	io.ReadCloser
	rejected func(hin.Limit)
	err      error
	eof      bool
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.eof = b.eof || err == io.EOF
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
		var over *http.MaxBytesError
		if errors.As(err, &over) && b.rejected != nil {
			b.rejected(hin.LimitBodySize)
		}
	}
	return n, err
}

// bodyError says why a body could not be read.
func bodyError(err error) error {
	var over *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &over):
		return hin.Errorf(hin.ETOOLARGE, "the upload is larger than %d bytes; nothing was written", over.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return hin.Errorf(hin.ETIMEOUT, "the upload did not arrive in time; nothing was written")
	}
	return hin.Errorf(hin.EBADREQUEST, "the upload could not be read (the connection failed); nothing was written")
}

// upload is a file read from a request body.
type upload struct {
	in    hin.ReturnInput
	lines []int // the CSV line or sheet row of each row
	// workbook is what an .xlsx file says besides its rows; nil for CSV
	workbook *proforma.Upload
}

// locate puts on err's problems where each row is in the file: its CSV
// line, or its sheet, row and cell.
func (up upload) locate(err error) error {
	if up.workbook != nil {
		return up.workbook.Locate(err)
	}
	return hin.WithLines(err, up.lines)
}

// workbookReader reads an .xlsx upload: proforma.ReadReturn for a return,
// proforma.Read for a collection's proforma.
type workbookReader func(r io.Reader, in hin.ReturnInput) (proforma.Upload, error)

func returnWorkbook(r io.Reader, in hin.ReturnInput) (proforma.Upload, error) {
	return proforma.ReadReturn(r, in, hin.MaxCSVReturnRows)
}

func proformaWorkbook(r io.Reader, in hin.ReturnInput) (proforma.Upload, error) {
	return proforma.Read(r, in.RegionCode, hin.MaxCSVReturnRows)
}

// readUpload reads a request body as a return for in's region: an .xlsx
// workbook (read by workbook) when it starts like one, else CSV. Both keep
// the CSV rules and limits.
func readUpload(r *http.Request, in hin.ReturnInput, workbook workbookReader) (upload, error) {
	body := bufio.NewReader(r.Body)
	head, _ := body.Peek(4)
	up := upload{in: in}
	var err error
	if proforma.IsWorkbook(head) {
		var wb proforma.Upload
		wb, err = workbook(body, in)
		up.in, up.lines, up.workbook = wb.Return, wb.Lines, &wb
	} else {
		up.lines, err = hin.ReadReturnCSV(body, &up.in, hin.MaxCSVReturnRows)
	}
	if b, ok := r.Body.(*uploadBody); ok && b.err != nil {
		return up, bodyError(b.err)
	}
	if err != nil && hin.ErrorCode(err) == hin.EINTERNAL {
		return up, bodyError(err) // an unread body not wrapped by limitUpload
	}
	return up, err
}
