package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and commit are set by `make build` and `make image` with
// -ldflags "-X main.version=... -X main.commit=...". A binary built
// otherwise reads them from its build info: `go install ...@v1.2.0` records
// the module version, a build in a git checkout the VCS revision.
var version, commit string

// buildVersion is this binary's version, commit and whether the tree it
// was built from had uncommitted changes, each "unknown" when not recorded.
func buildVersion() (ver, rev string, modified bool) {
	ver, rev = version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			ver = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if ver == "" {
		ver = "unknown"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, modified
}

func cmdVersion(stdout io.Writer) error {
	ver, rev, modified := buildVersion()
	if modified {
		rev += " (modified)"
	}
	_, err := fmt.Fprintf(stdout, "hingraph %s\ncommit %s\n%s %s/%s\n", ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
