package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

// loadAllowList reads the registered operations: a JSON array of query
// texts, or an object of names (or hashes) to texts. Each is keyed by the
// SHA-256 of its text, the hash persisted-query clients send.
func loadAllowList(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("allow-list: %w", err)
	}
	var texts []string
	var list []string
	var named map[string]string
	switch {
	case json.Unmarshal(b, &list) == nil:
		texts = list
	case json.Unmarshal(b, &named) == nil:
		for _, q := range named {
			texts = append(texts, q)
		}
	default:
		return nil, fmt.Errorf("allow-list %s: want a JSON array of queries or an object of name to query", path)
	}
	out := make(map[string]string, len(texts))
	for _, q := range texts {
		sum := sha256.Sum256([]byte(q))
		out[hex.EncodeToString(sum[:])] = q
	}
	return out, nil
}

// flagSet reports whether a flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
