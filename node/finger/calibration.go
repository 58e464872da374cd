package finger

import (
	_ "embed"
	"sync"

	"github.com/fedmatch/fedmatch/node/calib"
)

// DefaultCalibration maps Compare's scores to false-match rates: fitted
// to the 49,920 impostor pairs of the FVC2002 B templates in
// ../shared/data/biometrics (`fedmatch model fingerprints`), decoded
// once; it is read-only.
var DefaultCalibration = sync.OnceValue(func() *calib.Calibration {
	c, err := calib.Parse(defaultCalibration)
	if err != nil {
		panic("finger: the embedded calibration is invalid: " + err.Error()) // a build error, caught by tests
	}
	return c
})

//go:embed calibration.json
var defaultCalibration []byte
