package filesink

import "os"

// removeLifecycleDir clears the folder that the generated lifecycle tests
// write to (tests::config::path in metadata.yaml) before the tests run.
func removeLifecycleDir() {
	_ = os.RemoveAll("/tmp/filesink-lifecycle-test")
}
