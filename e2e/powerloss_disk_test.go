//go:build e2e && linux

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fsIOCShutdown is FS_IOC_SHUTDOWN, _IOR('X', 125, __u32): it shuts a file
// system down at once; with unix.FS_SHUTDOWN_FLAGS_NOLOGFLUSH the journal is
// not flushed first, so everything not fsynced is gone, as after a power cut.
const fsIOCShutdown = 0x8004587d

// lossyDisk is an ext4 file system in an image file on a loop device,
// mounted on a folder of the test, whose power can be cut. Its cleanup,
// registered before anything is attached or mounted, leaves no mount and no
// loop device behind, whether the test passes or fails.
type lossyDisk struct {
	t     *testing.T
	image string // the image file (the "disk")
	dir   string // the mount point
	dev   string // the loop device while attached
	tools map[string]string
}

// newLossyDisk creates an ext4 image of sizeMiB in a temp folder, attaches it
// to a loop device and mounts it. Without root, mkfs.ext4 or losetup the test
// is skipped, saying why; any other failure fails it.
func newLossyDisk(t *testing.T, sizeMiB int64) *lossyDisk {
	t.Helper()
	d := &lossyDisk{t: t, tools: requirePowerLossTools(t)}
	tmp := t.TempDir()
	d.image = filepath.Join(tmp, "disk.img")
	d.dir = filepath.Join(tmp, "mnt")
	require.NoError(t, os.Mkdir(d.dir, 0o700))
	t.Cleanup(d.cleanup)

	f, err := os.Create(d.image)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(sizeMiB<<20))
	require.NoError(t, f.Close())
	// Initialised at once, so no lazy init thread writes behind the test's back.
	d.run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", d.image)
	d.attachAndMount()
	return d
}

// requirePowerLossTools skips the test unless it runs as root with
// mkfs.ext4 and losetup at hand, and returns their paths.
func requirePowerLossTools(t *testing.T) map[string]string {
	t.Helper()
	if euid := os.Geteuid(); euid != 0 {
		t.Skipf("cannot run: the power-loss test needs root to attach a loop device, mount ext4 and shut it down with FS_IOC_SHUTDOWN (euid %d)", euid)
	}
	tools := map[string]string{}
	for _, name := range []string{"mkfs.ext4", "losetup"} {
		p, err := exec.LookPath(name)
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if err == nil {
				break
			}
			p, err = exec.LookPath(filepath.Join(dir, name))
		}
		if err != nil {
			t.Skipf("cannot run: the power-loss test needs %s (e2fsprogs / util-linux), not found in PATH, /usr/sbin or /sbin", name)
		}
		tools[name] = p
	}
	return tools
}

// run runs one of the tools and returns its trimmed standard output.
func (d *lossyDisk) run(name string, args ...string) string {
	d.t.Helper()
	out, err := exec.Command(d.tools[name], args...).Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		d.t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// attachAndMount attaches the image to a free loop device and mounts it.
func (d *lossyDisk) attachAndMount() {
	d.t.Helper()
	d.dev = d.run("losetup", "--find", "--show", d.image)
	if err := syscall.Mount(d.dev, d.dir, "ext4", 0, ""); err != nil {
		d.t.Fatalf("mount %s (%s) on %s: %v", d.dev, d.image, d.dir, err)
	}
}

// powerCut shuts the file system down without flushing its journal: what
// was not fsynced is lost; every later operation on it fails with EIO.
func (d *lossyDisk) powerCut() {
	d.t.Helper()
	fd, err := unix.Open(d.dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	require.NoError(d.t, err, "open %s", d.dir)
	defer func() { _ = unix.Close(fd) }()
	require.NoError(d.t, unix.IoctlSetPointerInt(fd, fsIOCShutdown, unix.FS_SHUTDOWN_FLAGS_NOLOGFLUSH),
		"FS_IOC_SHUTDOWN(NOLOGFLUSH) on %s", d.dir)
}

// powerOn unmounts the dead file system, detaches its loop device and
// mounts the image afresh on a new loop device: the journal is replayed and
// nothing of the old mount's caches survives. Whoever had files open on it
// must have exited.
func (d *lossyDisk) powerOn() {
	d.t.Helper()
	require.NoError(d.t, syscall.Unmount(d.dir, 0), "unmount %s after the power cut", d.dir)
	d.run("losetup", "-d", d.dev)
	d.dev = ""
	d.attachAndMount()
}

// cleanup unmounts the folder if it is mounted (lazily if it is busy) and
// detaches every loop device backed by the image.
func (d *lossyDisk) cleanup() {
	if mounted(d.dir) {
		if err := syscall.Unmount(d.dir, 0); err != nil {
			d.t.Logf("unmount %s: %v; detaching it lazily", d.dir, err)
			if lerr := syscall.Unmount(d.dir, syscall.MNT_DETACH); lerr != nil {
				d.t.Errorf("umount -l %s: %v", d.dir, lerr)
			}
		}
	}
	out, err := exec.Command(d.tools["losetup"], "-j", d.image).Output()
	if err != nil {
		d.t.Errorf("losetup -j %s: %v", d.image, err)
		return
	}
	for line := range strings.Lines(string(out)) {
		dev, _, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if b, derr := exec.Command(d.tools["losetup"], "-d", dev).CombinedOutput(); derr != nil {
			d.t.Errorf("losetup -d %s: %v: %s", dev, derr, b)
		}
	}
}

// mounted reports whether dir is a mount point in /proc/mounts.
func mounted(dir string) bool {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return true // try to unmount anyway
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && unescapeMount(fields[1]) == dir {
			return true
		}
	}
	return false
}

// unescapeMount undoes /proc/mounts' octal escapes (space, tab, newline,
// backslash).
func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// String describes the disk for logs.
func (d *lossyDisk) String() string {
	return fmt.Sprintf("ext4 on %s (%s) at %s", d.dev, d.image, d.dir)
}
