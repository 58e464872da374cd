//go:build !unix

package audit

import "os"

// lock is a no-op where flock(2) is not available: run one writer per log.
func lock(*os.File) error { return nil }
