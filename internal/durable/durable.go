// Package durable writes files so that what was acknowledged survives a
// crash: into a temporary file beside the target, fsynced, then put in
// place by rename (replace) or link (never replace), and the folder fsynced
// so the new name is on disk too.
package durable

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path with mode, replacing any file there.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	return Write(path, mode, false, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write fills a temporary file with fill and puts it at path: by rename,
// or, when exclusive, by link, which fails with os.ErrExist rather than
// replace an existing file. Nothing is left at path if any step fails.
func Write(path string, mode os.FileMode, exclusive bool, fill func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	err = errors.Join(tmp.Chmod(mode), fill(w))
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if exclusive {
		err = os.Link(tmp.Name(), path)
	} else {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a folder, making the names created in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
