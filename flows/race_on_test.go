//go:build race

package flows

// raceDetector says whether the tests run under the race detector, where
// a training costs several times more.
const raceDetector = true
