package filesink // import "github.com/resilientsink/resilientsink/exporter/filesink"

import (
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// osOpenFile opens the active file for reading and writing, sharing it for
// deletion. Go's os.OpenFile does neither here: without FILE_SHARE_DELETE
// rotation could not rename the open file, and with O_APPEND the handle
// lacks FILE_WRITE_DATA, which truncation (start-up repair, the rollback of
// a failed write) needs. Appending is kept by hand: the offset starts at
// the end and Truncate moves it to the new end; only this process writes
// (it holds the lock), so nothing else moves the end.
func osOpenFile(name string, flag int, _ os.FileMode) (file, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	disposition := uint32(windows.OPEN_EXISTING)
	if flag&os.O_CREATE != 0 {
		disposition = windows.OPEN_ALWAYS
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, disposition, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(h), name)
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		_ = f.Close()
		return nil, err
	}
	return appendFile{f}, nil
}

// appendFile keeps the offset at the end of the file after a Truncate.
type appendFile struct{ *os.File }

func (f appendFile) Truncate(size int64) error {
	if err := f.File.Truncate(size); err != nil {
		return err
	}
	_, err := f.Seek(size, io.SeekStart)
	return err
}

// syncDir does nothing on Windows: a folder cannot be opened for
// FlushFileBuffers, and NTFS journals its metadata (names, renames) itself.
func syncDir(string) error { return nil }
