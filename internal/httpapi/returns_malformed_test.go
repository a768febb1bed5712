package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestCSVReturnWithAMalformedMiddleLine: a bare quote on one line between
// good ones refuses the whole upload, naming that line, and writes nothing
// (a reader that skipped the line in silence stored the other two).
func TestCSVReturnWithAMalformedMiddleLine(t *testing.T) {
	t.Parallel()
	ts, token := csvServer(t)
	editor := token("REGION_EDITOR", "HI-EM")
	const upload = "metric_code,period_start,period_end,value\n" +
		"patients_benefiting,2024-04-01,2024-04-30,10\n" +
		"patients_\"benefiting,2024-05-01,2024-05-31,20\n" +
		"patients_benefiting,2024-06-01,2024-06-30,30\n"
	code, body, _ := send(t, "POST", ts.URL+"/returns.csv?region=HI-EM", editor, upload)
	if code != http.StatusBadRequest || !strings.Contains(body, `"line":3`) || !strings.Contains(body, "INVALID_ARGUMENT") {
		t.Fatalf("upload with a bare quote on line 3: %d %s", code, body)
	}
	code, body, _ = send(t, "GET", ts.URL+"/outcomes.csv?regionCodes=HI-EM&metricCodes=patients_benefiting&from=2024-04-01&to=2024-06-30", editor, "")
	if code != http.StatusOK || strings.Count(strings.TrimSpace(body), "\n") != 0 {
		t.Errorf("after the refused upload the export holds rows: %d %s", code, body)
	}
}
