package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
)

// cmdClaims shows what a claim mapping makes of a token's claims, so that a
// deployment can check its mapping file against a real token from Entra ID
// or Keycloak before serving. The token is NOT verified here: only its
// payload is read.
func cmdClaims(_ context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("claims", stderr)
	mapping := fs.String("claim-mapping", getenv("HINGRAPH_CLAIM_MAPPING"), "the mapping file to check (env HINGRAPH_CLAIM_MAPPING)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hingraph claims --claim-mapping FILE [TOKEN-FILE | -]\n\nReads a JWT, or a JSON object of its claims, from the file or standard input and prints\nthe role and region the mapping gives. Nothing is verified: this checks the mapping only.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mapping == "" {
		return errors.New("--claim-mapping is required")
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args()[1:], " "))
	}
	m, err := auth.LoadClaimMapping(*mapping)
	if err != nil {
		return err
	}
	in := stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(io.LimitReader(in, auth.MaxTokenLen*2))
	if err != nil {
		return err
	}
	claims, err := readClaims(bytes.TrimSpace(raw))
	if err != nil {
		return err
	}
	p, region, err := m.Explain(claims)
	if err != nil {
		return fmt.Errorf("refused (%s): %s", hin.ErrorCode(err), hin.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "subject: %s\nname: %s\nrole: %s\n", p.Subject, p.Name, p.Role)
	if region != "" {
		fmt.Fprintf(stdout, "region: %s (the server refuses the token if it has no such region)\n", region)
	}
	fmt.Fprintln(stdout, "(not verified: the server also checks the signature, issuer, audience and expiry)")
	return nil
}

// readClaims takes a JWT's payload, or a JSON object as it is.
func readClaims(b []byte) (map[string]any, error) {
	if len(b) > 0 && b[0] != '{' {
		parts := strings.Split(string(b), ".")
		if len(parts) != 3 {
			return nil, errors.New("the input is neither a JWT nor a JSON object of claims")
		}
		p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
		if err != nil {
			return nil, fmt.Errorf("the JWT's payload is not base64url: %w", err)
		}
		b = p
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		return nil, fmt.Errorf("the claims are not a JSON object: %w", err)
	}
	return claims, nil
}
