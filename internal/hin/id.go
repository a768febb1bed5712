package hin

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Node kinds, as they appear inside global IDs. They equal the GraphQL type names.
const (
	KindRegion        = "Region"
	KindOrganisation  = "Organisation"
	KindCollaborative = "Collaborative"
	KindProgramme     = "Programme"
	KindInnovation    = "Innovation"
	KindPilot         = "Pilot"
	KindAdoption      = "Adoption"
	KindMetric        = "Metric"
	KindOutcome       = "Outcome"
	KindStageChange   = "StageChange"
)

// GlobalID encodes a node's kind and UUID into the opaque ID clients see.
// Keys are UUIDs so that two regions' data can be merged without collisions;
// the kind makes an ID unique across types and lets node(id:) route it.
func GlobalID(kind, uuid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + uuid))
}

// ParseGlobalID decodes a global ID into its kind and UUID.
func ParseGlobalID(id string) (kind, uuid string, err error) {
	raw, decErr := base64.RawURLEncoding.DecodeString(id)
	kind, uuid, ok := strings.Cut(string(raw), ":")
	if decErr != nil || !ok || !IsUUID(uuid) {
		return "", "", &Error{Code: EINVALID, Message: fmt.Sprintf("%q is not a valid ID", truncate(id, 64))}
	}
	return kind, strings.ToLower(uuid), nil
}

// ParseIDOf decodes a global ID that must be of the given kind; field names
// the argument for the error message.
func ParseIDOf(kind, field, id string) (string, error) {
	k, uuid, err := ParseGlobalID(id)
	if err != nil {
		return "", Invalid(field, "%q is not a valid ID", truncate(id, 64))
	}
	if k != kind {
		name := k
		if !kindName.MatchString(k) {
			name = Quote(k) // not a type name: never echo it raw
		}
		return "", Invalid(field, "expected the ID of a %s, got the ID of a %s", kind, name)
	}
	return uuid, nil
}

var kindName = regexp.MustCompile(`^[A-Z][A-Za-z]{0,39}$`)

// ParseIDsOf decodes a list of global IDs of one kind.
func ParseIDsOf(kind, field string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		uuid, err := ParseIDOf(kind, field, id)
		if err != nil {
			return nil, err
		}
		out = append(out, uuid)
	}
	return out, nil
}

// StableUUID derives a name-based (version 5 style) UUID from a namespace and
// a name, so that seeded records keep their IDs across re-seeds and machines.
func StableUUID(namespace, name string) string {
	h := sha1.Sum([]byte("hin-graph/" + namespace + "/" + name))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// IsUUID reports whether s is a UUID in its usual hyphenated form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// truncate cuts s to at most n characters (not bytes, so a character is
// never split), marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Quote quotes client input for an error message, cut to 60 characters and
// with control characters escaped, so a huge or hostile value is never
// echoed back whole.
func Quote(s string) string { return strconv.Quote(truncate(s, 60)) }
