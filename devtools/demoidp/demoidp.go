// Package demoidp is an OpenID provider for local development and tests:
// the example OP of github.com/zitadel/oidc/v3 (a certified library) with
// an in-memory store of demo people. Their ID tokens carry roles and groups
// shaped as Keycloak issues them (realm_access.roles, groups with full
// paths), so deploy/claim-mappings/keycloak.yaml maps them as it would a
// real Keycloak's. `make run` starts it (devtools/hinidp); the sign-in
// tests start it in-process.
package demoidp

import (
	"context"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Password is every demo person's password: this provider is for a
// developer's machine and tests only.
const Password = "demo-password"

// Person is someone who can sign in.
type Person struct {
	Username   string
	Name       string
	RealmRoles []string // realm_access.roles
	Groups     []string // groups, full paths
	// Gets says what deploy/claim-mappings/keycloak.yaml makes of them.
	Gets string
}

// People are the demo people: one for each role, editors and approvers for
// two regions, and one the mapping gives no role.
var People = []Person{
	{"admin", "Nadia National", []string{"hin-national-admin"}, nil, "NATIONAL_ADMIN"},
	{"analyst", "Ade Analyst", []string{"hin-analyst"}, nil, "ANALYST"},
	{"em-editor", "Emma Editor", []string{"hin-region-editor"}, []string{"/regions/east-midlands"}, "REGION_EDITOR of HI-EM"},
	{"em-approver", "Amir Approver", []string{"hin-region-approver"}, []string{"/regions/east-midlands"}, "REGION_APPROVER of HI-EM"},
	{"west-editor", "Wendy Editor", []string{"hin-region-editor"}, []string{"/regions/west-of-england"}, "REGION_EDITOR of HI-WEST"},
	{"west-approver", "Will Approver", []string{"hin-region-approver"}, []string{"/regions/west-of-england"}, "REGION_APPROVER of HI-WEST"},
	{"visitor", "Vic Visitor", []string{"default-roles-hin"}, []string{"/staff"}, "no role: sign-in is refused"},
}

// Config is the provider's issuer URL and the one client it knows.
type Config struct {
	Issuer       string // e.g. http://localhost:8090/
	ClientID     string
	ClientSecret string
	RedirectURIs []string
}

// New returns the provider's handler: discovery, keys, authorize, token,
// and the example's login page at /login/username.
func New(cfg Config) http.Handler {
	users := users{}
	for _, p := range People {
		first, last, _ := strings.Cut(p.Name, " ")
		users[p.Username] = &storage.User{
			ID: "demo-" + p.Username, Username: p.Username, Password: Password,
			FirstName: first, LastName: last, Email: p.Username + "@hin.invalid", EmailVerified: true,
			PreferredLanguage: language.BritishEnglish,
		}
	}
	client := storage.WebClient(cfg.ClientID, cfg.ClientSecret, cfg.RedirectURIs...)
	st := &store{Storage: storage.NewStorageWithClients(users, map[string]*storage.Client{cfg.ClientID: client})}
	return exampleop.SetupServer(cfg.Issuer, st, nil, false)
}

// users is the example's UserStore over the demo people.
type users map[string]*storage.User

func (u users) GetUserByID(id string) *storage.User {
	return u[strings.TrimPrefix(id, "demo-")]
}
func (u users) GetUserByUsername(name string) *storage.User { return u[name] }
func (u users) ExampleClientID() string                     { return storage.ServiceUserID }

// store adds the demo people's name, roles and groups to their ID tokens.
type store struct{ *storage.Storage }

func (s *store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	for _, p := range People {
		if "demo-"+p.Username == req.GetSubject() {
			info.Name = p.Name
			info.AppendClaims("realm_access", map[string]any{"roles": p.RealmRoles})
			if p.Groups != nil {
				info.AppendClaims("groups", p.Groups)
			}
		}
	}
	return nil
}
