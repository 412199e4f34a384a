package heddle

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// CapabilityShm is the handshake flag for shared-memory tables (protocol §8).
const CapabilityShm = "shm"

// segmentAlignment is the alignment the protocol requires of a segment's
// offset (§8.1).
const segmentAlignment = 64

// shmPlace is where this process writes the segments it produces: the
// directory the host named in HEDDLE_SHM_DIR. A zero shmPlace (dir "") means
// shared memory is off and the plugin does not advertise "shm".
type shmPlace struct {
	dir     string
	counter atomic.Uint64 // segment ids are "<pid>-<counter>", unique on the machine
}

// newShmPlace returns the place named by HEDDLE_SHM_DIR, or a zero place with
// the reason it is unusable (unset, not a directory, not writable) so the
// plugin can say why it does not offer "shm".
func newShmPlace(dir string) (*shmPlace, string) {
	if dir == "" {
		return &shmPlace{}, "HEDDLE_SHM_DIR is not set"
	}
	info, err := os.Stat(dir)
	if err != nil {
		return &shmPlace{}, fmt.Sprintf("HEDDLE_SHM_DIR %s cannot be used: %v", dir, err)
	}
	if !info.IsDir() {
		return &shmPlace{}, fmt.Sprintf("HEDDLE_SHM_DIR %s is not a directory", dir)
	}
	// access(2) answers for this process's real ids, which is what creating
	// a segment file will need.
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return &shmPlace{}, fmt.Sprintf("HEDDLE_SHM_DIR %s is not writable by this process: %v", dir, err)
	}
	return &shmPlace{dir: dir}, ""
}

// enabled reports whether this process can produce and consume segments.
func (p *shmPlace) enabled() bool { return p != nil && p.dir != "" }

// nextSegment names a new segment: its id and its file under the directory.
func (p *shmPlace) nextSegment() (id, path string) {
	id = fmt.Sprintf("%d-%d", os.Getpid(), p.counter.Add(1))
	return id, filepath.Join(p.dir, id+".arrow")
}
