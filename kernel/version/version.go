package version

import "runtime/debug"

// Version and Commit are set at build time:
//
//	go build -ldflags "-X github.com/tributary-dev/tributary/kernel/version.Version=0.2.0 \
//	  -X github.com/tributary-dev/tributary/kernel/version.Commit=$(git rev-parse --short HEAD)"
var (
	Version = ""
	Commit  = ""
)

// devVersion is reported when neither the build nor the toolchain says otherwise.
const devVersion = "0.1.0-dev"

// Get returns the version and commit of the running binary: the values set at build time,
// else the toolchain's build info (module version, vcs.revision), else "0.1.0-dev" and
// "unknown".
func Get() (version, commit string) {
	version, commit = Version, Commit
	if version != "" && commit != "" {
		return version, commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && commit == "" && s.Value != "" {
				commit = s.Value[:min(len(s.Value), 12)]
			}
		}
	}
	if version == "" {
		version = devVersion
	}
	if commit == "" {
		commit = "unknown"
	}
	return version, commit
}
