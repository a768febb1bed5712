package hin

import "time"

// Session is a person signed in on the browser pages: who they are as
// mapped when they signed in, until Principal.Expires.
type Session struct {
	Principal  Principal
	RegionCode string // the code of Principal.RegionID, for showing
}

// SignIn is a browser sign-in under way: what the provider's answer must
// match (State, and Nonce in the ID token), the PKCE verifier that goes
// with the code, and the page to go back to.
type SignIn struct {
	State, Nonce, Verifier string
	ReturnTo               string
	Expires                time.Time
}
